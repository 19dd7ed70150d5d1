"""``oxygen-hpc synth --config configs/synthetic/demo.yaml --out DIR [--seed N] [--scale X] [--quiet]``."""
from __future__ import annotations

import argparse
import sys

from oxygen_contracts.config import ConfigError, load


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="oxygen-hpc synth", description="Build the synthetic ocean (OSSE).")
    ap.add_argument("--config", required=True, help="YAML file (configs/synthetic/*.yaml)")
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--seed", type=int, default=None, help="override the config's seed")
    ap.add_argument("--scale", type=float, default=None, help="override the config's scale")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    args = ap.parse_args(argv)
    from preprocessing.synthetic.config import SynthConfig
    from preprocessing.synthetic.run import build

    overrides = {k: v for k, v in (("seed", args.seed), ("scale", args.scale)) if v is not None}
    try:
        cfg = load(args.config, SynthConfig, overrides)
    except ConfigError as e:
        print(f"oxygen-hpc synth: {e}", file=sys.stderr)
        return 2
    s = build(cfg, args.out, progress=not args.quiet)
    print(f"global mean O2 {s['global_mean_o2']:.1f} umol/kg; observed cell fraction "
          f"{s['observed_cell_fraction']:.4f}; runtime {s['runtime_s']:.1f} s")
    print("oxygen values per source: " + ", ".join(f"{k} {v}" for k, v in s["observations"].items()))
    print("injected faults: " + ", ".join(f"{k} {v}" for k, v in s["injected_faults"].items()
                                         if k not in ("corrupt_files", "outlier_kinds"))
          + f", corrupt files {len(s['injected_faults']['corrupt_files'])}")
    from preprocessing.synthetic.realism import format_report

    print(format_report(s["realism"]))
    grids = "truth.nc, covariates.nc, " + ("model_run.nc, " if cfg.model_run.enabled else "")
    grids = grids if cfg.write_truth else ""
    print(f"files written to {args.out} ({grids}summary.json, wod/, argo/, cchdo/, glodap/, geotraces/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
