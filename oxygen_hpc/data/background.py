"""Reading a background field (``oxygen_hpc.background``) beside the partitions, for the dataset.

The file must have been built from these partitions (its ``manifest_sha256``) for these held-out folds: a
background fitted with the validation or test fold among its training folds would carry their labels into every
input, so any mismatch stops at once with a :class:`BackgroundError` naming the file. HDF5 handles are opened
lazily per process and dropped on pickling, as the partitions' are.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from oxygen_contracts.manifest import PartitionManifest


class BackgroundError(ValueError):
    """A background file that is missing, damaged or built for other partitions or other held-out folds."""


class BackgroundFile:
    """Args:
        path: ``background.h5`` written by ``oxygen-hpc background``.
        manifest: the partitions it must belong to.
        val_fold, test_fold: the held-out folds of this run (None: none held out, e.g. the published product).
        check_folds: refuse a file built for other held-out folds (off only for ``predict``, which evaluates
            nothing: any background built without label leakage into the held-out folds serves it).
    """

    def __init__(self, path: str | Path, manifest: PartitionManifest, val_fold: int | None, test_fold: int | None,
                 check_folds: bool = True):
        import h5py

        self.path = Path(path)
        try:
            with h5py.File(self.path, "r") as h:
                attrs = dict(h.attrs)
        except Exception as e:                       # noqa: BLE001 (h5py raises OSError, KeyError, …)
            raise BackgroundError(f"{self.path}: not a readable background file ({str(e).splitlines()[0]})") \
                from None
        want = {"val_fold": -1 if val_fold is None else int(val_fold),
                "test_fold": -1 if test_fold is None else int(test_fold)}
        for k in ("val_fold", "test_fold", "train_folds", "manifest_sha256"):
            if k not in attrs:
                raise BackgroundError(f"{self.path}: not a background file (attribute {k} missing)")
        for k, v in want.items():
            if check_folds and int(attrs[k]) != v:
                raise BackgroundError(f"{self.path}: built for {k}={int(attrs[k])}, this run holds out {k}={v}; "
                                      f"its trees saw labels this run evaluates on. Build one for this run: "
                                      f"oxygen-hpc background --partitions {manifest.root} --val-fold {val_fold} "
                                      f"--test-fold {test_fold}")
        if str(attrs["manifest_sha256"]) != manifest.sha256():
            raise BackgroundError(f"{self.path}: built for other partitions (manifest sha256 differs from "
                                  f"{manifest.path}); build it again for these")
        self.train_folds = [int(f) for f in np.atleast_1d(attrs["train_folds"])]
        self._h = None
        self._pid = os.getpid()

    def row(self, target_fold: int | None) -> int:
        """Row of the background to read: the one fitted without ``target_fold`` (a fit draw's target fold), or
        the last (fitted on every training fold) for validation, test and predict."""
        if target_fold is None:
            return len(self.train_folds)
        try:
            return self.train_folds.index(int(target_fold))
        except ValueError:
            raise BackgroundError(f"{self.path}: fold {target_fold} is not a training fold of this background "
                                  f"({self.train_folds})") from None

    def read(self, year: int, zone: int, row: int, n_nodes: int) -> np.ndarray:
        """[n_nodes] float32 µmol/kg of partition (year, zone)."""
        import h5py

        if self._h is None or self._pid != os.getpid():
            self._h, self._pid = h5py.File(self.path, "r"), os.getpid()
        name = f"year={int(year)}/zone={int(zone):02d}"
        try:
            bg = self._h[name][row]
        except Exception as e:                       # noqa: BLE001
            raise BackgroundError(f"{self.path}: {name} unreadable ({str(e).splitlines()[0]})") from None
        if bg.shape != (n_nodes,) or not np.isfinite(bg).all():
            raise BackgroundError(f"{self.path}: {name} has {bg.shape} values (finite: {np.isfinite(bg).all()}), "
                                  f"the partition {n_nodes} nodes")
        return bg.astype(np.float32)

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_h"] = None
        return state
