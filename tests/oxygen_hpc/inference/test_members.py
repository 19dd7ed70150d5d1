"""``write_members``: every member's field as ``o2_member`` (member, time, depth, lat, lon), each equal to what its
checkpoint predicts alone; the option is part of the completion key; products read the members."""
from __future__ import annotations

import netCDF4
import numpy as np
import xarray as xr

from oxygen_hpc.inference.config import InferConfig, load_config
from oxygen_hpc.inference.writer import FILL, O2_ATTRS

from .infer_util import CONFIG, predict


def test_members_equal_each_checkpoint_alone(infer_parts, ckpts, reference, tmp_path):
    ens, one = tmp_path / "ens", tmp_path / "one"
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", ens, "--years", "2001:2002",
                   "--write-members") == 0
    assert predict("--partitions", infer_parts, "--checkpoint", ckpts[1], "--out", one, "--years", "2001") == 0
    with xr.open_dataset(ens / "o2_2001.nc") as e, xr.open_dataset(reference / "o2_2001.nc") as a, \
            xr.open_dataset(one / "o2_2001.nc") as b:
        mem = e["o2_member"]
        assert mem.dims == ("member", "time", "depth", "lat", "lon") and mem.dtype == np.float32
        assert list(e["member"].values) == [0, 1] and e["member"].dtype.kind == "i"
        assert e["member"].attrs["standard_name"] == "realization"
        assert {k: mem.attrs[k] for k in O2_ATTRS} == {k: e["o2"].attrs[k] for k in O2_ATTRS} == O2_ATTRS
        ocean = np.isfinite(a["o2"].values)
        # each member is what its checkpoint predicts alone, bit for bit; land stays fill (NaN once decoded)
        np.testing.assert_array_equal(mem.values[0], a["o2"].values)
        np.testing.assert_array_equal(mem.values[1], b["o2"].values)
        # o2 and o2_std are the members' mean and population std
        m = mem.values.astype(np.float64)
        np.testing.assert_allclose(e["o2"].values[ocean], m.mean(0)[ocean], rtol=1e-6)
        np.testing.assert_allclose(e["o2_std"].values[ocean], m.std(0)[ocean], rtol=1e-4, atol=1e-4)
    with netCDF4.Dataset(ens / "o2_2001.nc") as nc:
        assert nc["o2_member"]._FillValue == FILL and nc["o2_member"].chunking()[:2] == [1, 1]
    # products read the members: the ensemble spread of every series
    from oxygen_hpc.products.config import ProductsConfig
    from oxygen_hpc.products.pipeline import compute

    prod = compute(ProductsConfig(input=str(ens), maps=False, basins=False))
    assert prod.members is not None and prod.members.n == 2
    assert (prod.yearly_table()["inventory_mol_std"] > 0).all()


def test_write_members_is_part_of_the_completion_key(infer_parts, ckpts, tmp_path, capsys):
    out = tmp_path / "rec"
    args = ("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", out, "--years", "2003")

    def run(*extra) -> str:
        capsys.readouterr()
        assert predict(*args, *extra) == 0
        return capsys.readouterr().out

    def has_members() -> bool:
        with netCDF4.Dataset(out / "o2_2003.nc") as nc:
            return "o2_member" in nc.variables and "member" in nc.dimensions

    assert "1 years written, 0 already finished" in run() and not has_members()
    assert "1 years written, 0 already finished" in run("--write-members") and has_members()
    assert "0 years written, 1 already finished" in run("--write-members") and has_members()
    assert "1 years written, 0 already finished" in run("--no-write-members") and not has_members()


def test_write_members_option():
    assert InferConfig().write_members is False
    assert load_config(CONFIG).write_members is False
    assert load_config(CONFIG.replace("tiny", "demo")).write_members is True
    assert load_config(CONFIG, {"write_members": True}).write_members is True
