"""Leakage masking: one set of partitions serves every fold without leakage.

Held-out folds H = {val_fold, test_fold} (either may be None). Every INPUT that comes from an observation in H is
hidden, in every stage: the node's own observed DO (``obs``), ``series`` steps whose ``series_fold`` is in H,
``nutrients`` whose ``nutrients_fold`` is in H. Targets ``y``:

- ``fit``: owned nodes with a fold not in H (and not −1), split into targets and inputs by ``fit_split``:

  * ``"fold"`` (default): the split mimics evaluation. The training folds present in the partition are drawn as
    *target folds* (each with probability ``1 − obs_input_fraction``, at least one); owned labelled nodes of a
    target fold are targets, and every input from a target fold is hidden as if it were held out — the ``obs``
    of its nodes and their ``nutrients``. At validation/test a target's whole spatial block (its column, its
    same-year neighbours in the block) and its own nutrients are hidden, so training must see the same: with a
    per-node split, two thirds of the training targets saw a neighbour's same-year observation and most saw
    their own nutrients (PO4 ≈ AOU/170 gives DO away), against 2–4 % and 0 % at evaluation, and the model learnt
    to copy inputs that evaluation never has (issue 5). ``series`` steps are not touched: they are hidden by H
    at the same rate in every stage.
  * ``"node"``: a random share ``obs_input_fraction`` of the training nodes are inputs (``obs`` visible, ``y``
    NaN) and the others targets with ``obs`` hidden (their nutrients stay visible).

  Either way a target never sees its own label. Without ``use_obs_inputs`` no ``obs`` is visible; with
  ``"fold"`` the target folds' nutrients are still hidden;
- ``validate``: owned nodes with fold == val_fold;  ``test``: owned nodes with fold == test_fold;
- ``predict``: none.

Observed values are normalised with the manifest's FIXED constants (``normalisation.observations``), never with
statistics of the observations, so a changed held-out value cannot move any visible input.
"""
from __future__ import annotations

import numpy as np

from oxygen_contracts.schema import NO_FOLD

STAGES = ("fit", "validate", "test", "predict")
FIT_SPLITS = ("fold", "node")


def held_out(val_fold: int | None, test_fold: int | None) -> np.ndarray:
    return np.array([f for f in (val_fold, test_fold) if f is not None], np.int64)


def target_folds(fold: np.ndarray, H: np.ndarray, obs_input_fraction: float, rng: np.random.Generator) -> np.ndarray:
    """The training folds of ``fold`` (not −1, not in H) drawn as target folds: each with probability
    ``1 − obs_input_fraction``, at least one when any training fold is present."""
    train = np.unique(fold[(fold != NO_FOLD) & ~np.isin(fold, H)]).astype(np.int64)
    if not len(train):
        return train
    pick = rng.random(len(train)) >= obs_input_fraction
    if not pick.any():
        pick[rng.integers(len(train))] = True
    return train[pick]


def one_target_fold(fold: np.ndarray, H: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One training fold of ``fold`` drawn uniformly as the target fold (with a background field each draw's
    targets are one fold, whose own background row never saw its labels; see ``oxygen_hpc.background``)."""
    train = np.unique(fold[(fold != NO_FOLD) & ~np.isin(fold, H)]).astype(np.int64)
    return train[[rng.integers(len(train))]] if len(train) else train


def mask_partition(a: dict, stage: str, val_fold: int | None, test_fold: int | None, norm: dict,
                   use_obs_inputs: bool = True, obs_input_fraction: float = 0.5,
                   rng: np.random.Generator | None = None, fit_split: str = "fold",
                   targets: np.ndarray | None = None) -> dict:
    """Masked, normalised arrays from one partition's raw datasets ``a`` (numpy). Returns numpy arrays.
    ``targets``: in ``fit`` with ``fit_split="fold"``, the target folds already drawn by the caller (else drawn
    here with :func:`target_folds`)."""
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    if fit_split not in FIT_SPLITS:
        raise ValueError(f"fit_split must be one of {FIT_SPLITS}, got {fit_split!r}")
    H = held_out(val_fold, test_fold)
    om, os_ = norm["oxygen_mean"], norm["oxygen_std"]
    fold = a["fold"]
    hidden = H           # folds whose node-level inputs (obs, nutrients) are hidden
    if stage == "fit" and fit_split == "fold":
        if targets is None:
            targets = target_folds(fold, H, obs_input_fraction, rng or np.random.default_rng(0))
        hidden = np.concatenate([H, np.asarray(targets, np.int64)])

    s_vis = a["series_mask"].astype(bool) & ~np.isin(a["series_fold"], H)
    series = np.where(s_vis, (np.nan_to_num(a["series"]) - om) / os_, 0.0).astype(np.float32)

    nut = a["nutrients"]
    n_vis = np.isfinite(nut) & ~np.isin(a["nutrients_fold"], hidden)[:, None]
    nm = np.array([norm["phosphate_mean"], norm["nitrate_mean"]])
    ns = np.array([norm["phosphate_std"], norm["nitrate_std"]])
    nutrients = np.where(n_vis, (np.nan_to_num(nut) - nm) / ns, 0.0).astype(np.float32)

    y, owned = a["y"], a["owned"].astype(bool)
    labelled = np.isfinite(y) & (fold != NO_FOLD)
    obs_vis = labelled & ~np.isin(fold, hidden) & bool(use_obs_inputs)
    if stage == "fit" and fit_split == "fold":
        target = owned & labelled & np.isin(fold, hidden) & ~np.isin(fold, H)
    elif stage == "fit":
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
