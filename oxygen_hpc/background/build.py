"""Build a background field: what covariates alone say about O2 at every node, from training-fold labels only.

OxyGenerator then learns the anomaly: the background enters as an input and as the output's offset (the network
predicts ``background + σ·f(…)``), so the graph, the BiLSTM and the neighbours' observations spend their capacity
on what the covariates cannot explain. The regressor is the project's tree ensemble (gradient-boosted trees on
position, depth, year and the partition's features ``x``, as GOBAI / GEOXYGEN / BLENDR).

Leakage rules, for held-out folds H = {val_fold, test_fold} and training folds T (every other fold):

- no label of a fold in H ever enters a background (the file is built for one H, and the datamodule refuses a
  background built for another);
- row ``f`` of a node's background (one per training fold f) comes from trees fitted on T \\ {f}. A training draw
  whose targets are fold f reads row f at every node, so no target's label — nor any label of its fold — reached
  any background the network sees in that draw, exactly as at evaluation;
- the last row comes from trees fitted on all of T: what validation, test and predict read.

The file (``background.h5``): one group ``year=YYYY/zone=ZZ`` per partition with ``bg`` [len(T)+1, N] float32
(µmol/kg, node order of the partition); attributes ``val_fold``, ``test_fold``, ``train_folds``,
``manifest_sha256``, ``regressor`` (its settings), ``n_train`` (labels per model). Written to a temporary name and
renamed.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from oxygen_contracts import schema
from oxygen_contracts.manifest import PartitionManifest
from oxygen_contracts.partitions import PartitionFiles
from oxygen_hpc.evaluation.tables import _frame, node_tables
from oxygen_hpc.models.baselines import TreeEnsemble

READ = ("x", "cell", "fold", "owned")


def _regressor(seed: int, max_iter: int) -> TreeEnsemble:
    return TreeEnsemble(kind="hgb", max_iter=max_iter, random_state=seed)


def group_name(year: int, zone: int) -> str:
    return f"year={int(year)}/{schema.zone_group(zone)}"


def build_background(partitions: str | Path, out: str | Path, val_fold: int | None, test_fold: int | None,
                     seed: int = 0, max_iter: int = 300, log=print) -> dict:
    """Fit the background's regressors on the training folds of ``partitions`` and write ``out``; returns a
    summary (folds, labels per model, seconds)."""
    t0 = time.time()
    man = PartitionManifest.read(partitions)
    held = {f for f in (val_fold, test_fold) if f is not None}
    lab, _ = node_tables(partitions, n_unobserved=0)
    train_folds = sorted(int(f) for f in set(lab["fold"].unique()) - held - {schema.NO_FOLD})
    if len(train_folds) < 2:
        raise ValueError(f"{partitions}: a background needs labels in at least two training folds (each training "
                         f"draw's background leaves its target fold out); found {train_folds} outside the held-out "
                         f"folds {sorted(held)}")
    models, n_train = [], []
    for rows in [[f] for f in train_folds] + [[]]:          # one model per left-out training fold, then all
        use = lab[lab["fold"].isin([f for f in train_folds if f not in rows])]
        models.append(_regressor(seed, max_iter).fit(use))
        n_train.append(int(len(use)))
        log(f"background: trees without fold(s) {rows or 'none'}: {len(use):,} labels ({time.time() - t0:.0f} s)")
    files = PartitionFiles(man)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    names = man.feature_names
    try:
        with h5py.File(tmp, "w") as h:
            h.attrs.update({"val_fold": -1 if val_fold is None else int(val_fold),
                            "test_fold": -1 if test_fold is None else int(test_fold),
                            "train_folds": np.asarray(train_folds, np.int64), "manifest_sha256": man.sha256(),
                            "regressor": json.dumps({"kind": "hgb", "max_iter": max_iter, "seed": seed}),
                            "n_train": np.asarray(n_train, np.int64)})
            for year, zones in man.zones_by_year().items():
                # One prediction per model, year and distinct cell: the trees' per-call overhead dominates small
                # calls, and a halo node is another zone's owned node (the same cell, features and year).
                reads = [files.read(year, zone, READ) for zone in zones]
                owned = [_frame(man.grid, names, year, zone, a["cell"][a["owned"]].astype(np.int64),
                                a["x"][a["owned"]], np.full(int(a["owned"].sum()), np.nan),
                                np.zeros(int(a["owned"].sum()), np.int64), a["fold"][a["owned"]])
                         for zone, a in zip(zones, reads)]
                table = pd.concat(owned, ignore_index=True)
                bg = np.stack([m.predict(table) for m in models]).astype(np.float32)
                cells = table["cell"].to_numpy()
                order = np.argsort(cells, kind="stable")
                for zone, a in zip(zones, reads):
                    pos = order[np.searchsorted(cells, a["cell"].astype(np.int64), sorter=order)]
                    if not np.array_equal(cells[pos], a["cell"]):
                        raise ValueError(f"{files.path(year)}: zone {zone} has halo cells no zone owns")
                    h.create_dataset(group_name(year, zone), data=bg[:, pos])
        os.replace(tmp, out)
    finally:
        files.close()
        tmp.unlink(missing_ok=True)
    summary = {"out": str(out), "val_fold": val_fold, "test_fold": test_fold, "train_folds": train_folds,
               "n_train": n_train, "seconds": round(time.time() - t0, 1)}
    log(f"background: {out} ({len(man.partitions)} partitions, {summary['seconds']} s)")
    return summary

