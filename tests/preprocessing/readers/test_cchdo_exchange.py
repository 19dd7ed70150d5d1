"""CCHDO WHP-Exchange reader on the real files in tests/data/real/cchdo; expectations computed with pandas."""
from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import cchdo_exchange as X
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "cchdo"
EXCHANGE = ["p02.csv", "33RR20080204_mini_hy1.csv", "64PE20050907_hy1.csv", "a10_33RO20110926_hy1.csv",
            "btl_csv.csv"]
GOOD = set(ReaderOptions().woce_good_flags)


def frame(path: Path) -> pd.DataFrame:
    """The data table of an exchange (or csv-variant) file, read with pandas, bracketed units dropped."""
    lines = path.read_text(errors="replace").splitlines()
    stamped = lines[0].split(",")[0].strip() in ("BOTTLE", "CTD")
    body = [ln for ln in lines[1 if stamped else 0:] if not ln.startswith("#")]
    end = next((i for i, ln in enumerate(body) if ln.startswith("END_DATA")), len(body))
    table = [body[0]] + body[2 if stamped else 1:end]
    df = pd.read_csv(io.StringIO("\n".join(table)), skipinitialspace=True)
    df.columns = [c.split(" [")[0] + (c.split("]")[1] if "]" in c else "") for c in df.columns]
    return df.replace(-999, np.nan)


def has_value(df, name):
    if name not in df:
        return np.zeros(len(df), bool)
    flag = df.get(name + "_FLAG_W", pd.Series(2, index=df.index))
    return df[name].notna().to_numpy() & (flag != 9).to_numpy()


def expected_good_oxygen(df) -> int:
    bottle = has_value(df, "OXYGEN")
    good_b = bottle & df["OXYGEN_FLAG_W"].isin(GOOD).to_numpy() if "OXYGEN" in df else bottle
    good_c = (~bottle & has_value(df, "CTDOXY") & df["CTDOXY_FLAG_W"].isin(GOOD).to_numpy()
              if "CTDOXY" in df else np.zeros(len(df), bool))
    return int(good_b.sum() + good_c.sum())


@pytest.mark.parametrize("name", EXCHANGE)
def test_real_file_oxygen_counts_and_accounting(name):
    path = REAL / name
    assert X.can_read(str(path))
    res = X.read(str(path))
    df = frame(path)
    rows = res.rows
    assert len(rows) == len(df)
    assert (rows.oxygen_reason == "").sum() == expected_good_oxygen(df)
    # each row's oxygen counted once: entries with a value (bottle or sensor) = reasons other than 'missing'
    with_value = has_value(df, "OXYGEN") | has_value(df, "CTDOXY")
    assert (rows.oxygen_reason != "missing").sum() == with_value.sum()
    for var, col in [("nitrate", "NITRAT"), ("phosphate", "PHSPHT"), ("silicate", "SILCAT")]:
        if col in df:
            good = has_value(df, col) & df[col + "_FLAG_W"].isin(GOOD).to_numpy()
            assert (rows[var + "_reason"] == "").sum() == good.sum()
            assert (rows[var + "_reason"] != "missing").sum() == has_value(df, col).sum()
            assert rows.loc[rows[var + "_reason"] == "", var].notna().all()
    assert rows.cast_id.str.startswith("cchdo:").all()
    assert res.lost_values == {}


def test_p02_numbers_and_values():
    res = X.read(str(REAL / "p02.csv"))
    df = frame(REAL / "p02.csv")
    assert ((df.OXYGEN_FLAG_W == 2) & df.OXYGEN.notna()).sum() == 5162
    good = res.rows[res.rows.oxygen_reason == ""]
    assert len(good) == expected_good_oxygen(df)
    # bottle values are taken as is (µmol/kg); depth from pressure is a bit less than pressure
    np.testing.assert_allclose(res.rows.oxygen[df.OXYGEN_FLAG_W.eq(2).to_numpy()],
                               df.OXYGEN[df.OXYGEN_FLAG_W.eq(2)], rtol=0, atol=1e-9)
    assert ((res.rows.depth < res.rows.pressure) | (res.rows.pressure == 0)).all()
    assert res.rows.time.min() == pd.Timestamp("2013-03-22 22:05", tz="UTC")
    assert res.rows.cast_id.nunique() == df.groupby(["STNNBR", "CASTNO"]).ngroups


