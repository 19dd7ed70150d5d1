"""``PartitionDataModule``: LightningDataModule over HDF5 partitions.

Training: :class:`ZoneWeightedSampler` (distributed, weighted by zone; a callback reaches it through
:meth:`set_zone_weights`). Validation/test/predict: sequential, sharded across ranks without padding. Batches
are PyG batches of ``batch_size`` partitions. Each DataLoader worker opens its own HDF5 handles lazily.
Predict hides no fold by default (every observation may be an input for the published product).
"""
from __future__ import annotations

from typing import Sequence

import pytorch_lightning as pl
from torch_geometric.loader import DataLoader

from oxygen_contracts.manifest import PartitionManifest
from oxygen_hpc.data.dataset import PartitionDataset
from oxygen_hpc.data.sampler import ShardedSequentialSampler, ZoneWeightedSampler

SAMPLE_WEIGHTINGS = ("labels", "uniform")


class ResumableLoader(DataLoader):
    """Training loader that saves its place in the epoch in checkpoints (Lightning's ``_Stateful`` interface):
    after a mid-epoch requeue the sampler skips the batches already trained on, and the masking's random split is
    keyed by (epoch, position), so the resumed run trains on exactly the batches an uninterrupted run would."""

    def __init__(self, *args, progress=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._progress = progress

    def state_dict(self) -> dict:
        s = self.sampler
        return {"epoch": int(s.epoch), "processed": int(self._progress() if self._progress else 0),
                "zone_weights": {int(k): float(v) for k, v in s.zone_weights.items()}}

    def load_state_dict(self, state: dict) -> None:
        s = self.sampler
        s.set_epoch(int(state["epoch"]))
        if state.get("zone_weights"):
            s.set_zone_weights(state["zone_weights"])
        s.resume_at = (int(state["epoch"]), int(state.get("processed", 0)) * int(self.batch_size))


class PartitionDataModule(pl.LightningDataModule):
    """Args:
        root: partitions directory.
        val_fold, test_fold: held-out folds (inputs from them are hidden in every stage).
        years, zones: selection for all stages (default all); ``predict_years`` for predict; ``eval_years`` for
            validate and test (default ``years``: e.g. train on every year, validate on a few).
        batch_size: partitions per batch.
        num_workers, prefetch_factor, persistent_workers, pin_memory: DataLoader settings.
        use_obs_inputs, obs_input_fraction: observed DO of visible folds as node inputs (see ``masking``).
        fit_split: how training labels split into targets and inputs: ``"fold"`` (default: whole training
            folds are targets, their inputs hidden as at evaluation) or ``"node"`` (see ``masking``).
        fit_subgraph: train on the targets' k-hop in-neighbourhoods only (same target predictions, a fraction
            of the cost; the regulariser then sees the subgraph only; see ``subgraph``). Default off.
        sample_weighting: how training draws partitions (times the zone-adaptive weights): ``"labels"`` (default:
            in proportion to their labelled nodes, so each label is equally likely and label-less partitions are
            skipped) or ``"uniform"``.
        seed: sampler and masking seed.
        background: a background field built for these partitions and held-out folds (``oxygen-hpc
            background``): one more input column and the network's output offset (the model learns the anomaly;
            see ``oxygen_hpc.background``). The network reads the switch from ``dims`` (``use_background``).
        anomaly_scale: with a background, µmol/kg per unit of the anomaly inputs and of the network's output
            (``dims["target_std"]``): the anomaly's scale, not O2's.
    """

    def __init__(self, root: str, val_fold: int | None = 0, test_fold: int | None = 1,
                 years: Sequence[int] | None = None, zones: Sequence[int] | None = None,
                 predict_years: Sequence[int] | None = None, batch_size: int = 4, num_workers: int = 0,
                 prefetch_factor: int | None = 2, persistent_workers: bool = False, pin_memory: bool = False,
                 use_obs_inputs: bool = True, obs_input_fraction: float = 0.5, seed: int = 0,
                 fit_split: str = "fold", fit_subgraph: bool = False, eval_years: Sequence[int] | None = None,
                 sample_weighting: str = "labels", background: str | None = None, anomaly_scale: float = 20.0):
        super().__init__()
        if sample_weighting not in SAMPLE_WEIGHTINGS:
            raise ValueError(f"sample_weighting must be one of {SAMPLE_WEIGHTINGS}, got {sample_weighting!r}")
        self.save_hyperparameters()
        self.root, self.val_fold, self.test_fold = root, val_fold, test_fold
        self.years, self.zones, self.predict_years = years, zones, predict_years
        self.eval_years = eval_years
        self.batch_size, self.num_workers = batch_size, num_workers
        self.prefetch_factor, self.persistent_workers, self.pin_memory = prefetch_factor, persistent_workers, pin_memory
        self.use_obs_inputs, self.obs_input_fraction, self.seed = use_obs_inputs, obs_input_fraction, seed
        self.fit_split, self.fit_subgraph = fit_split, fit_subgraph
        self.sample_weighting = sample_weighting
        self.background, self.anomaly_scale = background, float(anomaly_scale)
        self.datasets: dict[str, PartitionDataset] = {}
        self.train_sampler: ZoneWeightedSampler | None = None
        self._zone_weights: dict[int, float] = {}

    @property
    def manifest(self) -> PartitionManifest:
        """The partitions' validated manifest (read once)."""
        if not hasattr(self, "_manifest"):
            self._manifest = PartitionManifest.read(self.root)
        return self._manifest

    @property
    def dims(self) -> dict:
        """What the model needs from the data: feature dimensions and zones (the partitions' manifest) and
        ``use_obs_inputs`` (whether the loader gives observations as inputs: the one switch for both)."""
        d = {**self.manifest.dims, "use_obs_inputs": bool(self.use_obs_inputs),
             "use_background": self.background is not None}
        d["in_features"] += int(d["use_background"])          # the background is one more column of x
        if self.background is not None:
            d["target_std"] = self.anomaly_scale
        return d

    def _ds(self, stage: str, years=None) -> PartitionDataset:
        folds = (None, None) if stage == "predict" else (self.val_fold, self.test_fold)
        return PartitionDataset(self.root, years if years is not None else self.years, self.zones, stage,
                                *folds, self.use_obs_inputs, self.obs_input_fraction, self.seed, self.fit_split,
                                self.fit_subgraph, self.background, self.anomaly_scale)

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "fit"):
            self.datasets["fit"] = self._ds("fit")
            self.datasets["validate"] = self._ds("validate", self.eval_years)
        if stage in (None, "validate"):
            self.datasets["validate"] = self._ds("validate", self.eval_years)
        if stage in (None, "test"):
            self.datasets["test"] = self._ds("test", self.eval_years)
        if stage in (None, "predict"):
            self.datasets["predict"] = self._ds("predict", self.predict_years)

    def _world(self) -> tuple[int | None, int | None]:
        t = getattr(self, "trainer", None)
        return (t.world_size, t.global_rank) if t is not None else (None, None)

    def _processed_batches(self) -> int:
        """Batches of this epoch whose optimiser step is done (``processed``: right whether the checkpoint is written
        by the requeue signal mid-step or at ``on_train_batch_end``)."""
        t = getattr(self, "trainer", None)
        return t.fit_loop.epoch_loop.batch_progress.current.processed if t is not None else 0

    def _loader(self, ds, sampler, resumable: bool = False) -> DataLoader:
        kw = {}
        if self.num_workers > 0:
            kw = dict(prefetch_factor=self.prefetch_factor, persistent_workers=self.persistent_workers)
        if resumable:
            return ResumableLoader(ds, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                                   pin_memory=self.pin_memory, progress=self._processed_batches, **kw)
        return DataLoader(ds, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                          pin_memory=self.pin_memory, **kw)

    def set_zone_weights(self, weights: dict[int, float]) -> None:
        """Zone weights for the training sampler (call with the same dict on every rank)."""
        self._zone_weights = dict(weights)
        if self.train_sampler is not None:
            self.train_sampler.set_zone_weights(weights)

    def train_dataloader(self) -> DataLoader:
        ds = self.datasets.get("fit") or self._ds("fit")
        labels = ds.labelled if self.sample_weighting == "labels" else []
        base = labels if sum(labels) > 0 else None          # no label anywhere (predict-only data): uniform
        self.train_sampler = ZoneWeightedSampler(ds.zones, *self._world(), seed=self.seed, with_keys=True,
                                                 base_weights=base)
        if self._zone_weights:
            self.train_sampler.set_zone_weights(self._zone_weights)
        return self._loader(ds, self.train_sampler, resumable=True)

    def _seq(self, stage: str) -> DataLoader:
        years = self.predict_years if stage == "predict" else self.eval_years
        ds = self.datasets.get(stage) or self._ds(stage, years)
        return self._loader(ds, ShardedSequentialSampler(len(ds), *self._world()))

    def val_dataloader(self) -> DataLoader:
        return self._seq("validate")

    def test_dataloader(self) -> DataLoader:
        return self._seq("test")

    def predict_dataloader(self) -> DataLoader:
        return self._seq("predict")
