"""The real-data dry run: every ``bash`` block of docs/real-data.md, in order, in one shell, on small real inputs —
the observation files of tests/data/real and WOA/EN4-layout files of tests/data/covariates → covariates → ingest →
partition → a short fit → predict → products (and the CF checks the doc runs), all through the CLI."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "real-data.md"
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.M | re.S)


def test_every_bash_block_of_the_real_data_doc_runs(tmp_path):
    blocks = bash_blocks(DOC.read_text())
    assert len(blocks) >= 6 and all("oxygen-hpc" in b for b in blocks)
    data = tmp_path / "data"
    data.mkdir()
    for s in ("wod", "cchdo", "argo", "geotraces"):          # no GLODAP file in tests/data/real
        (data / s).symlink_to(REPO / "tests" / "data" / "real" / s)
    for s in ("woa", "en4"):
        (data / s).symlink_to(REPO / "tests" / "data" / "covariates" / s)
    train = tmp_path / "train.yaml"           # tiny.yaml stopped after 12 steps, validated on the 2 years with labels
    train.write_text(f"extends: [{REPO / 'configs/train/tiny.yaml'}]\n"
                     "trainer:\n  max_epochs: 2\n  limit_train_batches: 6\n"
                     "data:\n  init_args:\n    eval_years: [2013, 2015]\n")
    work = tmp_path / "work"
    env = {**os.environ, "DATA": str(data), "WORK": str(work), "COVARIATES": "configs/covariates/dryrun.yaml",
           "PREPROCESS": "configs/preprocess/demo.yaml", "TRAIN": str(train), "INFER": "configs/infer/tiny.yaml",
           "PRODUCTS": "configs/products/demo.yaml", "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
           "WANDB_MODE": "offline"}
    script = "set -euo pipefail\n" + "\n".join(blocks)
    r = subprocess.run(["bash", "-c", script], cwd=REPO, env=env, capture_output=True, text=True, timeout=840,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.stdout[-4000:], r.stderr[-4000:])
    out = r.stdout + r.stderr
    prov = json.loads(__import__("netCDF4").Dataset(work / "covariates.nc").provenance)
    assert prov["years"]["2010"] == "EN4 (12 months)" and prov["years"]["2008"] == "WOA climatology"
    report = json.loads((work / "store" / "ingest_report.json").read_text())
    assert report["totals"]["oxygen"]["accepted"] > 1000 and not report["failed_files"]
    assert "check: 12 of 12 files good" in out
    assert re.search(r"fit: step 12/12 \(100%\)", out) and "fit: validation at step" in out
    assert json.loads((work / "runs" / "oxy" / "metrics.json").read_text())["val/rmse"] > 0
    assert sorted(p.name for p in (work / "reconstruction").glob("o2_*.nc")) == [f"o2_{y}.nc" for y in range(2008, 2020)]
    assert out.count("All tests passed!") == 1                 # compliance-checker on products.nc
    assert sorted(p.name for p in (work / "products" / "maps").glob("o2_trend_*.png")) == [
        "o2_trend_500m.png", "o2_trend_50m.png"]       # nearest levels to 100 and 500 m
