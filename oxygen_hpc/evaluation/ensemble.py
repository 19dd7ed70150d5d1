"""Ensembles and seeds in the OSSE harness: a neural method trained several times, scored as one.

- :func:`run_ensemble`: members differing in their seed (initial weights and which training folds are each draw's
  targets) → the mean is the prediction, the members' spread its uncertainty. The spread is calibrated on the
  validation fold only (:func:`~oxygen_hpc.evaluation.calibration.fit_spread_scale`: the factor that makes the
  central 90 % interval cover 90 % of validation values) and then scored, raw and calibrated, on held-out
  observations and on never-observed nodes against truth: ``coverage90`` and ``crps`` (µmol/kg).
- :func:`aggregate_seeds`: the same method trained with several seeds, reported as mean ± std per metric (the
  ablation table: a difference smaller than the seeds' spread is noise).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from oxygen_hpc.evaluation.calibration import crps_members, fit_spread_scale, spread_metrics
from oxygen_hpc.evaluation.harness import EvalSets, run_neural, score

BLOCKS = ("val", "held_out", "unobserved")
METRICS = ("rmse", "mae", "r2", "mape")


def run_ensemble(config: dict, root: str | Path, sets: EvalSets, val_fold: int, test_fold: int, epochs: int,
                 seeds: Sequence[int], work_dir: str | Path | None = None, log=print, **kw: Any) -> dict:
    """Train ``config`` once per seed (:func:`~oxygen_hpc.evaluation.harness.run_neural`) and score the members'
    mean, with the spread's coverage and CRPS (raw and calibrated on the validation fold)."""
    preds, members = [], []
    for s in seeds:
        wd = None if work_dir is None else Path(work_dir) / f"member_{s}"
        r = run_neural(config, root, sets, val_fold, test_fold, epochs, seed=int(s), work_dir=wd,
                       return_predictions=True, **kw)
        preds.append(r.pop("predictions"))
        members.append(r)
        log(f"   member seed {s}: val rmse {r['val']['rmse']:.2f}, held-out {r['held_out']['rmse']:.2f}, "
            f"never-observed {r['unobserved']['rmse']:.2f} ({r['train_seconds']:.0f} s)")
    stacks = [np.stack([p[b] for p in preds]) for b in range(3)]          # [members, n] per block
    mean = [st.mean(axis=0) for st in stacks]
    std = [st.std(axis=0) for st in stacks]
    out = score(sets, *mean)
    targets = [sets.val["y"].to_numpy(float), sets.test["y"].to_numpy(float), np.asarray(sets.truth, float)]
    scale = fit_spread_scale(mean[0], std[0], targets[0]) if len(seeds) > 1 else float("nan")
    for b, block in enumerate(BLOCKS):
        if len(seeds) < 2:
            break
        raw = spread_metrics(mean[b], std[b], targets[b])
        cal = spread_metrics(mean[b], std[b], targets[b], scale=scale)
        out[block].update(coverage90=cal["coverage90"], crps=cal["crps"], mean_std=cal["mean_std"],
                          coverage90_raw=raw["coverage90"], crps_raw=raw["crps"], mean_std_raw=raw["mean_std"],
                          crps_members=crps_members(stacks[b].T, targets[b]))
    out.update(kind="neural", members=len(seeds), seeds=[int(s) for s in seeds], spread_scale=scale,
               train_seconds=round(sum(m["train_seconds"] for m in members), 2),
               predict_seconds=round(sum(m["predict_seconds"] for m in members), 2),
               epochs=epochs, steps=members[0]["steps"], parameters=members[0]["parameters"],
               config=members[0]["config"], overrides=members[0]["overrides"],
               member_results=[{b: {k: m[b][k] for k in METRICS} for b in BLOCKS} for m in members])
    return out


def aggregate_seeds(results: Sequence[dict]) -> dict:
    """{block: {metric: mean, metric_std: std across seeds, n_seeds}} of one method's per-seed results."""
    out: dict = {"seeds": len(results), "kind": results[0].get("kind", "neural")}
    for block in BLOCKS:
        out[block] = {}
        for k in METRICS:
            v = np.array([r[block][k] for r in results], float)
            out[block][k] = float(v.mean())
            out[block][f"{k}_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        out[block]["n"] = results[0][block].get("n")
    out["train_seconds"] = round(sum(r.get("train_seconds", 0.0) for r in results), 2)
    out["per_seed"] = [{b: {k: r[b][k] for k in METRICS} for b in BLOCKS} for r in results]
    if "config" in results[0]:
        out["config"] = results[0]["config"]
    return out
