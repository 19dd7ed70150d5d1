"""Composed configs: ``extends`` pieces merged in order, deep for mappings, whole for a new class or a list."""
from __future__ import annotations

import pytest
import yaml

from oxygen_contracts.compose import ComposeError, compose, expand_argv, merge


def _w(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_merge_rules():
    base = {"a": {"b": 1, "c": [1, 2]}, "m": {"class_path": "X", "init_args": {"p": 1, "q": 2}}}
    assert merge(base, {"a": {"b": 5}}) == {"a": {"b": 5, "c": [1, 2]}, "m": base["m"]}
    assert merge(base, {"a": {"c": []}})["a"]["c"] == []                                  # lists replace
    assert merge(base, {"m": {"init_args": {"q": 3}}})["m"] == {"class_path": "X", "init_args": {"p": 1, "q": 3}}
    assert merge(base, {"m": {"class_path": "Y", "init_args": {"r": 0}}})["m"] == {"class_path": "Y",
                                                                                  "init_args": {"r": 0}}
    assert base["a"]["b"] == 1                                                            # inputs untouched


def test_extends_relative_nested_and_own_keys_last(tmp_path):
    _w(tmp_path / "base" / "t.yaml", "trainer: {max_epochs: 50, devices: auto}\nwandb: {tags: [a]}\n")
    _w(tmp_path / "base" / "m.yaml", "model:\n  class_path: T\n  init_args:\n    model: {class_path: N, "
       "init_args: {hidden: 64, zoning: hyper}}\n    lam: 0.1\n")
    _w(tmp_path / "run.yaml", "extends: [base/t.yaml, base/m.yaml]\ntrainer: {default_root_dir: runs/x}\n")
    abl = _w(tmp_path / "abl.yaml", "extends: run.yaml\nmodel: {init_args: {model: {init_args: {zoning: discrete}}}}\n")
    c = compose(abl)
    assert "extends" not in c
    assert c["trainer"] == {"max_epochs": 50, "devices": "auto", "default_root_dir": "runs/x"}
    assert c["model"]["init_args"] == {"model": {"class_path": "N", "init_args": {"hidden": 64,
                                                                                  "zoning": "discrete"}},
                                       "lam": 0.1}


def test_bad_configs_name_the_file(tmp_path):
    a = _w(tmp_path / "a.yaml", "extends: b.yaml\n")
    _w(tmp_path / "b.yaml", "extends: a.yaml\n")
    with pytest.raises(ComposeError, match="cycle"):
        compose(a)
    with pytest.raises(ComposeError, match="missing.yaml not readable"):
        compose(_w(tmp_path / "c.yaml", "extends: missing.yaml\n"))
    with pytest.raises(ComposeError, match="d.yaml is not valid YAML"):
        compose(_w(tmp_path / "d.yaml", "a: [1,\n"))
    with pytest.raises(ComposeError, match="e.yaml: 'extends' must be"):
        compose(_w(tmp_path / "e.yaml", "extends: {x: 1}\n"))


def test_expand_argv_replaces_only_composed_configs(tmp_path):
    _w(tmp_path / "p.yaml", "trainer: {max_epochs: 5}\n")
    run = _w(tmp_path / "run.yaml", "extends: p.yaml\nseed_everything: 3\n")
    plain = _w(tmp_path / "plain.yaml", "seed_everything: 1\n")
    out = expand_argv(["fit", "--config", str(run), f"--config={plain}", "--trainer.max_epochs=2"])
    assert out[0] == "fit" and out[1] == "--config" and out[3:] == ["--config", str(plain), "--trainer.max_epochs=2"]
    assert yaml.safe_load(out[2]) == {"trainer": {"max_epochs": 5}, "seed_everything": 3}


def test_overrides_inside_the_network_spec_are_merged_not_set_beside_it(tmp_path):
    """jsonargparse sets `--model.init_args.model.init_args.hidden=64` beside init_args of the plain mapping
    OxyTask.model (where it was ignored): they are applied to the merged configs instead."""
    base = _w(tmp_path / "b.yaml", "model:\n  class_path: T\n  init_args:\n    model: {class_path: N, init_args: "
              "{hidden: 32, zoning: hyper}}\n    lr: 0.1\n")
    over = _w(tmp_path / "o.yaml", "model: {init_args: {lr: 0.2}}\n")
    out = expand_argv(["fit", "--config", str(base), "--model.init_args.model.init_args.hidden=64", "--config",
                       str(over), "--model.init_args.model.init_args.zoning", "discrete", "--trainer.max_epochs=1",
                       "--data.x", ""])
    assert out[0] == "fit" and out[1] == "--config" and out[3:] == ["--trainer.max_epochs=1", "--data.x", ""]
    cfg = yaml.safe_load(out[2])
    assert cfg["model"]["init_args"] == {"model": {"class_path": "N", "init_args": {"hidden": 64,
                                                                                    "zoning": "discrete"}},
                                         "lr": 0.2}
    with pytest.raises(ComposeError, match="needs a --config"):
        expand_argv(["fit", "--model.init_args.model.init_args.hidden=64"])
