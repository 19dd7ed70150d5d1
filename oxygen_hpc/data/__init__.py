"""Learning-side data: HDF5 partition dataset (lazy per worker, leakage masking), samplers, DataModule."""
from oxygen_hpc.data.datamodule import PartitionDataModule
from oxygen_hpc.data.dataset import PartitionDataset
from oxygen_hpc.data.sampler import ShardedSequentialSampler, ZoneWeightedSampler

__all__ = ["PartitionDataModule", "PartitionDataset", "ShardedSequentialSampler", "ZoneWeightedSampler"]
