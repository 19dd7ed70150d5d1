"""Every shipped train config (composed from the pieces it ``extends``) parses into the classes it names (LightningCLI ``--print_config``), so a renamed
argument or a typo in ``configs/train/`` fails here rather than at the start of a cluster job.

One subprocess parses them all (the stack's imports once, not once per file)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from oxygen_contracts.compose import compose

REPO = Path(__file__).resolve().parents[3]
CONFIGS = sorted((REPO / "configs" / "train").glob("*.yaml"))
PARSE_ALL = """
import contextlib, io, json, sys
from oxygen_hpc.training.cli import main
out = {}
for path in sys.argv[1:]:
    buf, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        try:
            main(["fit", "--config", path, "--print_config"])
        except SystemExit as e:
            code = e.code or 0
    out[path] = {"code": code, "stdout": buf.getvalue(), "stderr": err.getvalue()[-2000:]}
print(json.dumps(out))
"""


def test_every_train_config_parses(tmp_path):
    assert len(CONFIGS) >= 10
    r = subprocess.run([sys.executable, "-c", PARSE_ALL, *map(str, CONFIGS)], capture_output=True, text=True,
                       timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    parsed = json.loads(r.stdout.strip().splitlines()[-1])
    for path in CONFIGS:
        res = parsed[str(path)]
        assert res["code"] == 0, f"{path.name}: {res['stderr']}"
        resolved = yaml.safe_load(res["stdout"])
        given = compose(path)                          # the file with the pieces it `extends`
        for section in ("model", "data"):              # what the file sets is what the CLI resolved
            for key, value in ((given.get(section) or {}).get("init_args") or {}).items():
                assert resolved[section]["init_args"][key] == value, f"{path.name}: {section}.{key}"
