"""Build the synthetic ocean year by year (bounded memory): truth, casts, faults, native files, summary."""
from __future__ import annotations

import json
import os
import time

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from oxygen_contracts.config import to_dict
from preprocessing.synthetic import bathymetry, faults
from preprocessing.synthetic.config import SynthConfig
from preprocessing.synthetic.gridded import Gridded
from preprocessing.synthetic.ocean import Ocean
from preprocessing.synthetic.sampling import ARGO, CCHDO, GEOTRACES, GLODAP, WOD, Sampler
from preprocessing.synthetic.summary import Summary
from preprocessing.synthetic.writers import argo, cchdo, geotraces, glodap, wod

GLODAP_FILE = "GLODAPv2.2022_Merged_Master_File.csv"


def _pick_years(rng, years, n):
    years = list(years)
    return set(rng.choice(years, size=min(n, len(years)), replace=False).tolist()) if n and years else set()


def build(cfg: SynthConfig, out: str, progress: bool = True) -> dict:
    # one BLAS / OpenMP thread: the same floating-point sums on every machine (byte-identical files), and no
    # OpenMP spinning on shared cores (a 2-thread tree fit took 25x longer than 1 thread on a loaded machine)
    with threadpool_limits(1):
        return _build(cfg, out, progress)


def _build(cfg: SynthConfig, out: str, progress: bool) -> dict:
    t0 = time.time()
    g, f = cfg.grid, cfg.faults
    for d in ("wod", "argo", "cchdo", "glodap", "geotraces"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    bathy = bathymetry.build(g)
    ocean = Ocean(g, cfg.physics, cfg.seed, cfg.variability)
    sampler = Sampler(cfg, bathy, ocean)
    summ = Summary(g, bathy)
    rng0 = np.random.default_rng([cfg.seed, 4])
    late = [y for y in g.years if y >= f.mll_units_before] or list(g.years)
    trunc_years = _pick_years(rng0, late, f.truncated_netcdf)
    malformed_years = sorted(_pick_years(rng0, [y for y in g.years if y >= cfg.sampling.cruise_start],
                                         f.malformed_csv_lines))
    pending_malformed = 0
    conf = to_dict(cfg)
    anomaly = ocean.v is not None and cfg.write_truth      # o2_anomaly and its statistics go with truth.nc
    gridded = Gridded(cfg, out, bathy, conf, anomaly)
    gl_path = os.path.join(out, "glodap", GLODAP_FILE)
    gl = open(gl_path, "w", newline="\n")
    gl.write(glodap.header())
    for n, year in enumerate(tqdm(g.years.tolist(), desc="synth", unit="yr", disable=not progress)):
        fields = ocean.grid_fields(year, bathy.mask, anomaly=anomaly)
        summ.add_truth(year, fields["oxygen"])
        cov = gridded.add_year(n, year, fields)
        del fields
        rng = np.random.default_rng([cfg.seed, 3, year])
        yc = sampler.sample(year, rng)
        mll, trunc = year < f.mll_units_before, year in trunc_years
        if mll or trunc:
            yc.cast["dup_role"] = np.zeros(len(yc.cast["src"]), np.int8)
        else:
            faults.add_duplicates(yc, rng, f.duplicate_rate)
        faults.assign(yc, rng, f, faults.eligible_casts(yc, mll, trunc))
        c, lv = yc.cast, yc.level
        lost = np.zeros(len(lv["cast"]), bool)
        src = c["src"]
        # WOD: one file per year
        wc = np.nonzero(src == WOD)[0]
        if len(wc):
            rel = os.path.join("wod", f"wod_{year}_OSD.nc")
            n_o2 = wod.write(os.path.join(out, rel), year, wc, yc, mll)
            summ.files["wod"] += 1
            if trunc:
                p = os.path.join(out, rel)
                size = os.path.getsize(p)
                with open(p, "r+b") as fh:
                    fh.truncate(size // 2)
                rows = np.isin(lv["cast"], wc) & c["has_o2"][lv["cast"]]
                lost |= rows
                summ.corrupt.append({"file": rel, "kind": "truncated_netcdf", "where": f"byte {size // 2} of {size}",
                                     "oxygen_values_lost": int(n_o2)})
        for ci in np.nonzero(src == ARGO)[0]:
            mode = "D" if year <= g.year_end - 2 else "R"
            argo.write(os.path.join(out, "argo"), int(c["cruise"][ci]), int(c["station"][ci]), mode, int(ci), yc)
            summ.files["argo"] += 1
        if year in malformed_years:
            pending_malformed += 1
        for cid in np.unique(c["cruise"][src == CCHDO]):
            casts = np.nonzero((src == CCHDO) & (c["cruise"] == cid))[0]
            name = yc.cruise_names[int(cid)]
            bad_row = None
            if pending_malformed:
                ok = np.isin(lv["cast"], casts) & (lv["fault"] == 0) & (c["dup_role"][lv["cast"]] == 0)
                cand = np.nonzero(ok & np.isfinite(lv["oxygen"]))[0]
                if len(cand):
                    bad_row = int(rng.choice(cand))
            rel = os.path.join("cchdo", f"{name}_hy1.csv")
            line = cchdo.write(os.path.join(out, rel), name, casts, yc, bad_row)
            summ.files["cchdo"] += 1
            if line is not None:
                pending_malformed -= 1
                lost[bad_row] = True
                summ.corrupt.append({"file": rel, "kind": "malformed_line", "where": f"line {line}",
                                     "oxygen_values_lost": 1})
        for cid in np.unique(c["cruise"][src == GLODAP]):
            casts = np.nonzero((src == GLODAP) & (c["cruise"] == cid))[0]
            for line in glodap.rows(yc.cruise_names[int(cid)], casts, yc):
                gl.write(line + "\n")
        for cid in np.unique(c["cruise"][src == GEOTRACES]):
            casts = np.nonzero((src == GEOTRACES) & (c["cruise"] == cid))[0]
            name = yc.cruise_names[int(cid)]
            geotraces.write(os.path.join(out, "geotraces", f"{name}.csv"), name, casts, yc)
            summ.files["geotraces"] += 1
        gridded.add_obs(year, yc, summ.add_obs(yc, lost, mll), cov)
    gl.close()
    summ.files["glodap"] = 1
    gridded.close()
    result = summ.to_dict(0.0)
    result["realism"] = gridded.realism(result)
    result["runtime_s"] = round(time.time() - t0, 2)
    with open(os.path.join(out, "summary.json"), "w") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")
    return result
