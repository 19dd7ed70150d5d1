"""On one GPU (marked gpu: `make gpu-check`): predict on CUDA in fp32 agrees with the CPU run, and bf16 with fp32."""
from __future__ import annotations

import netCDF4
import numpy as np
import pytest

from .infer_util import YEARS, predict

pytestmark = [pytest.mark.gpu, pytest.mark.timeout(300)]


def _o2(folder) -> dict:
    out = {}
    for y in range(YEARS[0], YEARS[1] + 1):
        with netCDF4.Dataset(folder / f"o2_{y}.nc") as ds:
            out[y] = np.ma.filled(ds["o2"][:].astype(np.float64), np.nan)
    return out


def test_predict_on_cuda_fp32_matches_cpu_and_bf16_agrees(infer_parts, ckpts, reference, tmp_path):
    runs = {}
    for precision in ("fp32", "bf16"):
        out = tmp_path / precision
        assert predict("--partitions", infer_parts, "--checkpoint", ckpts[0], "--out", out, "--device", "cuda",
                       "--precision", precision) == 0
        runs[precision] = _o2(out)
    cpu = _o2(reference)
    for y in cpu:
        ocean = np.isfinite(cpu[y])
        assert ocean.any()
        for precision, got in runs.items():
            assert np.array_equal(np.isfinite(got[y]), ocean), (precision, y)       # every ocean cell, no land
        np.testing.assert_allclose(runs["fp32"][y][ocean], cpu[y][ocean], rtol=1e-4, atol=1e-3)
        # bf16 carries 8 bits of mantissa: ~0.4 % per value, a few µmol/kg on 100-300 µmol/kg
        diff = np.abs(runs["bf16"][y][ocean] - runs["fp32"][y][ocean])
        scale = np.abs(runs["fp32"][y][ocean]) + 1.0
        assert np.max(diff / scale) < 0.03 and np.mean(diff / scale) < 0.005, (y, float(np.max(diff)))
