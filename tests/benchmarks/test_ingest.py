"""Smoke run of benchmarks/ingest.py on a tiny synthetic set: every format measured, JSON written."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_ingest_bench_smoke(tmp_path):
    out = tmp_path / "r.json"
    cfg = tmp_path / "bench.yaml"      # the bench config, tiny, with enough Argo oxygen profiles to have floats
    cfg.write_text((REPO / "configs/synthetic/bench.yaml").read_text()
                   .replace("argo_oxygen_share: {2016: 0.005}", "argo_oxygen_share: {2016: 0.5}"))
    p = subprocess.run([sys.executable, str(REPO / "benchmarks/ingest.py"), "--workdir", str(tmp_path / "w"),
                        "--config", str(cfg),
                        "--scale", "0.001", "--no-e2e", "--mem-files", "0", "--out", str(out)],
                       capture_output=True, text=True, cwd=REPO, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    r = json.loads(out.read_text())
    formats = {f["format"] for f in r["formats"]}
    assert {"wod_ragged", "glodap", "cchdo_exchange", "argo", "geotraces"} <= formats
    for f in r["formats"]:
        assert f["rows"] > 0 and f["rows_staged"] == f["rows"]
        assert f["plain"]["MB_per_s_cpu"] > 0 and f["reader/plain_cpu"] > 0
