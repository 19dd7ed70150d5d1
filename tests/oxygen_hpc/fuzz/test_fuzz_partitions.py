"""Fuzz: damaged partitions through `check`, a one-step `fit` (the CLI's main) and `predict` (issue 16).

A seeded mutator damages copies of tiny partitions — truncation at several offsets, flipped bytes (HDF5 metadata
and data), a dataset or group deleted, values edited, the manifest cut, stripped of a key, given wrong values or
marked unfinished, a file deleted, two files damaged at once — and every case asserts: no traceback and no error
type outside the project's own; the damaged file is named; ``check`` reports every damaged file, still checks the
others and fails; ``fit`` and ``predict`` refuse with one clear line (exit status 2). An undamaged copy is the
control: all three succeed on it. Bounded: about 20 cases, well under a minute on one core.
"""
from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest

from oxygen_contracts.manifest import MANIFEST, REQUIRED_KEYS
from tests.fixtures import toy
from tests.oxygen_hpc.inference.infer_util import predict, save_checkpoint

REPO = Path(__file__).resolve().parents[3]
SEED = 16
YEARS = (2000, 2003)
rng = random.Random(SEED)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    from preprocessing.partition.config import PartitionConfig
    from preprocessing.partition.pipeline import run

    d = tmp_path_factory.mktemp("fuzz")
    _, _, cov, store = toy.tiny_case(d, years=YEARS, store_years=(1996, 2007), rows=120, seed=5)
    run(PartitionConfig(covariates=str(cov), out=str(d / "parts"), zones_lon=2, zones_lat=2, layers=2), str(store),
        workers=1, progress=False)
    return d / "parts", save_checkpoint(d / "parts", d / "m.ckpt", 0)


# -- the mutator: each returns the names (file or manifest.json) the damage must be reported under ----------------
def _flip(path: Path, offsets) -> None:
    b = bytearray(path.read_bytes())
    for o in offsets:
        b[o % len(b)] ^= rng.randrange(1, 256)
    path.write_bytes(bytes(b))


def _h5(d, year, fn):
    with h5py.File(d / f"year={year}.h5", "r+") as f:
        fn(f)
    return [f"year={year}.h5"]


def _manifest(d, fn):
    m = json.loads((d / MANIFEST).read_text())
    fn(m)
    (d / MANIFEST).write_text(json.dumps(m))


def truncate(frac):
    def damage(d):
        p = d / "year=2001.h5"
        p.write_bytes(p.read_bytes()[: int(p.stat().st_size * frac)])
        return [p.name]
    return damage


