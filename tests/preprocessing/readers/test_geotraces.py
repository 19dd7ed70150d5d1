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
