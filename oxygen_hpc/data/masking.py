"""Leakage masking: one set of partitions serves every fold without leakage.

Held-out folds H = {val_fold, test_fold} (either may be None). Every INPUT that comes from an observation in H is
hidden, in every stage: the node's own observed DO (``obs``), ``series`` steps whose ``series_fold`` is in H,
``nutrients`` whose ``nutrients_fold`` is in H. Targets ``y``:

- ``fit``: owned nodes with a fold not in H (and not −1). When observed DO is used as an input, a random share
  ``obs_input_fraction`` of those nodes are inputs instead of targets (their ``obs`` visible, ``y`` NaN) and
  the others are targets with ``obs`` hidden, so a target never sees its own label;
- ``validate``: owned nodes with fold == val_fold;  ``test``: owned nodes with fold == test_fold;
- ``predict``: none.

Observed values are normalised with the manifest's FIXED constants (``normalisation.observations``), never with
statistics of the observations, so a changed held-out value cannot move any visible input.
"""
from __future__ import annotations

import numpy as np

from preprocessing.schema import NO_FOLD

STAGES = ("fit", "validate", "test", "predict")


def held_out(val_fold: int | None, test_fold: int | None) -> np.ndarray:
    return np.array([f for f in (val_fold, test_fold) if f is not None], np.int64)


def mask_partition(a: dict, stage: str, val_fold: int | None, test_fold: int | None, norm: dict,
                   use_obs_inputs: bool = True, obs_input_fraction: float = 0.5,
                   rng: np.random.Generator | None = None) -> dict:
    """Masked, normalised arrays from one partition's raw datasets ``a`` (numpy). Returns numpy arrays."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    H = held_out(val_fold, test_fold)
    om, os_ = norm["oxygen_mean"], norm["oxygen_std"]

    s_vis = a["series_mask"].astype(bool) & ~np.isin(a["series_fold"], H)
    series = np.where(s_vis, (np.nan_to_num(a["series"]) - om) / os_, 0.0).astype(np.float32)

    nut = a["nutrients"]
    n_vis = np.isfinite(nut) & ~np.isin(a["nutrients_fold"], H)[:, None]
    nm = np.array([norm["phosphate_mean"], norm["nitrate_mean"]])
    ns = np.array([norm["phosphate_std"], norm["nitrate_std"]])
    nutrients = np.where(n_vis, (np.nan_to_num(nut) - nm) / ns, 0.0).astype(np.float32)

    fold, y, owned = a["fold"], a["y"], a["owned"].astype(bool)
    labelled = np.isfinite(y) & (fold != NO_FOLD)
    obs_vis = labelled & ~np.isin(fold, H) & bool(use_obs_inputs)
    if stage == "fit":
        target = owned & labelled & ~np.isin(fold, H)
        if use_obs_inputs:
            rng = rng or np.random.default_rng(0)
            as_input = target & (rng.random(len(y)) < obs_input_fraction)
            target &= ~as_input
            obs_vis &= ~target
    elif stage == "validate":
        target = owned & labelled & (fold == val_fold) if val_fold is not None else np.zeros(len(y), bool)
    elif stage == "test":
        target = owned & labelled & (fold == test_fold) if test_fold is not None else np.zeros(len(y), bool)
    else:
        target = np.zeros(len(y), bool)
    obs = np.where(obs_vis, (np.nan_to_num(y) - om) / os_, 0.0).astype(np.float32)
    return {
        "series": series, "series_mask": s_vis.astype(np.float32),
        "nutrients": nutrients, "nutrients_mask": n_vis.astype(np.float32),
        "obs": obs, "obs_mask": obs_vis.astype(np.float32),
        "y": np.where(target, y, np.nan).astype(np.float32),
    }
