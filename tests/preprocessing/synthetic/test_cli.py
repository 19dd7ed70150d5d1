from pathlib import Path

from preprocessing.synthetic.cli import main

REPO = Path(__file__).resolve().parents[3]


def _run(tmp_path, text, capsys):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    code = main(["--config", str(cfg), "--out", str(tmp_path / "o"), "--quiet"])
    return code, capsys.readouterr().err


def test_unknown_key_exits_2_with_one_line(tmp_path, capsys):
    code, err = _run(tmp_path, "scale: 0.1\nsampling:\n  casts_per_yr: {1920: 3}\n", capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "sampling.casts_per_yr" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_impossible_grid_exits_2_naming_key(tmp_path, capsys):
    code, err = _run(tmp_path, "grid:\n  resolution_deg: 7.0\n", capsys)
    assert code == 2 and "grid.resolution_deg" in err and len(err.strip().splitlines()) == 1
    code, err = _run(tmp_path, "grid:\n  depth_levels: [0, 100, 50]\n", capsys)
    assert code == 2 and "grid.depth_levels" in err


def test_bad_fault_rate_exits_2(tmp_path, capsys):
    code, err = _run(tmp_path, "faults:\n  missing_rate: 1.5\n", capsys)
    assert code == 2 and "faults.missing_rate" in err


def test_shipped_configs_load():
    from oxygen_contracts.config import load
    from preprocessing.synthetic.config import SynthConfig

    for name in ("demo.yaml", "tiny.yaml"):
        cfg = load(REPO / "configs" / "synthetic" / name, SynthConfig)
        assert cfg.scale > 0
    demo = load(REPO / "configs" / "synthetic" / "demo.yaml", SynthConfig)
    assert demo.grid.resolution_deg == 4.0 and 12 <= demo.grid.nlev <= 14 and demo.grid.depth_levels[-1] >= 2000
    assert (demo.grid.year_start, demo.grid.year_end) == (1920, 2023)
