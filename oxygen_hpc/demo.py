"""`make demo`: the whole pipeline on the synthetic ocean, on this CPU, each stage through the real CLI.

synth → ingest → partition → check → background → fit (an ensemble of ``--members`` seeds) → calibrate → predict →
products.
Every stage prints where its output went; this driver prints a closing table. Stages run as subprocesses of
`oxygen-hpc`, exactly as a user would type them. The members learn the anomaly from a background field fitted on
the training folds (``oxygen-hpc background``); ``calibrate`` fits their spread's scale on the validation fold;
predict writes their mean as ``o2``, their (calibrated) spread as ``o2_std``
and each member (``o2_member``), and products prints the OMZ and inventory figures with the members' spread.
"""
from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")


def _run(cmd: list[str], log: list) -> None:
    print(f"\n$ {shlex.join(cmd)}", flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    log.append((cmd[1], time.time() - t0))


def _folds(train_config: str) -> tuple[int, int]:
    """The held-out (validation, test) folds the train config names (its background must be built for them)."""
    from oxygen_contracts.compose import compose

    data = (compose(train_config).get("data") or {}).get("init_args") or {}
    return int(data.get("val_fold", 0)), int(data.get("test_fold", 1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m oxygen_hpc.demo")
    p.add_argument("--out", default="demo_out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--synth-config", default="configs/synthetic/demo.yaml")
    p.add_argument("--preprocess-config", default="configs/preprocess/demo.yaml")
    p.add_argument("--train-config", default="configs/train/demo.yaml")
    p.add_argument("--infer-config", default="configs/infer/demo.yaml")
    p.add_argument("--products-config", default="configs/products/demo.yaml")
    p.add_argument("--members", type=int, default=3, help="ensemble members (seeds SEED..SEED+N-1)")
    a = p.parse_args(argv)
    if a.members < 1:
        p.error("--members must be >= 1")
    for stage in ("synth", "preprocess", "train", "infer", "products"):  # every stage runs: no config is an error
        config = getattr(a, f"{stage}_config")
        if not Path(config).is_file():
            p.error(f"--{stage}-config {config}: no such file (run from the repository root, or pass the config)")
    exe = [str(Path(sys.executable).with_name("oxygen-hpc"))]
    out = Path(a.out).resolve()
    ocean, store, parts, runs = out / "ocean", out / "store", out / "partitions", out / "runs"
    log: list = []
    _run(exe + ["synth", "--config", a.synth_config, "--out", str(ocean), "--seed", str(a.seed)], log)
    srcs = [f"--source={s}={ocean / s}" for s in SOURCES if (ocean / s).exists()]
    _run(exe + ["ingest", "--config", a.preprocess_config, "--out", str(store), *srcs], log)
    _run(exe + ["partition", "--config", a.preprocess_config, "--store", str(store),
                "--covariates", str(ocean / "covariates.nc"), "--out", str(parts)], log)
    _run(exe + ["check", str(parts)], log)
    folds = _folds(a.train_config)
    background = parts / f"background_v{folds[0]}_t{folds[1]}.h5"
    _run(exe + ["background", "--partitions", str(parts), "--val-fold", str(folds[0]), "--test-fold", str(folds[1]),
                "--out", str(background)], log)
    members = [runs / f"member_{k}" for k in range(a.members)]
    for k, run in enumerate(members):
        _run(exe + ["fit", "--config", a.train_config, f"--data.init_args.root={parts}",
                    f"--data.init_args.background={background}", f"--trainer.default_root_dir={run}",
                    f"--seed_everything={a.seed + k}", f"--data.init_args.seed={a.seed + k}"], log)
    ckpts = [str(r / "checkpoints" / "last.ckpt") for r in members]
    scale = []
    if len(members) > 1:                     # the spread, calibrated on the validation fold
        _run(exe + ["calibrate", "--partitions", str(parts), "--background", str(background), "--val-fold",
                    str(folds[0]), "--test-fold", str(folds[1]), "--checkpoint", *ckpts, "--out",
                    str(runs / "calibration.json")], log)
        scale = ["--spread-scale", str(runs / "calibration.json")]
    _run(exe + ["predict", "--config", a.infer_config, "--partitions", str(parts), "--background", str(background),
                "--checkpoint", *ckpts, *scale, "--out", str(out / "reconstruction")], log)
    _run(exe + ["products", "--config", a.products_config, "--input", str(out / "reconstruction"),
                "--out", str(out / "products")], log)
    print("\ndemo finished:")
    for verb, secs in log:
        print(f"  {verb:<10} {secs:7.1f} s")
    for run in members:
        metrics = run / "metrics.json"
        if metrics.is_file():
            m = json.loads(metrics.read_text())
            print(f"{run.name}: validation fold RMSE {m['val/rmse']:.4g} µmol/kg, MAE {m['val/mae']:.4g}, "
                  f"R² {m['val/r2']:.4g} after {m['global_step']} steps ({metrics})")
    print(f"outputs under {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
