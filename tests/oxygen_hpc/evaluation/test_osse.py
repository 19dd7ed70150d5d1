"""OSSE evaluation: node tables, truth look-up, metrics, and the harness (1 epoch) on a tiny hand-made world."""

from pathlib import Path

import netCDF4
import numpy as np
import pytest

from oxygen_contracts.manifest import PartitionManifest
from oxygen_hpc.evaluation.harness import EvalSets, run_neural, run_table
from oxygen_hpc.evaluation.metrics import regression_metrics
from oxygen_hpc.evaluation.tables import node_tables, split
from oxygen_hpc.evaluation.truth import truth_values
from oxygen_hpc.models.baselines import InverseDistanceWeighting
from .conftest import _truth_field, eval_sets

ROOT = Path(__file__).resolve().parents[3]

VAL, TEST = 0, 1


def test_metrics_by_hand():
    t = np.array([1.0, 10.0, 20.0, np.nan, 40.0])
    p = np.array([2.0, 12.0, 17.0, 5.0, 40.0])
    m = regression_metrics(p, t)
    e = np.array([1.0, 2.0, -3.0, 0.0])
    tt = np.array([1.0, 10.0, 20.0, 40.0])
    assert m["n"] == 4 and m["n_mape"] == 3
    assert m["mae"] == pytest.approx(1.5) and m["rmse"] == pytest.approx(np.sqrt(14 / 4))
    assert m["r2"] == pytest.approx(1 - 14 / ((tt - tt.mean()) ** 2).sum())
    assert m["mape"] == pytest.approx(100 * (0.2 + 0.15 + 0.0) / 3)
    with pytest.raises(ValueError):
        regression_metrics([np.nan], [1.0])


def test_tables_and_truth(world):
    lab, unobs = node_tables(world["parts"], n_unobserved=50, seed=3)
    assert np.isfinite(lab["y"]).all() and unobs["y"].isna().all() and len(unobs) == 50
    both = np.concatenate([lab["year"] * 10**6 + lab["cell"], unobs["year"] * 10**6 + unobs["cell"]])
    assert len(np.unique(both)) == len(both)                       # owned only: each node once
    again = node_tables(world["parts"], n_unobserved=50, seed=3)[1]
    assert again[["year", "cell"]].equals(unobs[["year", "cell"]])  # the same sample every time
    manifest = PartitionManifest.read(world["parts"])
    assert {"x_" + n for n in manifest["feature_names"]} <= set(lab.columns)
    assert set(lab["year"]) <= set(range(2000, 2004)) and lab["year"].dtype == np.int64
    sp = split(lab, VAL, TEST)
    assert not sp["train"]["fold"].isin([VAL, TEST]).any() and (sp["test"]["fold"] == TEST).all()
    grid = manifest.grid
    tv = truth_values(world["truth"], grid, unobs["cell"], unobs["year"])
    k, j, i = grid.unravel(unobs["cell"].to_numpy())
    want = [_truth_field(grid, y)[kk, jj, ii] for y, kk, jj, ii in zip(unobs["year"], k, j, i)]
    np.testing.assert_allclose(tv, want, rtol=1e-6)


@pytest.mark.timeout(60)
def test_harness_two_methods(world):
    import torch

    torch.set_num_threads(1)
    grid = PartitionManifest.read(world["parts"]).grid
    lab, unobs = node_tables(world["parts"], n_unobserved=40)
    sp = split(lab, VAL, TEST)
    truth = truth_values(world["truth"], grid, unobs["cell"], unobs["year"])
    sets = EvalSets(sp["train"], sp["val"], sp["test"], unobs, truth, grid.ncells)
    assert len(sets.test) > 0 and len(sets.train) > 0

    r = run_table(InverseDistanceWeighting(k=4), sets)
    # independently: refit, predict, and score against the truth read straight from the file
    idw = InverseDistanceWeighting(k=4).fit(lab[~lab["fold"].isin([VAL, TEST])])
    with netCDF4.Dataset(world["truth"]) as ds:
        o2 = np.asarray(ds["o2"][:])
    k, j, i = grid.unravel(unobs["cell"].to_numpy())
    t = o2[unobs["year"].to_numpy() - grid.year_start, k, j, i]
    e = idw.predict(unobs) - t
    assert r["unobserved"]["rmse"] == pytest.approx(np.sqrt(np.mean(e ** 2)))
    assert r["unobserved"]["mae"] == pytest.approx(np.mean(np.abs(e)))
    test = lab[lab["fold"] == TEST]
    assert r["held_out"]["rmse"] == pytest.approx(np.sqrt(np.mean((idw.predict(test) - test["y"]) ** 2)))

    spec = _mlp_config()
    n = run_neural(spec, world["parts"], sets, VAL, TEST, epochs=1, batch_size=4, num_workers=0)
    assert n["held_out"]["n"] == len(sets.test) and n["unobserved"]["n"] == len(unobs)
    assert np.isfinite([n["held_out"]["rmse"], n["unobserved"]["rmse"], n["train_seconds"]]).all()