def test_btl_csv_bottle_oxygen_all_questionable():
    res = X.read(str(REAL / "btl_csv.csv"))
    df = frame(REAL / "btl_csv.csv")
    bottle = has_value(df, "OXYGEN")
    assert (df.OXYGEN_FLAG_W[bottle] == 3).all()
    assert (res.rows.oxygen_reason[bottle] == "source_flag:3").all()
    # rows without a bottle value fall back to the CTD sensor (flag 2 here)
    assert (res.rows.oxygen_reason[~bottle] == "").sum() == expected_good_oxygen(df) > 0


def test_malformed_line_is_a_problem_and_rest_is_read(tmp_path):
    src = (REAL / "p02.csv").read_text().splitlines()
    first = next(i for i, ln in enumerate(src) if ln.startswith("318M20130321"))
    bad_idx, short_idx = first + 10, first + 20
    fields = src[bad_idx].split(",")
    fields[20] = "2x0.5"                          # OXYGEN not a number
    src[bad_idx] = ",".join(fields)
    src[short_idx] = ",".join(src[short_idx].split(",")[:30])   # truncated line
    path = tmp_path / "p02_bad.csv"
    path.write_text("\n".join(src) + "\n")
    res = X.read(str(path))
    wheres = {p.where for p in res.problems}
    assert {f"line {bad_idx + 1}", f"line {short_idx + 1}"} <= wheres
    assert all(str(path) in str(p) for p in res.problems)
    assert len(res.rows) == 5343 - 2
    assert res.lost_values["oxygen"] == 2 and res.lost_values["nitrate"] == 2
    df = frame(REAL / "p02.csv").drop(index=[bad_idx - first, short_idx - first])
    assert (res.rows.oxygen_reason == "").sum() == expected_good_oxygen(df)


def test_missing_required_column_names_file_and_column(tmp_path):
    text = (REAL / "64PE20050907_hy1.csv").read_text().replace(",LATITUDE,", ",LATITUD_X,", 1)
    path = tmp_path / "nolat_hy1.csv"
    path.write_text(text)
    with pytest.raises(ReaderError) as e:
        X.read(str(path))
    assert str(path) in str(e.value) and "LATITUDE" in str(e.value)


def test_zip_collection_reads_every_member(tmp_path):
    zpath = tmp_path / "collection_hy1.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for name in ("64PE20050907_hy1.csv", "a10_33RO20110926_hy1.csv"):
            zf.write(REAL / name, arcname=name)
    assert X.can_read(str(zpath))
    res = X.read(str(zpath))
    n = sum(len(frame(REAL / f)) for f in ("64PE20050907_hy1.csv", "a10_33RO20110926_hy1.csv"))
    assert len(res.rows) == n
    assert {c.split(":")[1] for c in res.rows.cast_id} == {"64PE20050907", "33RO20110926"}
    # the invalid TIME (0081) of the 64PE file is reported under "zip!member"
    assert any(p.file == f"{zpath}!64PE20050907_hy1.csv" for p in res.problems)


CTD_TEXT = """CTD,20240101TEST
# synthetic CTD exchange file
NUMBER_HEADERS = 8
EXPOCODE = 33TEST2001
STNNBR = 12
CASTNO = 3
DATE = 20010615
TIME = 1230
LATITUDE = -10.5
LONGITUDE = 200.25
CTDPRS,CTDPRS_FLAG_W,CTDTMP,CTDTMP_FLAG_W,CTDSAL,CTDSAL_FLAG_W,CTDOXY,CTDOXY_FLAG_W
DBAR,,IPTS-68,,PSS-78,,ML/L,,
"""


