"""OSSE realism: how hard a built synthetic ocean is, measured on it, beside the published real-ocean figures.

    python benchmarks/osse_realism.py --world /tmp/osse/ocean [--partitions DIR | --work DIR] --out realism.json

- covariate-only gradient-boosted trees (``tree_ensemble``, exactly the OSSE benchmark's baseline: positions and the
  partitions' covariate features, no O2 observation as input) fitted on the training-fold nodes of every year and
  scored on the held-out test fold (``--test-fold``) of the partitions' ``spatial_block_year`` folds, against the
  observed binned values — the same nodes ``benchmarks/osse.py`` scores (``--years`` restricts the scored years);
- from ``truth.nc``, one year at a time: the share of O2 variance in ``o2_anomaly``, its measured decorrelation
  length / time / depth scale (``preprocessing.synthetic.realism_stats``), the volume-weighted global mean O2;
- from the truth products (``oxygen_hpc.products``, the same code as ``oxygen-hpc products``): the O2 inventory
  change 1960→2010 and the OMZ30 area 2010s / 1920s.

Prints the table (value, target band, published figure) beside synth's own estimate (summary.json ``realism``),
and writes ``--out`` (JSON). Missing partitions are built like ``benchmarks/osse.py`` does (ingest + partition).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _args(argv):
    p = argparse.ArgumentParser(prog="benchmarks/osse_realism.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--world", required=True, help="synthetic ocean directory (oxygen-hpc synth --out)")
    p.add_argument("--out", default="realism.json")
    p.add_argument("--work", help="where to build store/partitions (default WORLD/../osse_work)")
    p.add_argument("--partitions", help="reuse these partitions (skip ingest/partition)")
    p.add_argument("--preprocess", default="demo", help="configs/preprocess/<NAME>.yaml (tiny | demo) or a path")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--val-fold", type=int, default=0)
    p.add_argument("--test-fold", type=int, default=1)
    p.add_argument("--years", help="START:END[:STEP]: score the trees on these years only (default all)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def tree_scores(parts: Path, val: int, test: int, seed: int, years) -> dict:
    from oxygen_hpc.evaluation.metrics import regression_metrics
    from oxygen_hpc.evaluation.methods import table_baseline
    from oxygen_hpc.evaluation.tables import node_tables, split

    labelled, _ = node_tables(parts, 0, seed)
    sp = split(labelled, val, test)
    t0 = time.time()
    model = table_baseline("tree_ensemble", seed).fit(sp["train"])
    out = {"n_train": len(sp["train"]), "fit_seconds": round(time.time() - t0, 1)}
    for name in ("test", "val"):
        t = sp[name] if years is None else sp[name][sp[name]["year"].isin(years)]
        out[name] = regression_metrics(model.predict(t), t["y"].to_numpy())
    return out


def truth_statistics(world: Path) -> dict:
    import netCDF4

    from oxygen_contracts.grid import GridSpec
    from preprocessing.synthetic.realism_stats import Correlogram, VarianceShare

    with netCDF4.Dataset(world / "truth.nc") as ds:
        grid = GridSpec.from_dict(json.loads(ds.getncattr("grid")))
        config = json.loads(ds.getncattr("config"))
        vol = np.asarray(ds["cell_volume"][:], np.float64)
        o2v, anom = ds["o2"], ds["o2_anomaly"] if "o2_anomaly" in ds.variables else None
        mask = np.isfinite(np.asarray(o2v[0], np.float64))
        length = float(config.get("variability", {}).get("length_km", 1000.0))
        corr = Correlogram(grid, mask, 3.0 * length, seed=int(config.get("seed", 0)))
        share = VarianceShare(vol)
        s_ov = s_v = 0.0
        for n in range(len(ds.dimensions["time"])):
            o2 = np.asarray(o2v[n], np.float64)
            ok = np.isfinite(o2)
            s_ov += float((o2[ok] * vol[ok]).sum())
            s_v += float(vol[ok].sum())
            if anom is not None:
                a = np.asarray(anom[n], np.float64)
                corr.add(a)
                share.add(o2, a)
    out = {"global_mean_o2": round(s_ov / s_v, 3), "configured": config.get("variability", {})}
    if anom is not None:
        out.update(anomaly_variance=share.result(), anomaly_decorrelation=corr.result())
    return out


def truth_products(world: Path) -> dict:
    from oxygen_hpc.products.config import ProductsConfig
    from oxygen_hpc.products.pipeline import compute

    p = compute(ProductsConfig(input=str(world / "truth.nc"), maps=False, basins=False, timeseries=False))
    g, t30 = p.regions.index("global"), p.thresholds.index(30.0)
    years = np.asarray(p.years)
    inv, area = p.inventory[:, g], p.omz_area[:, t30, g]
    out = {"inventory_change_pct": None, "omz30_growth": None}
    pos = {int(y): n for n, y in enumerate(years)}
    if 1960 in pos and 2010 in pos:
        out["inventory_change_pct"] = round(100.0 * (inv[pos[2010]] / inv[pos[1960]] - 1.0), 3)
    early, late = (years >= 1920) & (years <= 1929), (years >= 2010) & (years <= 2019)
    if early.any() and late.any() and area[early].mean() > 0:
        out["omz30_growth"] = round(float(area[late].mean() / area[early].mean()), 3)
    return out


def table(measured: dict, synth: dict | None) -> str:
    from preprocessing.synthetic.realism import BANDS, in_band

    lines = [f"{'quantity':<36} {'measured':>9} {'synth':>9} {'band':>15}  ok   published", "-" * 112]
    for k, (label, lo, hi, unit, pub) in BANDS.items():
        v = measured.get(k)
        s = None if synth is None else synth["bands"].get(k, {}).get("value")
        ok = {True: "yes", False: "NO", None: "-"}[in_band(k, v)]
        fmt = (lambda x: "n/a" if x is None else f"{x:.4g}")
        lines.append(f"{label:<36} {fmt(v):>9} {fmt(s):>9} {f'{lo:g}-{hi:g} {unit}':>15}  {ok:<4} {pub}")
    return "\n".join(lines)


def main(argv=None) -> int:
    a = _args(argv)
    t0 = time.time()
    from oxygen_hpc.evaluation.world import prepare

    world = Path(a.world).resolve()
    if a.partitions:
        parts = Path(a.partitions).resolve()
    else:
        tpl = a.preprocess if a.preprocess.endswith(".yaml") else f"configs/preprocess/{a.preprocess}.yaml"
        parts, _ = prepare(world, a.work, tpl, workers=a.workers)
    years = None
    if a.years:
        v = [int(x) for x in a.years.split(":")]
        years = list(range(v[0], v[1] + 1, v[2] if len(v) > 2 else 1))
    trees = tree_scores(parts, a.val_fold, a.test_fold, a.seed, years)
    stats = truth_statistics(world)
    prods = truth_products(world)
    measured = {"tree_rmse": round(trees["test"]["rmse"], 3), "tree_r2": round(trees["test"]["r2"], 4),
                "global_mean_o2": stats["global_mean_o2"], **prods}
    summary = world / "summary.json"
    synth = json.loads(summary.read_text()).get("realism") if summary.exists() else None
    result = {"world": str(world), "partitions": str(parts), "measured": measured, "trees": trees,
              "truth": stats, "synth_estimate": synth, "seconds": round(time.time() - t0, 1),
              "command": " ".join([sys.executable, *sys.argv]) if argv is None else " ".join(argv)}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(table(measured, synth))
    if "anomaly_variance" in stats:
        v, d, c = stats["anomaly_variance"], stats["anomaly_decorrelation"], stats["configured"]
        print(f"{'anomaly share of O2 variance':<36} {v['of_total']:>9.4f}  (of the variance in time "
              f"{v['of_temporal']:.3f}; anomaly RMS {v['anomaly_rms']:.1f} umol/kg)")
        print(f"{'anomaly decorrelation (measured)':<36} {d['length_km']} km, {d['time_yr']} yr, {d['depth_m']} m "
              f"(configured {c.get('length_km')} km, {c.get('time_scale_yr')} yr, {c.get('depth_scale_m')} m)")
    print(f"trees: {trees['n_train']:,} training nodes, test fold {trees['test']['n']:,} nodes, "
          f"validation RMSE {trees['val']['rmse']:.2f}; results: {out} ({result['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
