"""``oxygen-hpc calibrate``: how much to widen an ensemble's spread, measured on the validation fold only.

The members predict every validation target (owned nodes of ``--val-fold``, all inputs from the held-out folds
hidden, exactly as in training's validation); the spread scale is the factor that makes the central 90 % interval
``mean ± 1.645·s·std`` cover 90 % of them (:func:`oxygen_hpc.evaluation.calibration.fit_spread_scale`). Written to
a JSON file that ``oxygen-hpc predict --spread-scale FILE`` applies: every member's deviation from the ensemble
mean is multiplied by it, so ``o2_std`` and the products' spreads are calibrated alike.

    oxygen-hpc calibrate --partitions P --checkpoint M0.ckpt M1.ckpt M2.ckpt [--background BG] --out calibration.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from oxygen_contracts.manifest import ManifestError
from oxygen_contracts.partitions import PartitionError
from oxygen_hpc.data.background import BackgroundError
from oxygen_hpc.inference.runner import PredictError, collate, load_members


def validation_predictions(partitions: str, nets: list, val_fold: int, test_fold: int,
                           background: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """([members, n] predictions, [n] observed values) at the validation fold's targets."""
    from oxygen_hpc.data.dataset import PartitionDataset

    scale = float(getattr(nets[0], "target_std", 20.0))
    ds = PartitionDataset(partitions, stage="validate", val_fold=val_fold, test_fold=test_fold,
                          background=background, anomaly_scale=scale)
    preds, obs = [], []
    with torch.inference_mode():
        for i in range(len(ds)):
            b = collate([ds[i]])
            keep = torch.isfinite(b.y)
            if keep.any():
                preds.append(torch.stack([n(b)[keep].float() for n in nets]).numpy())
                obs.append(b.y[keep].numpy())
    if not obs:
        raise PredictError(f"{partitions}: no validation targets in fold {val_fold}")
    return np.concatenate(preds, axis=1).astype(np.float64), np.concatenate(obs).astype(np.float64)


def calibrate(partitions: str, checkpoints: list[str], val_fold: int, test_fold: int,
              background: str | None = None, allowed_models=()) -> dict:
    from oxygen_hpc.evaluation.calibration import fit_spread_scale, spread_metrics

    if len(checkpoints) < 2:
        raise PredictError("calibrate needs an ensemble: two or more --checkpoint")
    nets = load_members(checkpoints, torch.device("cpu"), allowed_models)
    p, y = validation_predictions(partitions, nets, val_fold, test_fold, background)
    mean, std = p.mean(0), p.std(0)
    scale = fit_spread_scale(mean, std, y)
    raw, cal = spread_metrics(mean, std, y), spread_metrics(mean, std, y, scale=scale)
    return {"spread_scale": scale, "val_fold": val_fold, "test_fold": test_fold, "n": int(len(y)),
            "members": len(nets), "rmse": float(np.sqrt(np.mean((mean - y) ** 2))),
            "coverage90_raw": raw["coverage90"], "coverage90": cal["coverage90"], "crps_raw": raw["crps"],
            "crps": cal["crps"], "checkpoints": [str(c) for c in checkpoints],
            "background": str(background) if background else None}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="oxygen-hpc calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--partitions", required=True)
    p.add_argument("--checkpoint", dest="checkpoints", nargs="+", required=True, metavar="CKPT")
    p.add_argument("--background", help="the members' background field, if they learn the anomaly")
    p.add_argument("--val-fold", type=int, default=0)
    p.add_argument("--test-fold", type=int, default=1)
    p.add_argument("--allow-model", dest="allowed_models", nargs="+", default=[], metavar="CLASS_PATH")
    p.add_argument("--out", default="calibration.json")
    a = p.parse_args(argv)
    try:
        res = calibrate(a.partitions, a.checkpoints, a.val_fold, a.test_fold, a.background, a.allowed_models)
    except (PredictError, ManifestError, PartitionError, BackgroundError) as e:
        print(f"oxygen-hpc calibrate: {e}", file=sys.stderr)
        return 2
    Path(a.out).write_text(json.dumps(res, indent=1) + "\n")
    print(f"calibrate: {res['members']} members on {res['n']:,} validation targets: spread x{res['spread_scale']:.3g} "
          f"(90 % coverage {res['coverage90_raw']:.2f} raw -> {res['coverage90']:.2f}; CRPS {res['crps_raw']:.2f} "
          f"-> {res['crps']:.2f} umol/kg) -> {a.out}")
    return 0
