"""Masking rules per stage, samplers (weights, determinism, sharding), lazy per-process HDF5 handles."""

import numpy as np
import pytest
import torch

from oxygen_hpc.data.masking import mask_partition
from oxygen_hpc.data.sampler import ShardedSequentialSampler, ZoneWeightedSampler

NORM = dict(oxygen_mean=200.0, oxygen_std=50.0, phosphate_mean=1.0, phosphate_std=0.5, nitrate_mean=10.0,
            nitrate_std=5.0)


def arrays():
    n = 6
    series = np.full((n, 11), np.nan, np.float32)
    sfold = np.full((n, 11), -1, np.int8)
    series[0, [0, 3, 10]] = [100, 250, 300]
    sfold[0, [0, 3, 10]] = [0, 1, 2]
    return {"series": series, "series_mask": np.isfinite(series), "series_fold": sfold,
            "y": np.array([150, 250, np.nan, 300, 200, 100], np.float32),
            "fold": np.array([0, 1, -1, 2, 0, 1], np.int8),
            "nutrients": np.array([[1.5, np.nan], [2, 20], [np.nan, np.nan], [1, 10], [0.5, 5], [1, 1]], np.float32),
            "nutrients_fold": np.array([0, 1, -1, 2, 0, 1], np.int8),
            "owned": np.array([1, 1, 1, 1, 1, 0], bool)}


def test_eval_stages_hide_heldout_inputs_and_pick_targets():
    a = arrays()
    v = mask_partition(a, "validate", 1, 2, NORM)
    assert v["series_mask"][0].tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]   # steps of folds 1, 2 hidden
    assert v["series"][0, 0] == pytest.approx(-2.0) and v["series"][0, 3] == 0
    assert v["obs_mask"].tolist() == [1, 0, 0, 0, 1, 0]
    assert v["obs"][0] == pytest.approx(-1.0) and v["obs"][1] == 0
    assert v["nutrients_mask"].tolist() == [[1, 0], [0, 0], [0, 0], [0, 0], [1, 1], [0, 0]]
    assert v["nutrients"][0, 0] == pytest.approx(1.0)
    assert np.isfinite(v["y"]).tolist() == [False, True, False, False, False, False]   # owned, fold 1 only
    t = mask_partition(a, "test", 1, 2, NORM)
    assert np.isfinite(t["y"]).tolist() == [False, False, False, True, False, False]
    p = mask_partition(a, "predict", 1, 2, NORM)
    assert not np.isfinite(p["y"]).any()


def test_fit_targets_never_see_their_own_label():
    a = arrays()
    for seed in range(10):
        f = mask_partition(a, "fit", 1, 2, NORM, obs_input_fraction=0.5, rng=np.random.default_rng(seed))
        target = np.isfinite(f["y"])
        assert not (target & (f["obs_mask"] > 0)).any()
        assert set(np.flatnonzero(target)) <= {0, 4}                        # owned, fold not held out
        assert set(np.flatnonzero(f["obs_mask"])) <= {0, 4}
    f = mask_partition(a, "fit", 1, 2, NORM, use_obs_inputs=False)
    assert np.isfinite(f["y"]).tolist() == [True, False, False, False, True, False] and f["obs_mask"].sum() == 0


def test_zone_weighted_sampler():
    zones = [0, 0, 1, 1, 2, 2, 3]
    s = [ZoneWeightedSampler(zones, num_replicas=2, rank=r, seed=3) for r in range(2)]
    assert len(s[0]) == len(s[1]) == 4
    e0 = [list(x) for x in s]
    assert e0 == [list(x) for x in s]                       # deterministic per epoch
    for x in s:
        x.set_epoch(1)
    assert e0 != [list(x) for x in s]
    big = ZoneWeightedSampler(zones, num_replicas=1, rank=0, seed=0, num_samples=7000)
    uniform = np.bincount(np.array(zones)[list(big)], minlength=4)
    big.set_zone_weights({3: 20.0})
    heavy = np.bincount(np.array(zones)[list(big)], minlength=4)
    assert heavy[3] > 3 * uniform[3] and heavy[3] > heavy[0]
    with pytest.raises(ValueError):
        big.set_zone_weights({1: 0.0})
    assert isinstance(s[0], torch.utils.data.DistributedSampler)


def test_sharded_sequential_sampler_covers_once():
    parts = [list(ShardedSequentialSampler(7, num_replicas=3, rank=r)) for r in range(3)]
    assert sorted(sum(parts, [])) == list(range(7))
    assert [len(ShardedSequentialSampler(7, num_replicas=3, rank=r)) for r in range(3)] == [3, 2, 2]
