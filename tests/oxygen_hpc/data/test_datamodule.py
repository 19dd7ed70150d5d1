"""Dataset opens HDF5 lazily per process; the DataModule yields PyG batches with the batch contract."""
import pickle

import pytest
import torch

from oxygen_hpc.data import PartitionDataModule, PartitionDataset

FIELDS = {"x": 9, "meta": 9, "series": 11, "series_mask": 11, "nutrients": 2, "nutrients_mask": 2}


def test_lazy_handles_and_pickle(root):
    ds = PartitionDataset(root, years=[2001], zones=[0, 3], stage="validate", val_fold=0, test_fold=1)
    assert len(ds) == 2 and ds.zones == [0, 3] and ds.files._files == {}    # verified, but no handle kept
    d = ds[1]
    assert len(ds.files._files) == 1 and int(d.zone) == 3 and int(d.year) == 2001
    clone = pickle.loads(pickle.dumps(ds))
    assert clone.files._files == {}
    assert torch.equal(clone[1].x, d.x)
    ds.files._pid = -1                             # as after a fork: handles are reopened, not shared
    old = dict(ds.files._files)
    ds[0]
    assert all(ds.files._files[k] is not old[k] for k in ds.files._files)
    ds.close()


@pytest.mark.timeout(60)
def test_datamodule_batches(root):
    dm = PartitionDataModule(str(root), val_fold=0, test_fold=1, batch_size=3, num_workers=2,
                             persistent_workers=False)
    dm.setup()
    n = 0
    for b in dm.train_dataloader():
        assert b.num_graphs <= 3 and b.zone.shape == (b.num_graphs,)
        for k, w in FIELDS.items():
            assert getattr(b, k).shape == (b.num_nodes, w), k
        assert b.edge_index.dtype == torch.long and b.edge_index.max() < b.num_nodes
        assert b.edge_attr.shape == (b.edge_index.shape[1], 7)
        assert b.owned.dtype == torch.bool and b.cell.dtype == torch.long
        assert not (b.obs_mask.bool() & b.y.isfinite()).any()
        n += b.num_graphs
    assert n == len(dm.datasets["fit"]) == 12
    val = sum(b.num_graphs for b in dm.val_dataloader())
    assert val == 12
    dm.set_zone_weights({2: 5.0})
    assert dm.train_sampler.zone_weights == {2: 5.0}


def test_eval_years_select_validate_and_test_only(root):
    dm = PartitionDataModule(str(root), years=[2000, 2001, 2002], eval_years=[2001], num_workers=0)
    dm.setup("fit")
    dm.setup("test")
    assert {y for y, _ in dm.datasets["fit"].index} == {2000, 2001, 2002}
    assert {y for y, _ in dm.datasets["validate"].index} == {y for y, _ in dm.datasets["test"].index} == {2001}


def test_training_draws_partitions_in_proportion_to_labels(root):
    dm = PartitionDataModule(str(root), val_fold=0, test_fold=1, num_workers=0)
    dm.setup("fit")
    labels = dm.datasets["fit"].labelled
    assert len(labels) == len(dm.datasets["fit"]) and sum(labels) > 0
    w = dm.train_dataloader().sampler.item_weights().numpy()
    assert w == pytest.approx([n / sum(labels) for n in labels])
    uni = PartitionDataModule(str(root), val_fold=0, test_fold=1, num_workers=0, sample_weighting="uniform")
    uni.setup("fit")
    assert uni.train_dataloader().sampler.item_weights().numpy() == pytest.approx([1 / len(labels)] * len(labels))
    with pytest.raises(ValueError, match="sample_weighting"):
        PartitionDataModule(str(root), sample_weighting="zones")
