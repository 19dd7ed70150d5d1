"""OSSE benchmark: OxyGenerator vs every baseline on the same folds of a synthetic ocean, scored against
held-out observations and against the truth at never-observed nodes.

    python benchmarks/osse.py --world /tmp/osse/ocean --out results.json --epochs 3 [--ablations]

``--world`` is an ``oxygen-hpc synth`` output (native files + truth.nc + covariates.nc). Missing stages are built
with ``oxygen-hpc ingest/partition`` subprocesses into ``--work`` (default WORLD/../osse_work) with
``configs/preprocess/<--preprocess>.yaml``, or ``--partitions`` reuses existing ones (they must come from this world).

Writes ``--out`` = {method: {"held_out": {n, mae, rmse, r2, mape, n_mape}, "unobserved": {...}, "val": {...},
"train_seconds": s, "predict_seconds": s, ...}} after every method (a crash keeps what was done), a sidecar
``<out stem>.meta.json`` (command, seed, folds, sizes, hardware, wall times), and prints a table sorted by
held-out RMSE. Held-out = owned nodes of ``--test-fold`` against their observed binned value; unobserved = a fixed
sample of (cell, year) nodes with no observation at all, against truth.nc. Validation fold metrics are reported
for choosing hyper-parameters; the test fold is never used for that.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTHONUNBUFFERED", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _args(argv):
    from oxygen_hpc.evaluation.methods import ABLATIONS, NEURAL_BASELINES, TABLE_BASELINES
    from oxygen_hpc.evaluation.suite import EXTRA_ABLATIONS, HEADLINE

    all_methods = ("oxygenerator",) + NEURAL_BASELINES + TABLE_BASELINES
    p = argparse.ArgumentParser(prog="benchmarks/osse.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--world", required=True, help="synthetic ocean directory (oxygen-hpc synth --out)")
    p.add_argument("--out", default="results.json")
    p.add_argument("--work", help="where to build store/partitions (default WORLD/../osse_work)")
    p.add_argument("--partitions", help="reuse these partitions (skip ingest/partition)")
    p.add_argument("--preprocess", default="demo", help="configs/preprocess/<NAME>.yaml (tiny | demo) or a path")
    p.add_argument("--workers", type=int, default=2, help="Dask workers for ingest/partition")
    p.add_argument("--epochs", type=int, default=4, help="epochs for every neural method (the budget: 416 optimiser "
                   "steps of --batch-size partitions per epoch on the demo ocean)")
    p.add_argument("--limit-train-batches", type=float, default=None,
                   help="fraction (≤1) or number of training batches per epoch (default all)")
    p.add_argument("--years", default="1933:2023:18",
                   help="START:END[:STEP] (inclusive): the years every method is validated and scored on (default "
                   "1933:2023:18, the budget's; 'all' for every year); neural methods train on every year "
                   "(--neural-train-years)")
    p.add_argument("--table-train-years", choices=("all", "same"), default="all",
                   help="table baselines fit on the training-fold observations of every year (all; the neural "
                   "models see other years' training observations through `series`) or of --years only (same)")
    p.add_argument("--neural-train-years", choices=("same", "all"), default="all",
                   help="neural methods train on the partitions of --years (same) or of every year (all: the "
                   "training-fold observations the table baselines see with --table-train-years all); they are "
                   "validated and scored on --years either way")
    p.add_argument("--lr", type=float, default=0.01,
                   help="learning rate of every neural method (0: each method's train config)")
    p.add_argument("--no-fit-subgraph", dest="fit_subgraph", action="store_false",
                   help="train on whole partitions (default: every neural method trains on its targets' k-hop "
                   "in-neighbourhoods, PartitionDataModule fit_subgraph: the same predictions for a fraction of the "
                   "cost)")
    p.add_argument("--members", type=int, default=3, help="OxyGenerator's ensemble members (seeds 0..N-1)")
    p.add_argument("--no-background", dest="background", action="store_false",
                   help="OxyGenerator without the background field (default: it learns the anomaly)")
    p.add_argument("--background-all", action="store_true", help="give the background to the neural baselines too")
    p.add_argument("--ablation-seeds", default="0,1,2", help="seeds of each ablation and of the full model")
    p.add_argument("--layers", type=int, default=4,
                   help="message-passing layers of every graph network (OxyGenerator, GCN, GAT, GraphSAGE; default "
                   "4, chosen on the validation fold: 13.05 against 13.22 µmol/kg with 2); partitions built here get "
                   "a halo that deep, reused ones (--partitions) must have it (partition.layers)")
    p.add_argument("--curve-every", type=int, default=None,
                   help="also validate every N optimiser steps and store each neural method's learning curve "
                   "(validation-fold RMSE by step) as 'curve' in --out; the zone-adaptive sampling then re-weights at "
                   "each of these validations instead of at epoch ends")
    p.add_argument("--val-fold", type=int, default=0)
    p.add_argument("--test-fold", type=int, default=1)
    p.add_argument("--n-unobserved", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--num-workers", type=int, default=1, help="DataLoader workers")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    p.add_argument("--train-config", default="demo", help="<configs>/<NAME>.yaml: OxyGenerator's config, the base "
                   "the baselines and ablations change")
    p.add_argument("--configs", default="configs/train", help="the train configs folder")
    p.add_argument("--methods", default=",".join(all_methods),
                   help=f"comma list, or 'headline' ({','.join(HEADLINE)}); default all: {','.join(all_methods)}")
    p.add_argument("--ablations", nargs="?", const="all", default=None,
                   help=f"also ablation_{{{','.join(ABLATIONS + EXTRA_ABLATIONS)}}} and the full model "
                   "(oxygenerator_single), each trained once per --ablation-seeds, mean ± std; a comma list of "
                   "those names (and 'full') runs only them, e.g. to share them out between processes")
    return p.parse_args(argv)


def _years(spec, all_years):
    if not spec or spec == "all":
        return None
    parts = [int(v) for v in spec.split(":")]
    start, end, step = (parts + [parts[0], 1])[:3] if len(parts) == 1 else (parts + [1])[:3]
    ys = [y for y in range(start, end + 1, step) if y in set(all_years)]
    if not ys:
        raise SystemExit(f"--years {spec}: no partitions in those years")
    return ys


def _table(results: dict) -> str:
    rows = sorted(results.items(), key=lambda kv: kv[1]["held_out"]["rmse"])
    head = (f"{'method':<27} | {'held-out (test fold, vs observed)':^34} | {'never-observed (vs truth)':^34} | "
            f"{'train s':>8}")
    sub = f"{'':<27} | {'rmse':>7} {'mae':>7} {'r2':>7} {'mape%':>8} | {'rmse':>7} {'mae':>7} {'r2':>7} {'mape%':>8} |"
    lines = [head, sub, "-" * len(head)]
    for m, r in rows:
        h, u = r["held_out"], r["unobserved"]
        lines.append(f"{m:<27} | {h['rmse']:7.2f} {h['mae']:7.2f} {h['r2']:7.3f} {h['mape']:8.2f} | "
                     f"{u['rmse']:7.2f} {u['mae']:7.2f} {u['r2']:7.3f} {u['mape']:8.2f} | {r['train_seconds']:8.1f}")
    return "\n".join(lines)


def _hardware() -> dict:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cpus_visible": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform()}


def main(argv=None) -> int:
    a = _args(argv)
    t_start = time.time()
    import torch

    torch.set_num_threads(a.threads)
    from oxygen_hpc.background.build import build_background
    from oxygen_hpc.evaluation.ensemble import aggregate_seeds, run_ensemble
    from oxygen_hpc.evaluation.harness import EvalSets, run_table
    from oxygen_hpc.evaluation.suite import HEADLINE, Budget, ablation_names, plan
    from oxygen_hpc.evaluation.methods import TABLE_BASELINES, neural_methods, table_baseline
    from oxygen_hpc.evaluation.tables import node_tables, split
    from oxygen_contracts.manifest import PartitionManifest
    from oxygen_hpc.evaluation.truth import truth_values
    from oxygen_hpc.evaluation.world import prepare

    try:
        abl = ablation_names(a.ablations)
    except ValueError as e:
        raise SystemExit(str(e)) from None

    world = Path(a.world).resolve()
    prep: dict = {}
    if a.partitions:
        parts = Path(a.partitions).resolve()
    else:
        tpl = a.preprocess if a.preprocess.endswith(".yaml") else f"configs/preprocess/{a.preprocess}.yaml"
        parts, prep = prepare(world, a.work, tpl, workers=a.workers, layers=a.layers)
    manifest = PartitionManifest.read(parts)
    grid = manifest.grid

    t0 = time.time()
    all_years = sorted({int(p["year"]) for p in manifest["partitions"]})
    years = _years(a.years, all_years)
    labelled, _ = node_tables(parts, 0, a.seed)
    _, unobs = node_tables(parts, a.n_unobserved, a.seed, years=years)
    in_years = labelled["year"].isin(years if years is not None else all_years)
    sp = split(labelled[in_years], a.val_fold, a.test_fold)
    if a.table_train_years == "all":
        sp["train"] = split(labelled, a.val_fold, a.test_fold)["train"]
    truth = truth_values(world / "truth.nc", grid, unobs["cell"], unobs["year"])
    keep = truth == truth
    if not keep.all():
        print(f"warning: {int((~keep).sum())} sampled nodes have no truth; dropped", file=sys.stderr)
        unobs, truth = unobs[keep].reset_index(drop=True), truth[keep]
    sets = EvalSets(sp["train"], sp["val"], sp["test"], unobs, truth, grid.ncells)
    tables_s = time.time() - t0
    print(f"partitions {parts}: {len(manifest['partitions'])} partitions, years "
          f"{'all' if years is None else years}; labelled nodes train {len(sets.train):,} "
          f"val {len(sets.val):,} test {len(sets.test):,}; never-observed sample {len(unobs):,} "
          f"({tables_s:.0f} s)", flush=True)

    methods = list(HEADLINE) if a.methods == "headline" else [m.strip() for m in a.methods.split(",") if m.strip()]
    same = {"data.init_args.fit_subgraph": bool(a.fit_subgraph)}
    if a.lr:
        same["model.init_args.lr"] = a.lr
    budget = Budget(epochs=a.epochs, batch_size=a.batch_size, members=a.members,
                    ablation_seeds=tuple(int(v) for v in a.ablation_seeds.split(",")), background=a.background,
                    background_all=a.background_all, overrides=same, layers=a.layers)
    specs = neural_methods(ablations=bool(abl), base=a.train_config, configs=a.configs)
    unknown = [m for m in methods if m not in specs and m not in TABLE_BASELINES]
    if unknown:
        raise SystemExit(f"unknown method(s) {unknown}")
    if a.layers is not None and a.layers > manifest.layers:
        raise SystemExit(f"--layers {a.layers}: the partitions' halo is {manifest.layers} hops ({parts}); "
                         f"partition with partition.layers >= {a.layers}")
    bg_path = None
    if a.background and ("oxygenerator" in methods or abl):
        bg_path = (Path(a.work) if a.work else world.parent / "osse_work") / f"background_v{a.val_fold}_t{a.test_fold}.h5"
        if not bg_path.is_file():
            t0 = time.time()
            build_background(parts, bg_path, a.val_fold, a.test_fold, seed=a.seed)
            prep["background"] = round(time.time() - t0, 1)
    todo = plan(methods, specs, budget, bg_path, abl)

    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results: dict = {}
    meta = {"command": " ".join([sys.executable, *sys.argv]) if argv is None else " ".join(argv),
            "world": str(world), "partitions": str(parts), "seed": a.seed, "epochs": a.epochs,
            "val_fold": a.val_fold, "test_fold": a.test_fold, "batch_size": a.batch_size,
            "limit_train_batches": a.limit_train_batches, "years": years if years is not None else "all",
            "table_train_years": a.table_train_years, "neural_train_years": a.neural_train_years, "lr": a.lr,
            "fit_subgraph": a.fit_subgraph, "members": a.members, "background": str(bg_path) if bg_path else None,
            "ablation_seeds": a.ablation_seeds, "layers": a.layers, "curve_every": a.curve_every,
            "n_partitions": len(manifest["partitions"]),
            "n_train": len(sets.train), "n_val": len(sets.val), "n_test": len(sets.test),
            "n_unobserved": len(unobs), "fold_scheme": manifest["config"].get("folds", {}),
            "preprocess_seconds": prep, "tables_seconds": round(tables_s, 1), "hardware": _hardware()}
    work_dir = (Path(a.work) if a.work else world.parent / "osse_work") / "runs"
    lt = a.limit_train_batches
    lt = int(lt) if lt is not None and lt > 1 else lt
    common = dict(batch_size=a.batch_size, num_workers=a.num_workers, limit_train_batches=lt, years=years,
                  train_years=None if a.neural_train_years == "all" else "same", curve_every=a.curve_every,
                  overrides=same)
    for job in todo:
        m = job["name"]
        t0 = time.time()
        print(f"\n== {m}", flush=True)
        if job["kind"] == "table":
            r = run_table(table_baseline(m, a.seed, world=world), sets)
        elif job["kind"] == "ensemble":
            r = run_ensemble(job["config"], parts, sets, a.val_fold, a.test_fold, a.epochs, job["seeds"],
                             work_dir=work_dir / m, **common)
        else:
            per_seed = [run_ensemble(job["config"], parts, sets, a.val_fold, a.test_fold, a.epochs, [s],
                                     work_dir=work_dir / m / f"seed_{s}", **common) for s in job["seeds"]]
            r = aggregate_seeds(per_seed)
        r["wall_seconds"] = round(time.time() - t0, 1)
        results[m] = r
        h, u = r["held_out"], r["unobserved"]
        spread = f"  coverage90 {h['coverage90']:.2f}/{u['coverage90']:.2f}" if "coverage90" in h else ""
        print(f"   held-out rmse {h['rmse']:.2f}  never-observed rmse {u['rmse']:.2f}  val rmse "
              f"{r['val']['rmse']:.2f}{spread}  train {r['train_seconds']:.0f} s  wall {r['wall_seconds']:.0f} s",
              flush=True)
        out.write_text(json.dumps(results, indent=1))
    meta["wall_seconds"] = round(time.time() - t_start, 1)
    out.with_name(out.stem + ".meta.json").write_text(json.dumps(meta, indent=1))
    print("\n" + _table(results))
    print(f"\nresults: {out}  (meta: {out.with_name(out.stem + '.meta.json')}); total {meta['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
