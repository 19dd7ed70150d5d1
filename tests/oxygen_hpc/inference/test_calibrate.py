"""`oxygen-hpc calibrate` fits the ensemble's spread scale on the validation fold; predict applies it to every
member's deviation from the mean, so o2 is unchanged and o2_std scales by exactly that factor."""
from __future__ import annotations

import json

import netCDF4
import numpy as np
import pytest

from oxygen_hpc.inference.calibrate import calibrate, main

from .infer_util import predict


def test_calibrate_then_predict_with_the_scale(infer_parts, ckpts, tmp_path, capsys):
    out = tmp_path / "cal.json"
    assert main(["--partitions", str(infer_parts), "--checkpoint", *map(str, ckpts), "--out", str(out)]) == 0
    cal = json.loads(out.read_text())
    assert cal["spread_scale"] > 0 and cal["n"] > 0 and cal["members"] == 2
    assert cal["coverage90"] == pytest.approx(0.9, abs=0.1)
    direct = calibrate(str(infer_parts), list(map(str, ckpts)), 0, 1)
    assert direct["spread_scale"] == cal["spread_scale"]
    raw, scaled = tmp_path / "raw", tmp_path / "scaled"
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", raw, "--years", "2000") == 0
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", scaled, "--years", "2000",
                   "--spread-scale", out) == 0
    with netCDF4.Dataset(raw / "o2_2000.nc") as a, netCDF4.Dataset(scaled / "o2_2000.nc") as b:
        np.testing.assert_allclose(b["o2"][:], a["o2"][:], rtol=1e-5)
        np.testing.assert_allclose(b["o2_std"][:], cal["spread_scale"] * a["o2_std"][:], rtol=1e-4, atol=1e-4)
    with pytest.raises(SystemExit):
        predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", raw, "--spread-scale", tmp_path / "x")
    assert main(["--partitions", str(infer_parts), "--checkpoint", str(ckpts[0]), "--out", str(out)]) == 2
    assert "needs an ensemble" in capsys.readouterr().err
