"""``PartitionDataset``: one ``torch_geometric.data.Data`` per (year, zone) partition, after leakage masking.

Files are read through the shared verified opener (:class:`oxygen_contracts.partitions.PartitionFiles`): the files
this dataset will read are checked against the manifest (size, sha256; once per file per process) when it is
built, so an edited or damaged partition stops ``fit`` or ``predict`` before any work with a
:class:`~oxygen_contracts.partitions.PartitionError` naming the file. HDF5 handles are opened lazily, per process:
dropped when the dataset is pickled to a DataLoader worker and re-opened after a fork, so none are shared.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from oxygen_hpc.data.background import BackgroundFile
from oxygen_hpc.data.masking import FIT_SPLITS, STAGES, held_out, mask_partition, one_target_fold
from oxygen_hpc.data.subgraph import khop_in_subgraph
from oxygen_contracts.manifest import PartitionManifest
from oxygen_contracts.partitions import PartitionFiles

RAW = ("x", "meta", "series", "series_mask", "series_fold", "y", "fold", "nutrients", "nutrients_fold", "cell",
       "owned", "edge_index", "edge_attr")


class PartitionDataset(torch.utils.data.Dataset):
    """Args:
        root: partitions directory (``manifest.json`` + ``year=YYYY.h5``).
        years, zones: optional selections (default: all partitions in the manifest).
        stage: ``fit`` | ``validate`` | ``test`` | ``predict`` (which nodes carry a target ``y``).
        val_fold, test_fold: held-out folds; every input from them is hidden (see ``masking``).
        use_obs_inputs: give nodes' own observed DO (of visible folds) as ``obs`` inputs.
        obs_input_fraction: in ``fit``, share of training labels (``fit_split="node"``) or of training folds
            (``"fold"``) used as inputs instead of targets.
        fit_split: ``"fold"`` (default; targets are whole training folds whose inputs are hidden as at
            evaluation) or ``"node"`` (a random share of nodes), see ``masking``.
        fit_subgraph: in ``fit``, yield only the targets' k-hop in-neighbourhood (k = the manifest's ``layers``),
            which gives the targets the same predictions for a fraction of the cost (see ``subgraph``; default
            off: the chemistry regulariser then only sees the subgraph).
        seed: seed of that split (varies per call, deterministic per process).
        background: a background field (``oxygen-hpc background``) built for these partitions and held-out folds:
            each node gets it as ``background`` (µmol/kg) and as one more ``x`` column (normalised like the
            observations); with ``fit_split="fold"`` each fit draw's targets are one training fold, and every node
            reads the background row fitted without that fold (see ``oxygen_hpc.background``). The observed inputs
            (``obs``, ``series``) then carry anomalies from the background, in units of ``anomaly_scale`` (µmol/kg).
    """

    def __init__(self, root: str | Path, years: Sequence[int] | None = None, zones: Sequence[int] | None = None,
                 stage: str = "fit", val_fold: int | None = None, test_fold: int | None = None,
                 use_obs_inputs: bool = True, obs_input_fraction: float = 0.5, seed: int = 0,
                 fit_split: str = "fold", fit_subgraph: bool = False, background: str | Path | None = None,
                 anomaly_scale: float = 20.0):
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
        if fit_split not in FIT_SPLITS:
            raise ValueError(f"fit_split must be one of {FIT_SPLITS}, got {fit_split!r}")
        self.root = Path(root)
        self.manifest = PartitionManifest.read(self.root)
        ys = None if years is None else {int(y) for y in years}
        zs = None if zones is None else {int(z) for z in zones}
        self.index = [(p["year"], p["zone"]) for p in self.manifest["partitions"]
                      if (ys is None or p["year"] in ys) and (zs is None or p["zone"] in zs)]
        self.stage, self.val_fold, self.test_fold = stage, val_fold, test_fold
        self.use_obs_inputs, self.obs_input_fraction, self.seed = use_obs_inputs, obs_input_fraction, seed
        self.fit_split, self.fit_subgraph = fit_split, bool(fit_subgraph)
        self.hops = self.manifest.layers
        self.norm = self.manifest.observation_norm
        self.files = PartitionFiles(self.manifest)
        self.files.verify({y for y, _ in self.index})
        self.anomaly_scale = float(anomaly_scale)
        self.background = None if background is None else BackgroundFile(
            background, self.manifest, val_fold, test_fold, check_folds=stage != "predict")

    @property
    def zones(self) -> list[int]:
        return [z for _, z in self.index]

    @property
    def labelled(self) -> list[int]:
        """Labelled nodes of each item (all folds), from the manifest."""
        n = self.manifest.labelled()
        return [n[k] for k in self.index]

    def __len__(self) -> int:
        return len(self.index)

    def close(self) -> None:
        self.files.close()

    def raw(self, i: int) -> dict:
        year, zone = self.index[i]
        return self.files.read(year, zone, RAW)

    def _subgraph(self, a: dict, m: dict) -> tuple[dict, dict]:
        nodes, edges, ei = khop_in_subgraph(a["edge_index"], len(a["cell"]), np.isfinite(m["y"]), self.hops)
        a = {k: (v[:, edges] if k == "edge_index" else v[edges] if k == "edge_attr" else v[nodes])
             for k, v in a.items()}
        a["edge_index"] = ei
        return a, {k: v[nodes] for k, v in m.items()}

    def _as_anomalies(self, m: dict, bg: np.ndarray, om: float, os_: float) -> dict:
        """Observed inputs as anomalies from the node's background, in units of ``anomaly_scale``: what a neighbour's
        observation or the cell's other years say that the covariates do not (hidden entries stay 0)."""
        s = self.anomaly_scale
        obs = np.where(m["obs_mask"] > 0, (m["obs"] * os_ + om - bg) / s, 0.0).astype(np.float32)
        ser = np.where(m["series_mask"] > 0, (m["series"] * os_ + om - bg[:, None]) / s, 0.0).astype(np.float32)
        return {**m, "obs": obs, "series": ser}

    def __getitem__(self, key) -> Data:
        """``key``: an index, or ``(index, epoch, position)`` from the training sampler — the masking's random split
        then depends only on that key, so a resumed run (or any worker layout) sees the same batches."""
        i, epoch, pos = key if isinstance(key, tuple) else (key, 0, -1)
        year, zone = self.index[i]
        a = self.raw(i)
        rng = np.random.default_rng([self.seed, year, zone, epoch, pos + 1])
        targets = None
        if self.background is not None and self.stage == "fit" and self.fit_split == "fold":
            targets = one_target_fold(a["fold"], held_out(self.val_fold, self.test_fold), rng)
        m = mask_partition(a, self.stage, self.val_fold, self.test_fold, self.norm, self.use_obs_inputs,
                           self.obs_input_fraction, rng, self.fit_split, targets)
        if self.background is not None:
            row = self.background.row(int(targets[0]) if targets is not None and len(targets) else None)
            bg = self.background.read(year, zone, row, len(a["cell"]))
            a["background"] = bg
            om, os_ = self.norm["oxygen_mean"], self.norm["oxygen_std"]
            a["x"] = np.concatenate([a["x"], ((bg - om) / os_)[:, None]], axis=1).astype(np.float32)
            m = self._as_anomalies(m, bg, om, os_)
        if self.stage == "fit" and self.fit_subgraph:
            a, m = self._subgraph(a, m)
        t = torch.from_numpy
        return Data(
            x=t(a["x"]), meta=t(a["meta"]), edge_index=t(a["edge_index"].astype(np.int64)),
            edge_attr=t(a["edge_attr"]), series=t(m["series"]), series_mask=t(m["series_mask"]),
            nutrients=t(m["nutrients"]), nutrients_mask=t(m["nutrients_mask"]), obs=t(m["obs"]),
            obs_mask=t(m["obs_mask"]), y=t(m["y"]), owned=t(a["owned"].astype(bool)),
            cell=t(a["cell"].astype(np.int64)), zone=torch.tensor([zone]), year=torch.tensor([year]),
            num_nodes=len(a["cell"]), **({"background": t(a["background"])} if "background" in a else {}),
        )
