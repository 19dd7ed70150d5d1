"""The background field: one row per left-out training fold plus one on every training fold, read by the dataset
as an input column and the model's offset; refused when built for other partitions or other held-out folds."""
from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from oxygen_contracts.manifest import PartitionManifest
from oxygen_hpc.background.build import build_background, group_name
from oxygen_hpc.data.background import BackgroundError, BackgroundFile
from oxygen_hpc.data.dataset import PartitionDataset
from oxygen_hpc.evaluation.tables import _frame, node_tables
from oxygen_hpc.models.baselines import TreeEnsemble

VAL, TEST = 0, 1


@pytest.fixture(scope="module")
def bg(root, tmp_path_factory):
    out = tmp_path_factory.mktemp("bg") / "background.h5"
    build_background(root, out, VAL, TEST, max_iter=20, log=lambda *_: None)
    return out


def test_rows_are_fitted_without_their_fold(root, bg):
    man = PartitionManifest.read(root)
    lab, _ = node_tables(root, n_unobserved=0)
    with h5py.File(bg, "r") as h:
        folds = [int(f) for f in h.attrs["train_folds"]]
        assert folds == sorted(set(lab["fold"]) - {VAL, TEST, -1}) and len(folds) >= 2
        year, zones = next(iter(man.zones_by_year().items()))
        arr = h[group_name(year, zones[0])][()]
    assert arr.shape[0] == len(folds) + 1 and np.isfinite(arr).all()
    with h5py.File(root / f"year={year}.h5", "r") as f:
        g = f[f"zone={zones[0]:02d}"]
        own = g["owned"][()].astype(bool)
        n = int(own.sum())
        table = _frame(man.grid, man.feature_names, year, zones[0], g["cell"][()][own].astype(np.int64),
                       g["x"][()][own], np.full(n, np.nan), np.zeros(n, np.int64), g["fold"][()][own])
    for r, f in enumerate(folds + [None]):                  # refit each model independently: the same values
        use = lab[lab["fold"].isin([k for k in folds if k != f])]
        want = TreeEnsemble(kind="hgb", max_iter=20, random_state=0).fit(use).predict(table)
        np.testing.assert_allclose(arr[r][own], want.astype(np.float32), rtol=1e-6)


def test_a_halo_node_has_its_owners_background(root, bg):
    """The same (cell, year) gets one background whichever partition holds it (its owner's)."""
    man = PartitionManifest.read(root)
    year, zones = next(iter(man.zones_by_year().items()))
    value: dict[int, np.ndarray] = {}
    halo = 0
    with h5py.File(bg, "r") as h, h5py.File(root / f"year={year}.h5", "r") as f:
        for z in zones:
            own = f[f"zone={z:02d}"]["owned"][()].astype(bool)
            cell, arr = f[f"zone={z:02d}"]["cell"][()], h[group_name(year, z)][()]
            value.update({int(c): arr[:, i] for i, c in enumerate(cell) if own[i]})
        for z in zones:
            own = f[f"zone={z:02d}"]["owned"][()].astype(bool)
            cell, arr = f[f"zone={z:02d}"]["cell"][()], h[group_name(year, z)][()]
            for i in np.flatnonzero(~own):
                np.testing.assert_array_equal(arr[:, i], value[int(cell[i])])
                halo += 1
    assert halo > 0


def test_dataset_reads_the_row_of_the_draws_target_fold(root, bg):
    man = PartitionManifest.read(root)
    norm = man.observation_norm
    fit = PartitionDataset(root, stage="fit", val_fold=VAL, test_fold=TEST, background=bg, seed=3)
    val = PartitionDataset(root, stage="validate", val_fold=VAL, test_fold=TEST, background=bg)
    bf = BackgroundFile(bg, man, VAL, TEST)
    seen = set()
    for i in range(len(fit)):
        year, zone = fit.index[i]
        d, a = fit[(i, 0, i)], fit.raw(i)
        fold = torch.from_numpy(a["fold"].astype(np.int64))
        targets = set(fold[d.y.isfinite()].tolist())
        if not targets:
            continue
        assert len(targets) == 1                             # one target fold per draw
        (t,) = targets
        seen.add(t)
        want = bf.read(year, zone, bf.row(t), len(a["cell"]))
        assert torch.equal(d.background, torch.from_numpy(want))
        assert d.x.shape[1] == a["x"].shape[1] + 1
        assert torch.allclose(d.x[:, -1], (d.background - norm["oxygen_mean"]) / norm["oxygen_std"])
        v = val[i]
        assert torch.equal(v.background, torch.from_numpy(bf.read(year, zone, bf.row(None), len(a["cell"]))))
    assert len(seen) >= 2


