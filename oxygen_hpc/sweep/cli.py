"""`oxygen-hpc sweep`: expand a W&B-syntax sweep spec into configs, submit it as one Slurm job array, report.

  oxygen-hpc sweep SPEC.yaml [--dir DIR] [--submit] [--parallel K] [--wandb] [--dry-run] [--seed S]
                             [--force] [-- SBATCH_ARGS...]
  oxygen-hpc sweep run-task DIR INDEX      (what slurm/sweep.sh runs in each array task)
  oxygen-hpc sweep report DIR
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from oxygen_hpc.sweep import report as rep
from oxygen_hpc.sweep.expand import SweepError, load_spec
from oxygen_hpc.sweep.plan import plan
from oxygen_hpc.sweep.slurm import sbatch_argv, submit
from oxygen_hpc.sweep.store import write
from oxygen_hpc.sweep.task import run_task
from oxygen_hpc.sweep.tracking import use_wandb


def _expand_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oxygen-hpc sweep", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("spec", help="sweep spec (W&B sweep YAML syntax + base_config)")
    p.add_argument("--dir", help="sweep directory (default: sweeps/<spec name>)")
    p.add_argument("--submit", action="store_true", help="submit one sbatch --array for all runs")
    p.add_argument("--parallel", type=int, metavar="K", help="at most K array tasks at once (--array=...%%K)")
    p.add_argument("--wandb", action="store_true", help="create a W&B sweep; each task runs `wandb agent --count 1`")
    p.add_argument("--dry-run", action="store_true", help="print the runs and the sbatch command, write nothing")
    p.add_argument("--seed", type=int, help="random search seed (default: the spec's seed, else 0)")
    p.add_argument("--force", action="store_true", help="reuse a directory that already holds a sweep")
    return p


def _expand(argv: list[str]) -> int:
    extra: list[str] = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    a = _expand_parser().parse_args(argv)
    if a.parallel is not None and a.parallel < 1:
        raise SweepError("--parallel must be >= 1")
    spec = load_spec(a.spec)
    out = Path(a.dir or Path("sweeps") / (spec.get("name") or Path(a.spec).stem))
    if (out / "sweep.json").exists() and not a.force and not a.dry_run:
        raise SweepError(f"{out} already holds a sweep (sweep.json); use another --dir or --force")
    data = plan(spec, a.spec, out, seed=a.seed)
    if a.wandb and not a.dry_run:
        data = use_wandb(data)
    if a.dry_run:
        for t in data["tasks"]:
            print(f"[{t['index']}] {json.dumps(t['overrides'])}\n    argv: {json.dumps(t['argv'])}")
        print(f"{data['n']} runs; would write {out.resolve()}")
        if a.submit:
            print("would run: " + json.dumps(sbatch_argv(data, a.parallel, extra)))
        return 0
    write(data)
    print(f"{data['n']} runs written to {out.resolve()} (configs/, sweep.json)")
    if data["mode"] == "wandb":
        print(f"W&B sweep {data['wandb']['path']}")
    if a.submit:
        job = submit(out, a.parallel, extra)
        print(f"submitted job array {job} (0-{data['n'] - 1}); logs in {out.resolve() / 'logs'}")
        print(f"when done: oxygen-hpc sweep report {out}")
    else:
        print(f"submit with: oxygen-hpc sweep {a.spec} --dir {out} --force --submit   "
              f"(or SWEEP_DIR={out.resolve()} sbatch --array=0-{data['n'] - 1} slurm/sweep.sh)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run-task":
            if len(argv) != 3 or not argv[2].lstrip("-").isdigit():
                print("usage: oxygen-hpc sweep run-task DIR INDEX", file=sys.stderr)
                return 2
            return run_task(argv[1], int(argv[2]))
        if argv and argv[0] == "report":
            if len(argv) != 2:
                print("usage: oxygen-hpc sweep report DIR", file=sys.stderr)
                return 2
            print(rep.report(argv[1]))
            return 0
        if not argv:
            _expand_parser().print_help()
            return 2
        return _expand(argv)
    except SweepError as e:
        print(f"oxygen-hpc sweep: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
