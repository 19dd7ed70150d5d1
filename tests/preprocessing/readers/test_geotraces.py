"""GEOTRACES IDP reader on the real ODV export (GIPY04) and sanitised-name CSV (GN01); expectations with pandas."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from preprocessing.readers import geotraces as G
from preprocessing.readers.base import ReaderError, ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "geotraces"
GOOD = [str(f) for f in ReaderOptions().geotraces_good_flags]


def value_and_flag(path: Path, name: str):
    """Column ``name`` and the first QV column after it (header read positionally, pandas only)."""
    df = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, low_memory=False)
    header, data = list(df.iloc[0]), df.iloc[1:]
    i = header.index(name)
    j = next(k for k in range(i + 1, len(header)) if header[k].startswith("QV"))
    v = pd.to_numeric(data[i], errors="coerce").to_numpy()
    return v, data[j].str.strip().to_numpy()


def test_gn01_sensor_oxygen_272_good():
    path = REAL / "GN01bottpump.csv"
    assert G.can_read(str(path))
    rows = G.read(str(path)).rows
    bo, bf = value_and_flag(path, "OXYGEN_D_CONC_BOTTLE_umol_kg_")
    co, cf = value_and_flag(path, "CTDOXY_D_CONC_SENSOR_umol_kg_")
    has_b = np.isfinite(bo) & (bf != "9")
    has_c = np.isfinite(co) & (cf != "9")
    expected = (has_b & np.isin(bf, GOOD)).sum() + (~has_b & has_c & np.isin(cf, GOOD)).sum()
    assert len(rows) == len(bo)
    assert (rows.oxygen_reason == "").sum() == expected == 272
    assert (rows.oxygen_reason != "missing").sum() == (has_b | has_c).sum()
    np.testing.assert_allclose(rows.oxygen[rows.oxygen_reason == ""], co[~has_b & has_c & np.isin(cf, GOOD)])
    t, tf = value_and_flag(path, "CTDTMP_T_VALUE_SENSOR_degC_")
    assert (rows.temperature_reason == "").sum() == (np.isfinite(t) & np.isin(tf, GOOD)).sum()
    n, nf = value_and_flag(path, "NITRATE_D_CONC_BOTTLE_umol_kg_")
    pn, pnf = value_and_flag(path, "NITRATE_D_CONC_PUMP_umol_kg_")
    has_n, has_pn = np.isfinite(n) & (nf != "9"), np.isfinite(pn) & (pnf != "9")
    assert (rows.nitrate_reason == "").sum() == (has_n & np.isin(nf, GOOD)).sum() + \
        (~has_n & has_pn & np.isin(pnf, GOOD)).sum()
    assert rows.lon.between(-180, 180, inclusive="left").all() and (rows.lon < -170).any()
    assert rows.cast_id.str.startswith("geotraces:GN01:").all()


def test_gipy04_no_oxygen_but_t_s_nutrients():
    path = REAL / "GIPY04.csv"
    assert G.can_read(str(path))
    rows = G.read(str(path)).rows
    assert (rows.oxygen_reason == "absent").all()
    t, tf = value_and_flag(path, "CTDTMP [deg C]")
    assert (rows.temperature_reason == "").sum() == (np.isfinite(t) & np.isin(tf, GOOD)).sum() > 0
    p, pf = value_and_flag(path, "PHOSPHATE_D_CONC_BOTTLE [umol/kg]")
    pp, ppf = value_and_flag(path, "PHOSPHATE_D_CONC_PUMP [umol/kg]")
    has_p, has_pp = np.isfinite(p) & (pf != "9"), np.isfinite(pp) & (ppf != "9")
    assert (rows.phosphate_reason == "").sum() == (has_p & np.isin(pf, GOOD)).sum() + \
        (~has_p & has_pp & np.isin(ppf, GOOD)).sum() > 0
    # silicate's flag sits after a STANDARD_DEV column
    s, sf = value_and_flag(path, "SILICATE_D_CONC_BOTTLE [umol/kg]")
    assert (rows.silicate_reason[np.isfinite(s)] != "missing").all()
    for var in ("temperature", "salinity", "nitrate", "phosphate", "silicate"):
        assert set(rows[var + "_reason"]) <= {"", "missing"} | {f"source_flag:{k}" for k in range(10)}
    assert rows.time.iloc[0] == pd.Timestamp("2008-02-13 18:19:59", tz="UTC")
    assert rows.depth.iloc[1] == pytest.approx(49.8)


def test_odv_tab_separated_with_comments_and_continuation_rows(tmp_path):
    src = pd.read_csv(REAL / "GIPY04.csv", header=None, dtype=str, keep_default_na=False).iloc[:40]
    body = src.copy()
    station = body.iloc[1:, :15]
    repeat = (station == station.shift(1)).all(axis=1)              # same station as the row above
    for i in np.flatnonzero(repeat.to_numpy()):
        body.iloc[i + 1, :15] = ""
    path = tmp_path / "GIPY04_odv.txt"
    text = "//ODV Spreadsheet V4.0\n//<DataField>GEOTRACES</DataField>\n"
    text += "\n".join("\t".join(r) for r in body.to_numpy().tolist()) + "\n"
    path.write_text(text)
    assert G.can_read(str(path))
    got = G.read(str(path)).rows
    ref = G.read(str(REAL / "GIPY04.csv")).rows.iloc[:39].reset_index(drop=True)
    assert repeat.sum() > 10
    pd.testing.assert_frame_equal(got, ref)


def test_missing_position_column_is_a_reader_error(tmp_path):
    text = (REAL / "GIPY04.csv").read_text().replace("Latitude [degrees_north]", "Lat_x", 1)
    path = tmp_path / "nolat.csv"
    path.write_text(text)
    with pytest.raises(ReaderError) as e:
        G.read(str(path))
    assert str(path) in str(e.value) and "lat" in str(e.value)


def test_malformed_line_is_a_problem(tmp_path):
    lines = (REAL / "GN01bottpump.csv").read_text().splitlines()
    lines[5] = lines[5] + ",extra"
    path = tmp_path / "gn01_bad.csv"
    path.write_text("\n".join(lines) + "\n")
    res = G.read(str(path))
    assert [p.where for p in res.problems] == ["line 6"]
    assert len(res.rows) == len(lines) - 2 and res.lost_values["oxygen"] == 1


GN01 = REAL / "GN01bottpump.csv"


def _gn01_lines():
    return GN01.read_bytes().split(b"\n")


def _set_field(line: bytes, name: str, value: bytes) -> bytes:
    header = GN01.read_text().split("\n", 1)[0].split(",")
    fields = line.split(b",")
    fields[header.index(name)] = value
    return b",".join(fields)


def test_non_numbers_cost_their_line_with_a_problem_naming_line_and_column(tmp_path):
    lines = _gn01_lines()
    bad = {6: b"abc", 8: b"#REF!", 10: b"inf", 12: b"1e400"}       # 1-based line numbers
    for ln, text in bad.items():
        lines[ln - 1] = _set_field(lines[ln - 1], "CTDOXY_D_CONC_SENSOR_umol_kg_", text)
    lines[13] = _set_field(lines[13], "Latitude_degrees_north_", b"-inf")
    path = tmp_path / "gn01_numbers.csv"
    path.write_bytes(b"\n".join(lines))
    res = G.read(str(path))
    ref = G.read(str(GN01))
    assert [p.where for p in res.problems] == ["line 6", "line 8", "line 10", "line 12", "line 14"]
    assert all(str(path) == p.file and "not a number" in p.message for p in res.problems)
    assert "CTDOXY_D_CONC_SENSOR_umol_kg_" in res.problems[0].message and "'abc'" in res.problems[0].message
    assert "Latitude" in res.problems[-1].message
    assert len(res.rows) == len(ref.rows) - 5
    assert res.lost_values["oxygen"] == 5 and res.lost_values["temperature"] == 5


def test_a_bad_byte_costs_its_line(tmp_path):
    lines = _gn01_lines()
    lines[6] = lines[6].replace(b"GN01,", b"GN\xff1,", 1)                   # line 7: in the cruise name
    lines[8] = _set_field(lines[8], "CTDTMP_T_VALUE_SENSOR_degC_", b"9.6\xfe3")   # line 9: in a number
    path = tmp_path / "gn01_bytes.csv"
    path.write_bytes(b"\n".join(lines))
    res = G.read(str(path))
    assert [p.where for p in res.problems] == ["line 7", "line 9"]
    assert all("UTF-8" in p.message for p in res.problems)
    assert len(res.rows) == len(G.read(str(GN01)).rows) - 2 and res.lost_values["oxygen"] == 2
    assert res.rows.cast_id.str.startswith("geotraces:GN01:").all()


def test_repeated_header_line_is_skipped_and_not_counted(tmp_path):
    lines = _gn01_lines()
    lines.insert(20, lines[0])                                               # line 21
    path = tmp_path / "gn01_twice.csv"
    path.write_bytes(b"\n".join(lines))
    res = G.read(str(path))
    assert [p.where for p in res.problems] == ["line 21"] and "repeated" in res.problems[0].message
    assert res.lost_values == {}
    pd.testing.assert_frame_equal(res.rows, G.read(str(GN01)).rows)


def test_continuation_rows_of_an_unreadable_station_row_are_not_given_another_station(tmp_path):
    """ODV: empty metadata continues the station above; when the station's own line is unreadable, its
    continuation lines must not inherit the previous station's position."""
    src = pd.read_csv(REAL / "GIPY04.csv", header=None, dtype=str, keep_default_na=False).iloc[:40]
    body = src.copy()
    station = body.iloc[1:, :15]
    repeat = (station == station.shift(1)).all(axis=1).to_numpy()
    for i in np.flatnonzero(repeat):
        body.iloc[i + 1, :15] = ""
    starts = [int(i) for i in np.flatnonzero(~repeat)]                      # data rows that begin a station
    k, end = next((a, b) for a, b in zip(starts, starts[1:] + [len(repeat)]) if a > 0 and b - a > 2)
    n_cont = end - k - 1
    body.iloc[k + 1, 5] = "abc"                                             # its latitude
    path = tmp_path / "GIPY04_odv.txt"
    path.write_text("\n".join("\t".join(r) for r in body.to_numpy().tolist()) + "\n")
    res = G.read(str(path))
    assert len(res.rows) == 39 - 1 - n_cont
    assert res.lost_values["temperature"] == 1 + n_cont
    assert res.problems[0].where == f"line {k + 2}" and "Latitude" in res.problems[0].message
    assert res.problems[1].where == f"line {k + 3}"
    assert f"continue the station of line {k + 2}" in res.problems[1].message
