"""`make demo`: the whole pipeline on the synthetic ocean, on this CPU, each stage through the real CLI.

synth → ingest → partition → check → fit → predict → products. Every stage prints where its output went; this
driver prints a closing table. Stages run as subprocesses of `oxygen-hpc`, exactly as a user would type them.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

from oxygen_hpc.cli import VERBS

SOURCES = ("wod", "cchdo", "argo", "glodap", "geotraces")


def _available(verb: str) -> bool:
    return importlib.util.find_spec(VERBS[verb][0]) is not None


def _run(cmd: list[str], log: list) -> None:
    print(f"\n$ {shlex.join(cmd)}", flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    log.append((cmd[1], time.time() - t0))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m oxygen_hpc.demo")
    p.add_argument("--out", default="demo_out")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--synth-config", default="configs/synthetic/demo.yaml")
    p.add_argument("--preprocess-config", default="configs/preprocess/demo.yaml")
    p.add_argument("--train-config", default="configs/train/demo.yaml")
    p.add_argument("--infer-config", default="configs/infer/demo.yaml")
    p.add_argument("--products-config", default="configs/products/demo.yaml")
    a = p.parse_args(argv)
    exe = [str(Path(sys.executable).with_name("oxygen-hpc"))]
    out = Path(a.out).resolve()
    ocean, store, parts, runs = out / "ocean", out / "store", out / "partitions", out / "runs"
    log: list = []
    _run(exe + ["synth", "--config", a.synth_config, "--out", str(ocean), "--seed", str(a.seed)], log)
    if _available("ingest"):
        srcs = [f"--source={s}={ocean / s}" for s in SOURCES if (ocean / s).exists()]
        _run(exe + ["ingest", "--config", a.preprocess_config, "--out", str(store), *srcs], log)
    if _available("partition"):
        _run(exe + ["partition", "--config", a.preprocess_config, "--store", str(store),
                    "--covariates", str(ocean / "covariates.nc"), "--out", str(parts)], log)
        _run(exe + ["check", str(parts)], log)
    if _available("fit") and Path(a.train_config).exists():
        _run(exe + ["fit", "--config", a.train_config, f"--data.init_args.root={parts}",
                    f"--trainer.default_root_dir={runs / 'oxygenerator'}"], log)
    if _available("predict") and Path(a.infer_config).exists():
        _run(exe + ["predict", "--config", a.infer_config, "--partitions", str(parts),
                    "--checkpoint", str(runs / "oxygenerator" / "checkpoints" / "last.ckpt"),
                    "--out", str(out / "reconstruction")], log)
    if _available("products") and Path(a.products_config).exists():
        _run(exe + ["products", "--config", a.products_config, "--input", str(out / "reconstruction"),
                    "--out", str(out / "products")], log)
    print("\ndemo finished:")
    for verb, secs in log:
        print(f"  {verb:<10} {secs:7.1f} s")
    print(f"outputs under {out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