def test_neural_trains_on_every_year_scores_on_a_subset(world):
    """--neural-train-years all: training partitions of every year, validation and scoring on --years only."""
    import torch

    from oxygen_hpc.evaluation.methods import neural_methods

    torch.set_num_threads(1)
    years = [2001, 2002]
    grid = PartitionManifest.read(world["parts"]).grid
    lab, unobs = node_tables(world["parts"], n_unobserved=30, years=years)
    sp = split(lab[lab["year"].isin(years)], VAL, TEST)
    truth = truth_values(world["truth"], grid, unobs["cell"], unobs["year"])
    sets = EvalSets(split(lab, VAL, TEST)["train"], sp["val"], sp["test"], unobs, truth, grid.ncells)
    spec = _mlp_config()
    same = {"model.init_args.lr": 0.01, "data.init_args.fit_subgraph": True}     # every method alike
    n = run_neural(spec, world["parts"], sets, VAL, TEST, epochs=2, batch_size=2, num_workers=0, years=years,
                   train_years=None, curve_every=2, overrides=same)
    assert n["held_out"]["n"] == len(sets.test) and n["unobserved"]["n"] == len(unobs)
    steps = [s for s, _ in n["curve"]]                 # validated every 2 steps and at each epoch end
    assert n["steps"] > 2 and steps == sorted(steps) and steps[0] == 2 and steps[-1] == n["steps"]
    assert all(np.isfinite(v) and v > 0 for _, v in n["curve"])
    assert np.isfinite([n["held_out"]["rmse"], n["val"]["rmse"]]).all()
    assert (n["hparams"]["lr"], n["fit_subgraph"]) == (0.01, True)
    specs = neural_methods(ablations=True, configs=ROOT / "configs" / "train")
    default = {k: {"fit_subgraph": c["data"]["init_args"]["fit_subgraph"]} for k, c in specs.items()}
    # the baselines train on the batches OxyGenerator's config names
    assert {s["fit_subgraph"] for s in default.values()} == {default["oxygenerator"]["fit_subgraph"]}
    with pytest.raises(ValueError, match="learning_rate"):
        run_neural(spec, world["parts"], sets, VAL, TEST, epochs=1, overrides={"model.init_args.learning_rate": 0.01})


def _mlp_config() -> dict:
    """A small MLP trained with zone-adaptive sampling, in train-config form (what ``neural_methods`` returns)."""
    return {"trainer": {"gradient_clip_val": 1.0, "callbacks": [
                {"class_path": "oxygen_hpc.training.callbacks.ZoneAdaptiveSampling",
                 "init_args": {"temperature": 1.0, "floor": 0.2}}]},
            "model": {"class_path": "oxygen_hpc.training.OxyTask",
                      "init_args": {"model": {"class_path": "oxygen_hpc.models.MLP",
                                              "init_args": {"hidden": 8, "layers": 2}}, "lam": 0.0}},
            "data": {"class_path": "oxygen_hpc.data.datamodule.PartitionDataModule", "init_args": {"root": "."}}}


def test_new_table_baselines_run_in_the_harness(world, tmp_path):
    """regression_kriging and numerical_model are methods of the benchmark; the model reads WORLD/model_run.nc and
    uses no observation: a run = truth + 5 scores exactly 5 µmol/kg against the truth."""
    import shutil

    from oxygen_hpc.evaluation.methods import MODEL_RUN, TABLE_BASELINES, table_baseline

    assert {"regression_kriging", "numerical_model"} <= set(TABLE_BASELINES)
    assert {"idw", "objective_mapping", "tree_ensemble", "climatology"} <= set(TABLE_BASELINES)
    with pytest.raises(ValueError, match="world"):
        table_baseline("numerical_model", 0)
    shutil.copy(world["truth"], tmp_path / MODEL_RUN)
    with netCDF4.Dataset(tmp_path / MODEL_RUN, "a") as ds:
        ds["o2"][:] = ds["o2"][:] + 5.0
    sets = eval_sets(world, 40, VAL, TEST)
    r = run_table(table_baseline("numerical_model", 0, world=tmp_path), sets)
    assert r["unobserved"]["rmse"] == pytest.approx(5.0, abs=1e-4)
    assert r["unobserved"]["mae"] == pytest.approx(5.0, abs=1e-4)
    assert r["held_out"]["n"] == len(sets.test)
    rk = run_table(table_baseline("regression_kriging", 0), sets)
    assert np.isfinite([rk["held_out"]["rmse"], rk["unobserved"]["rmse"], rk["val"]["rmse"]]).all()


def test_overrides_reach_the_networks_arguments(world):
    """A harness override inside the network spec changes the network (it was set beside init_args and ignored)."""
    import torch

    torch.set_num_threads(1)
    sets = eval_sets(world, 10, VAL, TEST)
    small = run_neural(_mlp_config(), world["parts"], sets, VAL, TEST, epochs=1, num_workers=0)
    wide = run_neural(_mlp_config(), world["parts"], sets, VAL, TEST, epochs=1, num_workers=0,
                      overrides={"model.init_args.model.init_args.hidden": 32})
    assert wide["parameters"] > small["parameters"]
    assert wide["hparams"]["model"]["init_args"]["hidden"] == 32