def test_ctd_exchange_header_units_and_flags(tmp_path):
    data = ["10.0,2,20.0048,2,35.0,2,5.0,2", "500.0,2,8.0,2,34.6,2,2.5,3", "1000.0,2,4.0,2,34.5,2,-999.0,9"]
    text = CTD_TEXT.replace("ML/L,,\n", "ML/L,\n") + "\n".join(data) + "\nEND_DATA\n"
    path = tmp_path / "33TEST2001_00012_00003_ct1.csv"
    path.write_text(text)
    assert X.can_read(str(path))
    rows = X.read(str(path)).rows
    assert list(rows.oxygen_reason) == ["", "source_flag:3", "missing"]
    assert rows.cast_id.unique().tolist() == ["cchdo:33TEST2001:12:3"]
    assert rows.time.iloc[0] == pd.Timestamp("2001-06-15 12:30", tz="UTC")
    assert rows.lon.iloc[0] == pytest.approx(-159.75)
    assert rows.temperature.iloc[0] == pytest.approx(20.0048 / 1.00024)      # IPTS-68 → ITS-90
    # 5 ml/l × 44.6596 µmol/ml ÷ (ρ/1000): about 218 µmol/kg in warm surface water
    assert 216.0 < rows.oxygen.iloc[0] < 219.5
    assert rows.depth.iloc[1] == pytest.approx(496.0, abs=3.0)


def test_can_read_rejects_other_formats(tmp_path):
    other = tmp_path / "x.csv"
    other.write_text("G2expocode,G2cruise,G2latitude\n")
    assert not X.can_read(str(other))
    assert not X.can_read(str(REAL.parent / "geotraces" / "GIPY04.csv"))
    shutil.copy(REAL / "p02.csv", tmp_path / "renamed.txt")
    assert X.can_read(str(tmp_path / "renamed.txt"))


def _p02_lines():
    lines = (REAL / "p02.csv").read_bytes().split(b"\n")
    first = next(i for i, ln in enumerate(lines) if ln.startswith(b"318M20130321"))
    return lines, first


def test_a_bad_byte_costs_its_line(tmp_path):
    lines, first = _p02_lines()
    lines[first + 5] = lines[first + 5].replace(b"318M20130321", b"318M2013\xff321", 1)   # in the EXPOCODE
    lines[3] = lines[3] + b" \xb0C"                                   # a latin-1 byte in a comment: not data
    path = tmp_path / "p02_byte.csv"
    path.write_bytes(b"\n".join(lines))
    res = X.read(str(path))
    assert [p.where for p in res.problems] == [f"line {first + 6}"] and "UTF-8" in res.problems[0].message
    assert len(res.rows) == 5343 - 1 and res.lost_values["oxygen"] == 1
    assert res.rows.cast_id.str.startswith("cchdo:318M20130321:").all()


def test_absurd_numbers_are_unreadable_not_missing(tmp_path):
    lines, first = _p02_lines()
    names = lines[first - 2].decode().split(",")
    col = [n.strip() for n in names].index("OXYGEN")
    for k, text in ((first + 3, b"1e400"), (first + 4, b"inf"), (first + 7, b"#REF!")):
        fields = lines[k].split(b",")
        fields[col] = text
        lines[k] = b",".join(fields)
    path = tmp_path / "p02_numbers.csv"
    path.write_bytes(b"\n".join(lines))
    res = X.read(str(path))
    assert [p.where for p in res.problems] == [f"line {first + 4}", f"line {first + 5}", f"line {first + 8}"]
    assert all("OXYGEN" in p.message and "not a number" in p.message for p in res.problems)
    assert len(res.rows) == 5343 - 3 and res.lost_values["oxygen"] == 3


def test_repeated_header_inside_the_data_is_skipped_and_not_counted(tmp_path):
    lines, first = _p02_lines()
    names, units = lines[first - 2], lines[first - 1]
    lines[first + 100:first + 100] = [names, units]                   # lines first+101, first+102
    path = tmp_path / "p02_twice.csv"
    path.write_bytes(b"\n".join(lines))
    res = X.read(str(path))
    assert [p.where for p in res.problems] == [f"line {first + 101}", f"line {first + 102}"]
    assert all("repeated" in p.message for p in res.problems)
    assert res.lost_values == {}
    pd.testing.assert_frame_equal(res.rows, X.read(str(REAL / "p02.csv")).rows)
