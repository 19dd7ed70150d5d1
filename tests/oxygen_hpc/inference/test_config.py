"""Config: unknown keys and bad values stop the run with exit 2 and one line naming the key."""
from __future__ import annotations

import subprocess

import pytest

from oxygen_hpc.inference.config import InferConfig, load_config, parse_years
from oxygen_contracts.config import ConfigError

from .infer_util import CONFIG, EXE, predict


def test_unknown_key_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("partitions: p\ncheckpoints: [c]\nbatch_size: 3\n")
    r = subprocess.run([EXE, "predict", "--config", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "batch_size" in lines[0] and "unknown key" in lines[0] and "bad.yaml" in lines[0]


def test_bad_values_name_their_key(tmp_path, capsys):
    for text, key in (("device: tpu\n", "device"), ("precision: fp8\n", "precision"), ("years: [2005, 2000]\n", "years"),
                      ("batch_nodes: 0\n", "batch_nodes"), ("complevel: 11\n", "complevel")):
        f = tmp_path / "c.yaml"
        f.write_text(text)
        with pytest.raises(ConfigError, match=f"'{key}'"):
            load_config(f)
    assert predict("--years", "20x0") == 2
    assert "years" in capsys.readouterr().err


def test_missing_inputs_exit_2(tmp_path, infer_parts, capsys):
    assert predict("--partitions", tmp_path, "--checkpoint", tmp_path / "x.ckpt", "--out", tmp_path / "o") == 2
    assert "manifest" in capsys.readouterr().err
    assert predict("--partitions", infer_parts, "--checkpoint", tmp_path / "x.ckpt", "--out", tmp_path / "o") == 2
    assert "checkpoint not found" in capsys.readouterr().err
    assert predict("--partitions", infer_parts, "--checkpoint", tmp_path / "x.ckpt", "--years", "1800:1801") == 2


def test_shipped_configs_load_and_years_parse():
    for name in ("tiny", "demo"):
        cfg = load_config(CONFIG.replace("tiny", name))
        assert isinstance(cfg, InferConfig) and cfg.checkpoints and cfg.partitions
    assert parse_years("1920:2023") == [1920, 2023] and parse_years("1955") == [1955, 1955]
