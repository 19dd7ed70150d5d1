"""`oxygen-hpc products`: OMZ areas/volumes, O2 inventory (global and per basin), trends per decade, maps.

  oxygen-hpc products [--config configs/products/demo.yaml] --input RECON_DIR|GLOB|FILE [--out DIR]
                      [--thresholds 20 30 60 90] [--map-depths 100 400] [--map-years 1925 2020] [--no-maps]

Run it on ``truth.nc`` of a synthetic ocean for the true products; the reconstruction's can then be compared.
With ensemble members in the input (``o2_member``: ``oxygen-hpc predict --write-members``) every product carries
its ensemble spread (``oxygen_hpc.products.ensemble``). The run ends with the headline figures and their
uncertainty (``oxygen_hpc.products.headline``): the global O2 inventory change per decade, the OMZ30 and OMZ60
volumes of the first and last decade, and the OMZ30 area ratio (last decade / first).
Exit status 2 on a bad config (one line naming the key) or an unreadable input.
"""
from __future__ import annotations

import argparse
import sys
import time

from oxygen_contracts.config import ConfigError, resolve_path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oxygen-hpc products", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help="products YAML (oxygen_hpc.products.config.ProductsConfig)")
    p.add_argument("--input", help="folder of yearly CF-NetCDF files, a glob, or one file (e.g. truth.nc)")
    p.add_argument("--out", help="output folder")
    p.add_argument("--thresholds", type=float, nargs="+", metavar="UMOL_KG", help="OMZ thresholds")
    p.add_argument("--map-depths", type=float, nargs="+", metavar="M", help="map depths (nearest level)")
    p.add_argument("--map-years", type=int, nargs="+", metavar="YEAR", help="years to map")
    p.add_argument("--geometry", dest="geometry_file", help="file with cell_volume/bottom_depth on the same grid")
    p.add_argument("--no-maps", action="store_true", help="skip the maps")
    p.add_argument("--no-basins", action="store_true", help="global products only")
    return p


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    flags = {"input": a.input, "out": a.out, "thresholds": a.thresholds, "map_depths": a.map_depths,
             "map_years": a.map_years, "geometry_file": a.geometry_file}
    over = {k: v for k, v in flags.items() if v is not None}
    if a.no_maps:
        over["maps"] = False
    if a.no_basins:
        over["basins"] = False
    from oxygen_hpc.products.config import load_config
    from oxygen_hpc.products.io import InputError

    try:
        cfg = load_config(a.config, over)
        if cfg.input is None:
            raise ConfigError("input", "no input given (set it in the config or pass --input)", a.config)
        if a.input is None:
            cfg.input = resolve_path(cfg.input, a.config)
        cfg.ts_file = resolve_path(cfg.ts_file, a.config)
        cfg.geometry_file = resolve_path(cfg.geometry_file, a.config)
    except ConfigError as e:
        print(f"oxygen-hpc products: {e}", file=sys.stderr)
        return 2
    from oxygen_hpc.products.pipeline import run

    t0 = time.perf_counter()
    try:
        prod, written = run(cfg)
    except (InputError, OSError) as e:
        print(f"oxygen-hpc products: {str(e).splitlines()[0] if str(e) else type(e).__name__}", file=sys.stderr)
        return 2
    g = prod.regions.index("global")
    n = len(prod.years)
    print(f"products: {n} years ({prod.years[0]}-{prod.years[-1]}), {len(prod.regions)} regions, "
          f"thresholds {', '.join(f'{t:g}' for t in prod.thresholds)} umol/kg, "
          + (f"ensemble of {prod.members.n} members, " if prod.members is not None else "")
          + f"{time.perf_counter() - t0:.1f} s")
    print(f"global O2 inventory {prod.inventory[0, g]:.4g} mol ({prod.years[0]}) -> "
          f"{prod.inventory[-1, g]:.4g} mol ({prod.years[-1]})")
    tables = written["tables"]
    print(f"yearly series: {tables[0]}\ntrends: {tables[1]}\nNetCDF: {tables[2]}")
    if written["maps"]:
        print(f"maps: {len(written['maps'])} PNG in {written['maps'][0].parent}")
    if written["timeseries"]:
        print(f"time series: {', '.join(p.name for p in written['timeseries'])} in {written['timeseries'][0].parent}")
    from oxygen_hpc.products.headline import format_headline, headline

    print(format_headline(headline(prod)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