def flip(n, region):
    def damage(d):
        p = d / "year=2002.h5"
        size = p.stat().st_size
        lo, hi = {"metadata": (0, 8192), "anywhere": (0, size), "tail": (size - size // 50, size)}[region]
        _flip(p, [rng.randrange(lo, hi) for _ in range(n)])
        return [p.name]
    return damage


def strip_key(d):
    key = rng.choice(REQUIRED_KEYS)
    _manifest(d, lambda m: m.pop(key))
    return [MANIFEST]


def cut_manifest(d):
    (d / MANIFEST).write_bytes((d / MANIFEST).read_bytes()[: rng.randrange(1, 400)])
    return [MANIFEST]


def two_files(d):
    return truncate(0.5)(d) + flip(8, "anywhere")(d)


CASES = {
    "truncate to 0": truncate(0.0), "truncate at 3%": truncate(0.03), "truncate at half": truncate(0.5),
    "truncate last byte": truncate(0.99999),
    "flip 1 metadata byte": flip(1, "metadata"), "flip 8 metadata bytes": flip(8, "metadata"),
    "flip 16 bytes anywhere": flip(16, "anywhere"), "flip 1 byte in the data": flip(1, "tail"),
    "delete a dataset": lambda d: _h5(d, 2003, lambda f: f["zone=01"].__delitem__("edge_attr")),
    "delete a group": lambda d: _h5(d, 2000, lambda f: f.__delitem__("zone=02")),
    "edit a feature": lambda d: _h5(d, 2002, lambda f: f["zone=03/x"].__setitem__((0, 0), 0.5)),
    "edit a label": lambda d: _h5(d, 2001, lambda f: f["zone=00/y"].__setitem__(0, 1e6)),
    "delete a file": lambda d: (d / "year=2003.h5").unlink() or ["year=2003.h5"],
    "two files damaged": two_files,
    "manifest cut": cut_manifest,
    "manifest key stripped": strip_key,
    "manifest sha256 wrong": lambda d: _manifest(d, lambda m: m["files"][2].update(sha256="0" * 64))
    or ["year=2002.h5"],
    "manifest bytes a string": lambda d: _manifest(d, lambda m: m["files"][0].update(bytes="x")) or [MANIFEST],
    "manifest lies about a partition": lambda d: _manifest(d, lambda m: m["partitions"][5].update(
        n_nodes=m["partitions"][5]["n_nodes"] + 2)) or ["year=2001.h5"],
    "manifest unfinished": lambda d: _manifest(d, lambda m: m.update(complete=False)) or [MANIFEST],
}


def _check(d):
    r = subprocess.run([sys.executable, "-m", "oxygen_hpc.cli", "check", str(d)], capture_output=True, text=True,
                       timeout=120, cwd=REPO)
    return r.returncode, r.stdout + r.stderr


def _fit(d, run, capfd):
    from oxygen_hpc.training.cli import main

    capfd.readouterr()
    rc = main(["fit", "--config", str(REPO / "configs/train/tiny.yaml"), f"--data.init_args.root={d}",
               f"--trainer.default_root_dir={run}", "--trainer.max_steps=1", "--trainer.limit_val_batches=1",
               "--wandb.mode=disabled", "--wandb.log_map_level=-1"])
    return rc, capfd.readouterr().err


def _predict(d, ckpt, out, capfd):
    capfd.readouterr()
    rc = predict("--partitions", d, "--checkpoint", ckpt, "--out", out)
    return rc, capfd.readouterr().err


@pytest.fixture(scope="module")
def restore_env():
    import os

    env = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(env)


@pytest.mark.timeout(300)
def test_the_control_passes_check_fit_and_predict(pristine, tmp_path, capfd, restore_env):
    parts, ckpt = pristine
    d = tmp_path / "parts"
    shutil.copytree(parts, d)
    assert _check(d)[0] == 0
    rc, err = _fit(d, tmp_path / "run", capfd)
    assert rc == 0, err[-3000:]
    rc, err = _predict(d, ckpt, tmp_path / "rec", capfd)
    assert rc == 0, err[-3000:]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", list(CASES))
def test_damage_is_named_and_refused_everywhere(pristine, tmp_path, capfd, restore_env, case):
    parts, ckpt = pristine
    d = tmp_path / "parts"
    shutil.copytree(parts, d)
    rng.seed(f"{SEED}:{case}")                             # each case the same damage, whatever runs with it
    named = CASES[case](d)
    listed = {f"year={y}.h5" for y in range(YEARS[0], YEARS[1] + 1)}

    rc, out = _check(d)
    assert rc == 1 and "Traceback" not in out, out[-3000:]
    bad = {line.split(": ")[0].removeprefix("BAD ") for line in out.splitlines() if line.startswith("BAD ")}
    assert {str(d / n) for n in named} <= bad, (named, out)
    if MANIFEST not in named:                              # the manifest is fine: every other file checked, good
        assert bad == {str(d / n) for n in named}, out
        assert f"{len(listed - set(named))} of {len(listed)} files good" in out, out

    for what, (rc, err) in {"fit": _fit(d, tmp_path / "run", capfd),
                            "predict": _predict(d, ckpt, tmp_path / "rec", capfd)}.items():
        assert rc == 2 and "Traceback" not in err, (what, err[-3000:])
        line = err.strip().splitlines()[-1]
        assert line.startswith(f"oxygen-hpc {what}: "), (what, line)
        assert any(str(d / n) in line for n in named), (what, named, line)
    assert not list((tmp_path / "rec").glob("o2_*.nc")) if (tmp_path / "rec").exists() else True
