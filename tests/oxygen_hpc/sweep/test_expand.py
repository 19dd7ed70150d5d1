"""Sweep expansion: grid products, reproducible random draws in range, dotted overrides in full configs."""
from __future__ import annotations

import json
import math
from pathlib import Path
import sys

import pytest
import yaml

from oxygen_hpc.sweep import cli

ROOT = Path(__file__).resolve().parents[3]
from oxygen_hpc.sweep.expand import SweepError, apply_overrides, expand, flatten_parameters, validate
from oxygen_hpc.sweep.plan import build_argv, plan
from oxygen_hpc.sweep.tracking import use_wandb

BASE = {"model": {"class_path": "M", "init_args": {"hidden": 32, "layers": 2}},
        "trainer": {"max_epochs": 1, "devices": 1}, "data": {"init_args": {"root": "/data"}}}


def _write(tmp_path, spec: dict, base: dict = BASE):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    spec = {"base_config": str(tmp_path / "base.yaml"), **spec}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "spec.yaml"


def test_grid_is_the_product_in_spec_order():
    spec = validate({"method": "grid", "parameters": {
        "model.init_args.hidden": {"values": [16, 32, 64]},
        "trainer.max_epochs": {"values": [1, 2]},
        "optimizer.lr": {"value": 0.01}}})
    runs = expand(spec)
    assert len(runs) == 6
    assert [(r["model.init_args.hidden"], r["trainer.max_epochs"]) for r in runs] == \
        [(h, e) for h in (16, 32, 64) for e in (1, 2)]
    assert all(r["optimizer.lr"] == 0.01 for r in runs)


def test_nested_wandb_parameters_flatten_to_dotted_names():
    flat = flatten_parameters({"model": {"parameters": {"init_args": {"parameters": {"hidden": {"value": 8}}}}},
                               "seed": {"value": 1}})
    assert flat == {"model.init_args.hidden": {"value": 8}, "seed": {"value": 1}}


def test_random_is_reproducible_and_in_range():
    spec = validate({"method": "random", "run_cap": 200, "parameters": {
        "a": {"distribution": "uniform", "min": -1.0, "max": 2.0},
        "lr": {"distribution": "log_uniform_values", "min": 1e-5, "max": 1e-1},
        "n": {"distribution": "int_uniform", "min": 3, "max": 7},
        "q": {"distribution": "q_uniform", "min": 0, "max": 100, "q": 10},
        "c": {"values": ["x", "y"]}, "k": {"min": 1, "max": 4}}})
    runs = expand(spec, seed=7)
    assert len(runs) == 200 and runs == expand(spec, seed=7) and runs != expand(spec, seed=8)
    assert all(-1.0 <= r["a"] <= 2.0 for r in runs)
    assert all(1e-5 <= r["lr"] <= 1e-1 for r in runs)
    assert set(r["n"] for r in runs) == {3, 4, 5, 6, 7}
    assert all(r["q"] % 10 == 0 and 0 <= r["q"] <= 100 for r in runs)
    assert set(r["c"] for r in runs) == {"x", "y"} and all(isinstance(r["k"], int) for r in runs)
    logs = [math.log10(r["lr"]) for r in runs]  # log-uniform: about half the draws below 1e-3
    assert 0.35 < sum(x < -3 for x in logs) / len(logs) < 0.65


@pytest.mark.parametrize("bad, message", [
    ({"method": "bayes", "parameters": {"a": {"value": 1}}}, "method"),
    ({"method": "random", "parameters": {"a": {"value": 1}}}, "run_cap"),
    ({"method": "grid", "parameters": {"a": {"distribution": "uniform", "min": 0, "max": 1}}}, "grid"),
    ({"method": "random", "run_cap": 2, "parameters": {"a": {"distribution": "nope", "min": 0, "max": 1}}}, "nope"),
    ({"method": "random", "run_cap": 2, "parameters": {"a": {"distribution": "uniform", "min": 2, "max": 1}}}, "min"),
    ({"method": "grid", "parameters": {"a": {"values": []}}}, "values"),
    ({"method": "grid", "parameters": {"a": {"value": 1}}, "metric": {"name": "m", "goal": "up"}}, "goal"),
    ({"method": "grid", "parameters": {"a": {"value": 1}}, "typo": 1}, "typo"),
])
def test_bad_specs_are_rejected_naming_the_key(bad, message):
    with pytest.raises(SweepError, match=message):
        validate(bad)


