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


def fold_arrays(n=400, seed=0):
    """Labelled nodes in folds 0..4 (held out: 1, 2), every one with nutrients."""
    r = np.random.default_rng(seed)
    fold = r.integers(-1, 5, n).astype(np.int8)
    y = np.where(fold >= 0, r.uniform(50, 300, n), np.nan).astype(np.float32)
    nut = np.where(fold[:, None] >= 0, r.uniform(0.5, 2.5, (n, 2)), np.nan).astype(np.float32)
    series = np.full((n, 11), np.nan, np.float32)
    return {"series": series, "series_mask": np.zeros((n, 11), bool), "series_fold": np.full((n, 11), -1, np.int8),
            "y": y, "fold": fold, "nutrients": nut, "nutrients_fold": fold.copy(), "owned": r.random(n) < 0.8}


@pytest.mark.parametrize("use_obs", [True, False])
def test_fit_fold_split_hides_target_folds_as_evaluation_does(use_obs):
    """Issue 5: at validation/test a target's whole fold (its spatial block, its column) and its own nutrients are
    hidden; a per-node split let training targets see both, so the model learnt to copy inputs evaluation never
    has. In fit, no input may come from a target's fold."""
    a = fold_arrays()
    seen = set()
    for seed in range(20):
        f = mask_partition(a, "fit", 1, 2, NORM, use_obs_inputs=use_obs, rng=np.random.default_rng(seed))
        target = np.isfinite(f["y"])
        tf = set(a["fold"][target].tolist())
        assert tf and tf <= {0, 3, 4}
        seen.add(frozenset(tf))
        in_tf = np.isin(a["fold"], list(tf))
        assert f["obs_mask"][in_tf].sum() == 0                             # no obs of a target fold
        assert f["nutrients_mask"][in_tf].sum() == 0                       # nor its nutrients
        assert (target == (in_tf & a["owned"])).all()                      # every owned node of it is a target
        others = np.isin(a["fold"], [f_ for f_ in (0, 3, 4) if f_ not in tf])
        assert (f["nutrients_mask"][others] == 1).all()
        assert (f["obs_mask"][others] == (1 if use_obs else 0)).all()
    assert len(seen) > 2                                                   # the target folds vary with the key


def test_fit_node_split_is_the_old_per_node_rule():
    a = fold_arrays()
    f = mask_partition(a, "fit", 1, 2, NORM, rng=np.random.default_rng(0), fit_split="node")
    target = np.isfinite(f["y"])
    assert not (target & (f["obs_mask"] > 0)).any()
    assert (f["nutrients_mask"][target] == 1).all()                       # targets keep their own nutrients
    with pytest.raises(ValueError, match="fit_split"):
        mask_partition(a, "fit", 1, 2, NORM, fit_split="cell")


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


def test_zone_weighted_sampler_base_weights_follow_labels():
    zones = [0, 0, 1, 1]
    labels = [0, 10, 30, 0]                                 # items 0 and 3 have no label: never drawn
    s = ZoneWeightedSampler(zones, num_replicas=1, rank=0, seed=0, num_samples=8000, base_weights=labels)
    counts = np.bincount(list(s), minlength=4)
    assert counts[0] == 0 and counts[3] == 0
    assert 2.5 < counts[2] / counts[1] < 3.5                # in proportion to the labels
    s.set_zone_weights({0: 3.0})                            # zone weights multiply the base weights
    counts = np.bincount(list(s), minlength=4)
    assert 0.8 < counts[1] / counts[2] < 1.25
    with pytest.raises(ValueError, match="base_weights"):
        ZoneWeightedSampler(zones, num_replicas=1, rank=0, base_weights=[1, 2])
    with pytest.raises(ValueError, match="base_weights"):
        ZoneWeightedSampler(zones, num_replicas=1, rank=0, base_weights=[0, 0, 0, 0])


def test_sharded_sequential_sampler_covers_once():
    parts = [list(ShardedSequentialSampler(7, num_replicas=3, rank=r)) for r in range(3)]
    assert sorted(sum(parts, [])) == list(range(7))
    assert [len(ShardedSequentialSampler(7, num_replicas=3, rank=r)) for r in range(3)] == [3, 2, 2]
