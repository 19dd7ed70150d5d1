"""``oxygen-hpc covariates --config configs/covariates/<name>.yaml [--woa PATH ...] [--en4 PATH ...] --out FILE``.

Builds ``covariates.nc`` (docs/architecture.md) on the config's grid from World Ocean Atlas files (climatology)
and EN4 monthly analyses (years they cover). ``--woa``/``--en4`` replace the config's lists. Exit status 2 on a bad
config, 1 on an unusable input file (one line naming it).
"""
from __future__ import annotations

import argparse
import sys

from oxygen_contracts.config import ConfigError, load


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="oxygen-hpc covariates", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="configs/covariates/*.yaml (grid, woa, en4, method, ...)")
    p.add_argument("--woa", nargs="+", metavar="PATH", help="WOA t_an/s_an files, folders or globs")
    p.add_argument("--en4", nargs="+", metavar="PATH", help="EN4 monthly analysis files, folders or globs")
    p.add_argument("--no-en4", action="store_true", help="the WOA climatology for every year")
    p.add_argument("--out", help="output file (overrides out:)")
    a = p.parse_args(argv)
    from preprocessing.covariates.build import build
    from preprocessing.covariates.config import CovariatesConfig
    from preprocessing.covariates.regrid import CoverageError
    from preprocessing.covariates.sources import SourceError

    over = {k: v for k, v in (("woa", a.woa), ("en4", [] if a.no_en4 else a.en4), ("out", a.out)) if v is not None}
    try:
        cfg = load(a.config, CovariatesConfig, over)
        if not cfg.woa:
            raise ConfigError("woa", "no WOA files (set woa: in the config or pass --woa)", a.config)
        if not cfg.out:
            raise ConfigError("out", "no output file (set out: in the config or pass --out)", a.config)
    except ConfigError as e:
        print(f"oxygen-hpc covariates: {e}", file=sys.stderr)
        return 2
    try:
        s = build(cfg, cfg.out, log=lambda m: print(m, flush=True))
    except (SourceError, CoverageError) as e:
        print(f"oxygen-hpc covariates: {e}", file=sys.stderr)
        return 1
    print(f"covariates: {s.counts['ocean_cells']:,} ocean cells x {len(s.en4_years) + len(s.woa_years)} years "
          f"({len(s.en4_years)} EN4, {len(s.woa_years)} WOA) in {s.seconds:.1f} s -> {s.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