def test_dotted_overrides_land_in_written_configs(tmp_path):
    spec_path = _write(tmp_path, {"method": "grid", "metric": {"name": "val/rmse", "goal": "minimize"},
                                  "parameters": {"model.init_args.hidden": {"values": [8, 16]},
                                                 "trainer.max_epochs": {"values": [3]},
                                                 "new.deep.key": {"value": "v"}}})
    out = tmp_path / "sw"
    assert cli.main([str(spec_path), "--dir", str(out)]) == 0
    data = json.loads((out / "sweep.json").read_text())
    assert data["n"] == 2 and data["metric"] == {"name": "val/rmse", "goal": "minimize"}
    for i, hidden in enumerate((8, 16)):
        cfg = yaml.safe_load((out / "configs" / f"{i}.yaml").read_text())
        assert cfg["model"] == {"class_path": "M", "init_args": {"hidden": hidden, "layers": 2}}
        assert cfg["trainer"] == {"max_epochs": 3, "devices": 1, "default_root_dir": str(out / "runs" / str(i))}
        assert cfg["new"] == {"deep": {"key": "v"}} and cfg["data"] == BASE["data"]
        assert data["tasks"][i]["argv"] == ["oxygen-hpc", "fit", "--config", str(out / "configs" / f"{i}.yaml")]
    assert cli.main([str(spec_path), "--dir", str(out)]) == 2  # refuses to overwrite a sweep


def test_override_through_a_scalar_is_an_error():
    with pytest.raises(SweepError, match="model.init_args.hidden.x"):
        apply_overrides(BASE, {"model.init_args.hidden.x": 1})


def test_wandb_command_macros():
    ov = {"model.init_args.hidden": 8, "flag": True, "off": False, "name": "a b"}
    argv = build_argv(["${env}", "${interpreter}", "${program}", "--config", "${config}", "${args}",
                       "${args_no_hyphens}", "${args_no_boolean_flags}", "${args_json}", "${args_json_file}",
                       "${envvar:HOME}"],
                      overrides=ov, program="/p/train.py", config="/c.yaml", run_dir="/r", params_file="/p.json",
                      spec={})
    assert argv == [sys.executable, "/p/train.py", "--config", "/c.yaml",
                    "--model.init_args.hidden=8", "--flag=true", "--off=false", "--name=a b",
                    "model.init_args.hidden=8", "flag=true", "off=false", "name=a b",
                    "--model.init_args.hidden=8", "--flag", "--name=a b",
                    json.dumps(ov), "/p.json", "${envvar:HOME}"]
    with pytest.raises(SweepError, match="program"):
        build_argv(["${program}"], overrides={}, program=None, config="", run_dir="", params_file="", spec={})


def test_wandb_mode_creates_one_sweep_and_agent_tasks(tmp_path):
    spec_path = _write(tmp_path, {"method": "grid", "project": "oxy", "entity": "team", "seed": 3,
                                  "parameters": {"trainer.max_epochs": {"values": [1, 2, 3]}}})
    calls = []

    def fake_sweep(sweep, entity, project):
        calls.append((sweep, entity, project))
        return "abc123"

    data = use_wandb(plan(yaml.safe_load(spec_path.read_text()), spec_path, tmp_path / "sw"), sweep_fn=fake_sweep)
    (wb, entity, project), = calls
    assert (entity, project) == ("team", "oxy") and "base_config" not in wb and "seed" not in wb
    assert wb["command"] == ["oxygen-hpc", "fit", "--config", str(tmp_path / "base.yaml"), "${args}"]
    assert data["mode"] == "wandb" and data["n"] == 3
    assert all(t["argv"] == ["wandb", "agent", "--count", "1", "team/oxy/abc123"] for t in data["tasks"])


@pytest.mark.parametrize("name, n", [("tiny_grid", 4), ("oxygenerator_random", 24), ("ablation", 36)])
def test_shipped_sweep_specs_expand(name, n):
    from pathlib import Path

    from oxygen_hpc.sweep.expand import load_spec

    spec = load_spec(Path(__file__).resolve().parents[3] / "configs" / "sweeps" / f"{name}.yaml")
    runs = expand(spec)
    assert len(runs) == n and len({json.dumps(r, sort_keys=True) for r in runs}) == n
    assert spec["metric"] == {"name": "val/rmse", "goal": "minimize"}


@pytest.mark.parametrize("spec", sorted((ROOT / "configs" / "sweeps").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_swept_parameter_exists_in_its_base_config(spec):
    """A dotted name that is not in the base config would silently add an unused key: refuse it here."""
    import yaml

    from oxygen_contracts.compose import compose

    s = yaml.safe_load(spec.read_text())
    base = compose(ROOT / s["base_config"])
    for name in s["parameters"]:
        node = base
        for part in name.split("."):
            assert isinstance(node, dict) and part in node, f"{spec.name}: {name} not in {s['base_config']}"
            node = node[part]
