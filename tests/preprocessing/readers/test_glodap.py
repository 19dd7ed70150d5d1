"""GLODAPv2 merged-product reader: round trip through a faithful generated fixture (the product's column names
and order, -9999 missing, f-flags 2 good / 0 calculated / 9 missing)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import glodap
from preprocessing.readers.base import ReaderError, ReaderOptions, concat_rows

COLUMNS = (
    "G2expocode,G2cruise,G2station,G2region,G2cast,G2year,G2month,G2day,G2hour,G2minute,G2latitude,G2longitude,"
    "G2bottomdepth,G2maxsampdepth,G2bottle,G2pressure,G2depth,G2temperature,G2theta,G2salinity,G2salinityf,"
    "G2salinityqc,G2sigma0,G2sigma1,G2sigma2,G2sigma3,G2sigma4,G2gamma,G2oxygen,G2oxygenf,G2oxygenqc,G2aou,G2aouf,"
    "G2nitrate,G2nitratef,G2nitrateqc,G2nitrite,G2nitritef,G2silicate,G2silicatef,G2silicateqc,G2phosphate,"
    "G2phosphatef,G2phosphateqc,G2tco2,G2tco2f,G2tco2qc,G2talk,G2talkf,G2talkqc,G2fco2,G2fco2f,G2fco2temp,"
    "G2phts25p0,G2phts25p0f,G2phtsinsitutp,G2phtsinsitutpf,G2phtsqc,G2cfc11,G2pcfc11,G2cfc11f,G2cfc11qc,G2cfc12,"
    "G2pcfc12,G2cfc12f,G2cfc12qc,G2doi"
).split(",")
FLAGGED = ("salinity", "oxygen", "nitrate", "silicate", "phosphate")


def make_frame(n_rows: int, seed: int = 0, levels: int = 24) -> pd.DataFrame:
    """A GLODAP-like table: casts of ``levels`` bottles; each flagged variable gets f-flags 2 (most), 0 and 9
    (value -9999 where the flag is 9)."""
    rng = np.random.default_rng(seed)
    n = int(n_rows)
    cast_no = np.arange(n) // levels
    lvl = np.arange(n) % levels
    cruise = 100 + cast_no // 50
    df = pd.DataFrame({c: np.full(n, -9999.0) for c in COLUMNS})
    df["G2expocode"] = np.char.add("33RO", (20000000 + cruise).astype(str))
    df["G2cruise"] = cruise
    df["G2station"] = cast_no % 50 + 1
    df["G2region"] = 1
    df["G2cast"] = 1
    df["G2year"] = 1972 + cruise % 50
    df["G2month"] = 1 + cast_no % 12
    df["G2day"] = 1 + cast_no % 28
    df["G2hour"] = cast_no % 24
    df["G2minute"] = (cast_no * 7) % 60
    df["G2latitude"] = np.round(-70 + (cast_no * 0.37) % 140, 4)
    df["G2longitude"] = np.round(-180 + (cast_no * 1.13) % 360, 4)
    df["G2bottomdepth"] = 5000
    df["G2maxsampdepth"] = 4900
    df["G2bottle"] = lvl + 1
    df["G2pressure"] = np.round(5 + lvl * 200.0 + rng.random(n), 1)
    df["G2depth"] = np.round(df["G2pressure"] * 0.99, 1)
    df["G2temperature"] = np.round(20 * np.exp(-lvl / 6) + rng.normal(0, 0.1, n), 4)
    base = {"salinity": 34.7, "oxygen": 220.0, "nitrate": 25.0, "silicate": 60.0, "phosphate": 1.8}
    for v in FLAGGED:
        val = np.round(base[v] + rng.normal(0, base[v] * 0.05, n), 4)
        flag = rng.choice([2, 0, 9], p=[0.85, 0.05, 0.10], size=n)
        val[flag == 9] = -9999
        df[f"G2{v}"] = val
        df[f"G2{v}f"] = flag
        df[f"G2{v}qc"] = np.where(flag == 9, 0, 1)
    df["G2doi"] = "10.25921/1f4w-0t92"
    return df


def write_csv(path, n_rows: int, seed: int = 0) -> pd.DataFrame:
    df = make_frame(n_rows, seed)
    df.to_csv(path, index=False, float_format="%.10g")
    return df


def test_round_trip_values_flags_and_missing(tmp_path):
    path = tmp_path / "GLODAPv2.2022_Merged_Master_File.csv"
    df = write_csv(path, 2400, seed=3)
    assert glodap.can_read(str(path))
    res = glodap.read(str(path))
    rows = res.rows
    assert len(rows) == len(df) and res.problems == [] and res.lost_values == {}
    for var in FLAGGED:
        f, v = df[f"G2{var}f"].to_numpy(), df[f"G2{var}"].to_numpy()
        r = rows[f"{var}_reason"].to_numpy()
        assert (r == "").sum() == (f == 2).sum()
        assert (r == "missing").sum() == ((f == 9) | (v == -9999)).sum()
        assert (r == "source_flag:0").sum() == ((f == 0) & (v != -9999)).sum()
        np.testing.assert_allclose(rows[var].to_numpy()[r == ""], v[r == ""])
        assert rows[var][r == "missing"].isna().all()
    assert (rows.temperature_reason == "").all()            # no flag column for temperature in the product
    np.testing.assert_allclose(rows.pressure, df.G2pressure)
    np.testing.assert_allclose(rows.depth, df.G2depth)
    t = pd.to_datetime(dict(year=df.G2year, month=df.G2month, day=df.G2day, hour=df.G2hour,
                            minute=df.G2minute), utc=True)
    assert (rows.time.to_numpy() == t.to_numpy()).all()
    expected_ids = "glodap:" + df.G2expocode + ":" + df.G2station.astype(str) + ":" + df.G2cast.astype(str)
    assert (rows.cast_id.to_numpy() == expected_ids.to_numpy()).all()
    assert rows.lon.between(-180, 180, inclusive="left").all()


def test_calculated_values_accepted_when_configured(tmp_path):
    path = tmp_path / "g.csv"
    df = write_csv(path, 500, seed=4)
    rows = glodap.read(str(path), ReaderOptions(glodap_good_flags=(0, 2))).rows
    assert (rows.oxygen_reason == "").sum() == df.G2oxygenf.isin([0, 2]).sum()


def test_iter_read_is_chunked_and_equals_read(tmp_path):
    path = tmp_path / "g.csv"
    write_csv(path, 6000, seed=5)
    chunks = list(glodap.iter_read(str(path), chunk_rows=1000))
    assert len(chunks) >= 3
    assert max(len(c.rows) for c in chunks) < 6000
    whole = glodap.read(str(path)).rows

    def values(df):      # Categorical columns (reasons, cast_id) compared by value: categories differ by chunk
        return df.astype({c: object for c in df.columns if isinstance(df[c].dtype, pd.CategoricalDtype)})

    pd.testing.assert_frame_equal(values(concat_rows([c.rows for c in chunks])), values(whole))


def test_malformed_lines_are_problems_and_counted(tmp_path):
    path = tmp_path / "g.csv"
    df = write_csv(path, 300, seed=6)
    lines = path.read_text().splitlines()
    lines[10] = lines[10].rsplit(",", 3)[0]                   # line 11: too few fields
    fields = lines[40].split(",")
    fields[COLUMNS.index("G2oxygen")] = "21x.5"               # line 41: not a number
    lines[40] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n")
    res = glodap.read(str(path))
    assert {p.where for p in res.problems} == {"line 11", "line 41"}
    assert len(res.rows) == 298
    assert res.lost_values["oxygen"] == 2 and res.lost_values["silicate"] == 2
    kept = df.drop(index=[9, 39])
    assert (res.rows.oxygen_reason == "").sum() == (kept.G2oxygenf == 2).sum()


def test_missing_column_is_a_reader_error(tmp_path):
    path = tmp_path / "g.csv"
    df = make_frame(20).drop(columns=["G2latitude"])
    df.to_csv(path, index=False)
    assert not glodap.can_read(str(path))
    with pytest.raises(ReaderError) as e:
        glodap.read(str(path))
    assert str(path) in str(e.value) and "G2latitude" in str(e.value)


def _set(line: bytes, column: str, value: bytes) -> bytes:
    fields = line.split(b",")
    fields[COLUMNS.index(column)] = value
    return b",".join(fields)


def test_a_bad_byte_costs_its_line_not_the_file(tmp_path):
    path = tmp_path / "g.csv"
    df = write_csv(path, 300, seed=7)
    lines = path.read_bytes().split(b"\n")
    lines[20] = _set(lines[20], "G2oxygen", b"21\xff.5")                    # line 21: in a number
    lines[30] = lines[30].replace(b"33RO", b"33\xe9O", 1)                  # line 31: in the expocode
    lines[40] = _set(lines[40], "G2doi", b"10.\xff/x")                      # line 41: a column not read
    path.write_bytes(b"\n".join(lines))
    res = glodap.read(str(path))
    assert [p.where for p in res.problems] == ["line 21", "line 31"]
    assert all("UTF-8" in p.message and p.file == str(path) for p in res.problems)
    assert len(res.rows) == 298 and res.lost_values["oxygen"] == 2
    kept = df.drop(index=[19, 29])
    assert (res.rows.oxygen_reason == "").sum() == (kept.G2oxygenf == 2).sum()


def test_absurd_numbers_are_unreadable_not_missing(tmp_path):
    path = tmp_path / "g.csv"
    write_csv(path, 300, seed=8)
    lines = path.read_bytes().split(b"\n")
    for k, text in ((10, b"inf"), (11, b"1e400"), (12, b"-inf"), (13, b"#REF!"), (14, b"nan")):
        lines[k] = _set(lines[k], "G2oxygen", text)
    lines[15] = _set(lines[15], "G2latitude", b"1e999")
    path.write_bytes(b"\n".join(lines))
    res = glodap.read(str(path))
    assert [p.where for p in res.problems] == [f"line {k}" for k in (11, 12, 13, 14, 16)]
    assert "G2oxygen" in res.problems[0].message and "'inf'" in res.problems[0].message
    assert "G2latitude" in res.problems[-1].message
    assert len(res.rows) == 295 and res.lost_values["oxygen"] == 5


def test_repeated_header_line_is_skipped_and_not_counted(tmp_path):
    path = tmp_path / "g.csv"
    write_csv(path, 300, seed=9)
    lines = path.read_bytes().split(b"\n")
    lines.insert(100, lines[0])                                              # line 101
    path.write_bytes(b"\n".join(lines))
    res = glodap.read(str(path))
    assert [p.where for p in res.problems] == ["line 101"] and "repeated" in res.problems[0].message
    assert res.lost_values == {} and len(res.rows) == 300


def test_without_its_oxygen_flag_column_oxygen_is_rejected_as_unflagged(tmp_path):
    """The product flags oxygen (2 good, 0 calculated, 9 missing): without G2oxygenf the values cannot be told
    apart, so they are rejected as ``source_flag:none`` with a Problem; -9999 stays missing."""
    path = tmp_path / "g.csv"
    df = make_frame(200, seed=10).drop(columns=["G2oxygenf"])
    df.to_csv(path, index=False)
    res = glodap.read(str(path))
    assert [p.message for p in res.problems if "G2oxygenf" in p.message] and all(p.file == str(path)
                                                                                  for p in res.problems)
    r = res.rows.oxygen_reason
    assert (r == "source_flag:none").sum() == (df.G2oxygen != -9999).sum() and (r == "").sum() == 0
    assert (r == "missing").sum() == (df.G2oxygen == -9999).sum()
    assert (res.rows.temperature_reason == "").all()                        # the product never flags temperature
