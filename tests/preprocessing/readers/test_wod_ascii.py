"""WOD native ASCII reader: real classic/IQuOD files (expected values from wodpy directly) and corrupted casts."""
import gsw
import numpy as np
import pytest
from wodpy import wod

from preprocessing.readers import wod_ascii
from preprocessing.readers.base import ReaderOptions
from tests.fixtures import REAL_DATA

REAL = REAL_DATA / "wod"
CLASSIC = REAL / "classic.dat"
CODES = {1: "temperature", 2: "salinity", 3: "oxygen", 4: "phosphate", 6: "silicate", 8: "nitrate"}


def _profiles(path):
    out = []
    with open(path) as f:
        while f.tell() < path.stat().st_size:
            out.append(wod.WodProfile(f))
    return out


def test_can_read():
    for name in ("classic.dat", "iquod.dat", "pathological.dat"):
        assert wod_ascii.can_read(str(REAL / name))
    assert not wod_ascii.can_read(str(REAL / "ocldb1570984477.6279_OSD.nc"))
    assert not wod_ascii.can_read(str(REAL.parent / "cchdo" / "p02.csv"))


def test_classic_oxygen_in_umol_per_kg_against_hand_conversion():
    rows = wod_ascii.read(str(CLASSIC), ReaderOptions()).rows
    expected, n_good = [], 0
    for p in _profiles(CLASSIC):
        o2 = np.ma.filled(p.oxygen().astype(float), np.nan)
        t = np.ma.filled(p.t().astype(float), np.nan)
        s = np.ma.filled(p.s().astype(float), np.nan)
        z = np.ma.filled(p.z().astype(float), np.nan)
        qc = np.ma.filled(p.var_level_qc(p.var_index(3)), 0)
        for k in range(p.n_levels()):
            if not np.isfinite(o2[k]):
                continue
            n_good += int(qc[k] == 0)
            pr = gsw.p_from_z(-z[k], p.latitude())
            sp = s[k] if np.isfinite(s[k]) else 35.0
            sa = gsw.SA_from_SP(sp, pr, p.longitude(), p.latitude())
            rho = gsw.rho(sa, gsw.CT_from_t(sa, t[k], pr), pr)
            expected.append(o2[k] * 44.66 / (rho / 1000.0))
    got = rows.loc[rows["oxygen"].notna(), "oxygen"].to_numpy()
    assert len(got) == len(expected) == 11
    np.testing.assert_allclose(got, expected, rtol=1e-3)
    assert int((rows["oxygen_reason"] == "").sum()) == n_good
    assert got.min() > 150 and got.max() < 400
    assert set(rows["cast_id"]) == {"wod:67064", "wod:15556443"}
    assert rows["time"].iloc[0].year == 1934 and rows["time"].iloc[-1].year == 2000


@pytest.mark.parametrize("name", ["classic.dat", "iquod.dat", "pathological.dat"])
def test_accounting_per_variable(name):
    res = wod_ascii.read(str(REAL / name))
    rows = res.rows
    assert res.problems == []
    profiles = _profiles(REAL / name)
    assert len(rows) == sum(p.n_levels() for p in profiles)
    for code, var in CODES.items():
        n = sum(p.n_levels() for p in profiles if p.var_index(code) is not None)
        r = rows[var + "_reason"]
        assert int((r == "").sum() + ((r != "") & (r != "absent")).sum()) == n, var
    if name != "classic.dat":
        assert (rows["oxygen_reason"] == "absent").all()


def test_profile_flag_rejects_whole_variable():
    rows = wod_ascii.read(str(REAL / "iquod.dat")).rows
    cast = rows[rows["cast_id"] == "wod:9615302"]
    assert len(cast) == 1000 and (cast["temperature_reason"] == "source_flag:profile9").all()
    assert (cast["salinity_reason"] == "").sum() > 900


def _casts():
    lines = CLASSIC.read_text().splitlines(keepends=True)
    return lines[:17], lines[17:]


def test_corrupted_cast_between_good_ones(tmp_path):
    first, second = _casts()
    broken = second[:-6] + ["X" * 80 + "\n"] * 6          # profile data destroyed, headers intact
    path = tmp_path / "three.dat"
    path.write_text("".join(first + broken + second))
    res = wod_ascii.read(str(path))
    assert list(res.rows.groupby("cast_id", sort=False).size()) == [4, 24]
    assert len(res.problems) == 1
    pr = res.problems[0]
    assert pr.file == "three.dat" and pr.where == "cast 1 (line 18)"
    assert res.lost_values["oxygen"] == 24 and res.lost_values["temperature"] == 24
    assert (res.rows["oxygen_reason"] == "").sum() == (wod_ascii.read(str(CLASSIC)).rows["oxygen_reason"] == "").sum()


def test_corrupted_header_resyncs_on_next_cast(tmp_path):
    first, second = _casts()
    broken = ["Z" * 80 + "\n"] + second[1:]
    path = tmp_path / "hdr.dat"
    path.write_text("".join(first + broken + second))
    res = wod_ascii.read(str(path))
    assert res.rows["cast_id"].value_counts().to_dict() == {"wod:15556443": 24, "wod:67064": 4}
    assert len(res.problems) == 1 and res.problems[0].where == "cast 1 (line 18)"
    assert "line 42" in res.problems[0].message


@pytest.mark.parametrize("damage", ["header", "data"])
def test_malformed_first_cast_is_skipped_like_a_later_one(tmp_path, damage):
    """A file whose FIRST cast is malformed is still a WOD file: routed to this reader, its later casts read."""
    from preprocessing.readers import registry

    first, second = _casts()
    broken = (["Z" * 80 + "\n"] + first[1:]) if damage == "header" else (first[:-3] + ["X" * 80 + "\n"] * 3)
    path = tmp_path / "first.dat"
    path.write_text("".join(broken + second))
    assert wod_ascii.can_read(str(path))
    assert registry.route("wod", str(path)) is wod_ascii
    res = wod_ascii.read(str(path))
    assert res.rows["cast_id"].unique().tolist() == ["wod:15556443"] and len(res.rows) == 24
    assert len(res.problems) == 1 and res.problems[0].where == "cast 0 (line 1)"
    if damage == "data":
        assert res.lost_values["temperature"] == 4
