"""Leakage: observations of the held-out fold k set to a sentinel must not change any input the loader yields."""
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from oxygen_hpc.data.dataset import PartitionDataset
from preprocessing.partition.config import FoldSpec, PartitionConfig
from preprocessing.partition.folds import assign_folds
from preprocessing.partition.pipeline import run
from tests.fixtures import toy

INPUTS = ("x", "meta", "series", "series_mask", "nutrients", "nutrients_mask", "obs", "obs_mask", "edge_attr",
          "edge_index", "owned", "cell")
K, TEST = 1, 3
SENTINEL = 9999.0


def sentinel_store(grid, src, dst, folds: FoldSpec):
    n = 0
    for d in sorted(src.glob("year=*")):
        year = int(d.name.split("=")[1])
        for f in d.glob("*.parquet"):
            t = pq.read_table(f)
            k, j, i = grid.locate(t["lat"].to_numpy(), t["lon"].to_numpy(), t["depth"].to_numpy())
            cell = grid.cell_id(np.maximum(k, 0), j, i)
            hit = (k >= 0) & (assign_folds(grid, cell, year, folds.n_folds, folds.scheme, folds.seed,
                                           folds.block_deg) == K)
            n += int(hit.sum())
            for c in ("oxygen", "phosphate", "nitrate"):
                v = t[c].to_numpy(zero_copy_only=False).copy()
                v[hit & np.isfinite(v)] = SENTINEL
                t = t.set_column(t.schema.get_field_index(c), c, pa.array(v.astype(np.float32)))
            toy.write_store_year(dst, t, year, f.stem)
    return n


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("leak")
    grid, ocean, cov, store = toy.tiny_case(d, years=(2000, 2004), store_years=(1995, 2009), rows=120)
    folds = FoldSpec(n_folds=5, scheme="random_cell")
    n = sentinel_store(grid, store, d / "sentinel", folds)
    assert n > 50
    outs = []
    for name, st in (("clean", store), ("sent", d / "sentinel")):
        cfg = PartitionConfig(covariates=str(cov), out=str(d / name), zones_lon=2, zones_lat=2, folds=folds)
        run(cfg, str(st), workers=1, progress=False)
        outs.append(d / name)
    return outs


@pytest.mark.timeout(120)
@pytest.mark.parametrize("stage", ["fit", "validate", "test", "predict"])
def test_inputs_identical_with_sentinel_in_heldout_fold(two_runs, stage):
    clean, sent = (PartitionDataset(r, stage=stage, val_fold=K, test_fold=TEST, seed=5) for r in two_runs)
    assert len(clean) == len(sent) == 20
    differs = 0
    for i in range(len(clean)):
        a, b = clean[i], sent[i]
        for name in INPUTS:
            ta, tb = getattr(a, name), getattr(b, name)
            assert ta.dtype == tb.dtype and ta.shape == tb.shape, name
            assert ta.numpy().tobytes() == tb.numpy().tobytes(), f"{name} leaks fold {K} in partition {i}"
        differs += int((b.y == SENTINEL).sum())
        assert not torch.isin(a.y[a.y.isfinite()], torch.tensor([SENTINEL])).any()
    if stage == "validate":
        assert differs > 0          # the sentinel is there, as a target only
    else:
        assert differs == 0


def test_raw_files_do_differ(two_runs):
    """The stores really differ: the raw series/y hold the sentinel in the sentinel run."""
    raw = PartitionDataset(two_runs[1], stage="predict")
    hits = sum(int((raw.raw(i)["series"] == SENTINEL).sum()) for i in range(len(raw)))
    assert hits > 0


@pytest.mark.timeout(300)
@pytest.mark.parametrize("val_fold, test_fold", [(K, TEST), (TEST, K)], ids=["sentinel_in_val", "sentinel_in_test"])
def test_background_never_sees_a_heldout_label(two_runs, tmp_path, val_fold, test_fold):
    """The background field (trees fitted on training folds only) is identical with the sentinel in held-out fold K
    (as the validation or as the test fold), in every row, and so are all inputs the loader yields with it, in
    every stage."""
    import h5py

    from oxygen_hpc.background.build import build_background

    bgs = [tmp_path / f"bg_{i}.h5" for i in range(2)]
    for root, bg in zip(two_runs, bgs):
        build_background(root, bg, val_fold, test_fold, max_iter=30, log=lambda *_: None)
    with h5py.File(bgs[0], "r") as a, h5py.File(bgs[1], "r") as b:
        names = []
        a.visit(lambda n: names.append(n) if isinstance(a[n], h5py.Dataset) else None)
        assert names and all(a[n][()].tobytes() == b[n][()].tobytes() for n in names)
        assert list(a.attrs["train_folds"]) == [0, 2, 4]
    for stage in ("fit", "validate", "test"):
        clean, sent = (PartitionDataset(r, stage=stage, val_fold=val_fold, test_fold=test_fold, seed=5,
                                        background=bg) for r, bg in zip(two_runs, bgs))
        for i in range(len(clean)):
            a, b = clean[i], sent[i]
            for name in INPUTS + ("background",):
                assert getattr(a, name).numpy().tobytes() == getattr(b, name).numpy().tobytes(), (stage, name, i)
