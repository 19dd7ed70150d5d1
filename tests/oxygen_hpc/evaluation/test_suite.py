"""benchmarks/osse.py end to end on a tiny world: the headline methods' results.json blocks, OxyGenerator as an
ensemble on its background with calibrated spread, the ablations as mean ± std over seeds."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _osse():
    spec = importlib.util.spec_from_file_location("osse_bench", ROOT / "benchmarks" / "osse.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.timeout(600)
def test_benchmark_writes_every_block(world, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    (tmp_path / "world").mkdir()
    (tmp_path / "world" / "truth.nc").symlink_to(world["truth"])
    out = tmp_path / "results.json"
    rc = _osse().main(["--world", str(tmp_path / "world"), "--partitions", str(world["parts"]), "--work",
                       str(tmp_path / "work"), "--out", str(out), "--methods", "oxygenerator,tree_ensemble",
                       "--members", "2", "--epochs", "1", "--years", "all", "--batch-size", "4", "--num-workers",
                       "0", "--threads", "1", "--n-unobserved", "30", "--layers", "2", "--ablations", "--ablation-seeds", "0,1"])
    assert rc == 0
    r = json.loads(out.read_text())
    assert {"oxygenerator", "tree_ensemble", "oxygenerator_single", "ablation_no_background",
            "ablation_no_hypernetwork"} <= set(r)
    for m, res in r.items():
        for block in ("held_out", "unobserved"):
            assert {"rmse", "mae", "r2", "mape"} <= set(res[block]), (m, block)
    ox = r["oxygenerator"]
    assert ox["members"] == 2 and {"coverage90", "crps"} <= set(ox["held_out"]) | set(ox["unobserved"])
    assert ox["config"]["data"]["init_args"]["background"].endswith("background_v0_t1.h5")
    assert "background" not in r["ablation_no_background"]["config"]["data"].get("init_args", {})
    assert r["ablation_no_background"]["seeds"] == 2 and len(r["ablation_no_background"]["per_seed"]) == 2
    assert r["ablation_no_hypernetwork"]["config"]["model"]["init_args"]["model"]["init_args"]["zoning"] == "discrete"
    assert "rmse_std" in r["ablation_no_hypernetwork"]["held_out"]
    assert (tmp_path / "work" / "background_v0_t1.h5").is_file()


def test_layers_change_only_graph_networks():
    from oxygen_hpc.evaluation.suite import with_layers

    net = lambda c: {"model": {"init_args": {"model": {"class_path": f"oxygen_hpc.models.{c}",  # noqa: E731
                                                       "init_args": {"layers": 3}}}}}
    assert with_layers(net("OxyGenerator"), 4)["model"]["init_args"]["model"]["init_args"]["layers"] == 4
    assert with_layers(net("GraphSAGE"), 4)["model"]["init_args"]["model"]["init_args"]["layers"] == 4
    assert with_layers(net("MLP"), 4)["model"]["init_args"]["model"]["init_args"]["layers"] == 3   # its depth
    assert with_layers(net("OxyGenerator"), None) == net("OxyGenerator")


def test_ablations_can_be_shared_out_by_name():
    from oxygen_hpc.evaluation.suite import ablation_names

    assert ablation_names(None) == []
    assert "full" in ablation_names("all") and "no_background" in ablation_names("all")
    assert ablation_names("no_chemistry,ablation_no_temporal,full") == ["no_chemistry", "no_temporal", "full"]
    with pytest.raises(ValueError, match="no_such"):
        ablation_names("no_such")
