"""slurm/infer.sh's argument handling, run outside Slurm (a stand-in ``srun`` runs the command in place):
checkpoint paths with spaces, as script arguments or in ``CHECKPOINT`` (issue 16, item 11)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFER = ROOT / "slurm" / "infer.sh"


@pytest.fixture
def stubs(tmp_path) -> tuple[Path, Path]:
    """(bin dir with an ``srun`` that drops its options and runs the rest, an ``oxygen-hpc`` that records argv)."""
    b = tmp_path / "bin"
    b.mkdir()
    (b / "srun").write_text('#!/usr/bin/env bash\nwhile [[ $1 == --* ]]; do shift; done\nexec "$@"\n')
    rec = tmp_path / "argv"
    (b / "oxy").write_text(f'#!/usr/bin/env bash\nprintf "%s\\0" "$@" > "{rec}"\n')
    for f in b.iterdir():
        f.chmod(0o755)
    return b, rec


def _run(stubs, *args, bin_=None, **env):
    b, rec = stubs
    e = {**os.environ, "PATH": f"{b}{os.pathsep}{os.environ['PATH']}", "OXYGEN_HPC_BIN": bin_ or str(b / "oxy"),
         **env}
    e.pop("CHECKPOINT", None)
    e.update(env)
    r = subprocess.run(["bash", str(INFER), *args], env=e, capture_output=True, text=True, timeout=300,
                       cwd=b.parent)
    return r, (rec.read_text().split("\0")[:-1] if rec.exists() else None)


def _ckpts(argv: list[str]) -> list[str]:
    i = argv.index("--checkpoint")
    out = []
    for a in argv[i + 1:]:
        if a.startswith("--"):
            break
        out.append(a)
    return out


def test_checkpoints_with_spaces_as_script_arguments(stubs, tmp_path):
    a, b = tmp_path / "my run" / "last.ckpt", tmp_path / "other run" / "e 2.ckpt"
    r, argv = _run(stubs, str(a), str(b))
    assert r.returncode == 0, r.stderr
    assert _ckpts(argv) == [str(a), str(b)]


def test_one_checkpoint_with_spaces_in_the_environment(stubs, tmp_path):
    ckpt = tmp_path / "my run" / "last.ckpt"
    ckpt.parent.mkdir()
    ckpt.write_bytes(b"x")
    r, argv = _run(stubs, CHECKPOINT=str(ckpt))
    assert r.returncode == 0, r.stderr
    assert _ckpts(argv) == [str(ckpt)]


def test_several_checkpoints_one_per_line_or_separated_by_spaces(stubs):
    r, argv = _run(stubs, CHECKPOINT="runs/a b/last.ckpt\nruns/c/last.ckpt\n")
    assert r.returncode == 0 and _ckpts(argv) == ["runs/a b/last.ckpt", "runs/c/last.ckpt"]
    r, argv = _run(stubs, CHECKPOINT="runs/a/last.ckpt runs/b/last.ckpt")       # the documented ensemble form
    assert r.returncode == 0 and _ckpts(argv) == ["runs/a/last.ckpt", "runs/b/last.ckpt"]
    r, argv = _run(stubs, OUT="my out", PARTITIONS="my parts")
    assert r.returncode == 0 and "--checkpoint" not in argv
    assert argv[argv.index("--out") + 1] == "my out" and argv[argv.index("--partitions") + 1] == "my parts"


def test_a_real_predict_through_the_script_with_a_spaced_checkpoint(stubs, tmp_path):
    """The whole path: the script, a stand-in srun, the real ``oxygen-hpc predict`` on tiny partitions."""
    import sys

    from preprocessing.partition.config import PartitionConfig
    from preprocessing.partition.pipeline import run
    from tests.fixtures import toy
    from tests.oxygen_hpc.inference.infer_util import CONFIG, save_checkpoint

    _, _, cov, store = toy.tiny_case(tmp_path, years=(2000, 2001), store_years=(1996, 2005), rows=60)
    parts = tmp_path / "parts"
    run(PartitionConfig(covariates=str(cov), out=str(parts), zones_lon=2, zones_lat=2, layers=2), str(store),
        workers=1, progress=False)
    ckpt = tmp_path / "my run" / "last model.ckpt"
    ckpt.parent.mkdir()
    save_checkpoint(parts, ckpt, 0)
    exe = str(Path(sys.executable).with_name("oxygen-hpc"))
    r, _ = _run(stubs, str(ckpt), bin_=exe, CONFIG=CONFIG, PARTITIONS=str(parts), OUT=str(tmp_path / "rec out"),
                DEVICE="cpu")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "rec out").glob("o2_*.nc")) == ["o2_2000.nc", "o2_2001.nc"]