def test_refused_for_other_folds_or_partitions(root, bg, tmp_path):
    man = PartitionManifest.read(root)
    with pytest.raises(BackgroundError, match="built for val_fold=0, this run holds out val_fold=2"):
        BackgroundFile(bg, man, 2, TEST)
    BackgroundFile(bg, man, None, None, check_folds=False)            # predict evaluates nothing
    other = tmp_path / "other.h5"
    with h5py.File(bg, "r") as src, h5py.File(other, "w") as dst:
        for k, v in src.attrs.items():
            dst.attrs[k] = v
        dst.attrs["manifest_sha256"] = "0" * 64
    with pytest.raises(BackgroundError, match="built for other partitions"):
        BackgroundFile(other, man, VAL, TEST)
    (tmp_path / "junk.h5").write_text("not hdf5")
    with pytest.raises(BackgroundError, match="junk.h5: not a readable background file"):
        BackgroundFile(tmp_path / "junk.h5", man, VAL, TEST)


def test_models_predict_background_plus_anomaly(root, bg):
    from oxygen_hpc.data.datamodule import PartitionDataModule
    from oxygen_hpc.training.task import build_network

    dm = PartitionDataModule(str(root), background=str(bg))
    dims = dm.dims
    assert dims["use_background"] and dims["in_features"] == PartitionDataModule(str(root)).dims["in_features"] + 1
    d = PartitionDataset(root, stage="validate", val_fold=VAL, test_fold=TEST, background=bg)[0]
    for spec in ({"class_path": "oxygen_hpc.models.OxyGenerator", "init_args": {"hidden": 8, "rank": 2}},
                 {"class_path": "oxygen_hpc.models.MLP", "init_args": {"hidden": 8}},
                 {"class_path": "oxygen_hpc.models.GCN", "init_args": {"hidden": 8}}):
        net = build_network(spec, dims)
        assert net.use_background
        with torch.no_grad():
            for p in net.parameters():
                p.zero_()
            assert torch.allclose(net(d), d.background)       # a zero anomaly gives the background back
    with pytest.raises(ValueError, match="background"):
        build_network({"class_path": "oxygen_hpc.models.MLP", "init_args": {"use_background": False}}, dims)


def test_background_verb_and_a_fit_that_learns_the_anomaly(root, tmp_path, capsys):
    from oxygen_hpc.background.cli import main as background
    from oxygen_hpc.training.cli import main as cli

    out = tmp_path / "bg.h5"
    assert background(["--partitions", str(root), "--val-fold", "0", "--test-fold", "1", "--out", str(out),
                       "--max-iter", "5"]) == 0
    assert background(["--partitions", str(tmp_path / "nope")]) == 2
    assert "no partition manifest" in capsys.readouterr().err
    run = tmp_path / "run"
    cfg = str(Path(__file__).resolve().parents[3] / "configs" / "train" / "tiny.yaml")
    assert cli(["fit", "--config", cfg, f"--data.init_args.root={root}", f"--data.init_args.background={out}",
                f"--trainer.default_root_dir={run}", "--trainer.max_epochs=1", "--wandb.mode=disabled"]) == 0
    ck = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ck["hyper_parameters"]["dims"]["use_background"] is True
    from oxygen_hpc.training import OxyTask      # the loader calibrate and predict use (refused it once: make demo)

    assert OxyTask.load_from_checkpoint(run / "checkpoints" / "last.ckpt").net.use_background


def test_observed_inputs_become_anomalies_from_the_background(root, bg):
    val = PartitionDataset(root, stage="validate", val_fold=VAL, test_fold=TEST, background=bg, anomaly_scale=20.0)
    plain = PartitionDataset(root, stage="validate", val_fold=VAL, test_fold=TEST)
    checked = 0
    for i in range(len(val)):
        d, p, a = val[i], plain[i], val.raw(i)
        assert torch.equal(d.obs_mask, p.obs_mask) and torch.equal(d.series_mask, p.series_mask)
        seen = d.obs_mask.bool()
        want = (torch.from_numpy(a["y"]) - d.background) / 20.0
        assert torch.allclose(d.obs[seen], want[seen], atol=1e-4) and (d.obs[~seen] == 0).all()
        sm = d.series_mask.bool()
        want_s = (torch.from_numpy(a["series"]) - d.background[:, None]) / 20.0
        assert torch.allclose(d.series[sm], want_s[sm], atol=1e-4)
        checked += int(seen.sum())
    assert checked > 0
