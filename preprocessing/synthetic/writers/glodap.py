"""GLODAPv2 merged-product CSV (the GLODAPv2.2022 master-file columns, a subset): one file for all cruises,
``glodap/GLODAPv2.2022_Merged_Master_File.csv``, appended year by year.

Missing -9999; f-flags: 2 good, 0 interpolated/calculated (the bad_flag faults, not used by readers), 9 no
data; qc flags 1 (cruise passed secondary QC). G2depth and G2pressure per bottle; G2bottomdepth per station.
"""
from __future__ import annotations

import gsw
import numpy as np

from preprocessing.synthetic.faults import BAD_FLAG

COLUMNS = ("G2expocode,G2cruise,G2region,G2station,G2cast,G2year,G2month,G2day,G2hour,G2minute,G2latitude,"
           "G2longitude,G2bottomdepth,G2maxsampdepth,G2bottle,G2pressure,G2depth,G2temperature,G2theta,"
           "G2salinity,G2salinityf,G2salinityqc,G2sigma0,G2oxygen,G2oxygenf,G2oxygenqc,G2aou,G2aouf,G2nitrate,"
           "G2nitratef,G2nitrateqc,G2silicate,G2silicatef,G2silicateqc,G2phosphate,G2phosphatef,G2phosphateqc")


def header() -> str:
    return COLUMNS + "\n"


def _region(lon, lat):
    if lat > 65:
        return 1
    if 20 <= lon < 120:
        return 3
    return 4 if (lon >= 120 or lon < -70) else 2


def _v(x, fmt):
    return format(x, fmt) if np.isfinite(x) else "-9999"


def rows(name: str, casts: np.ndarray, yc) -> list[str]:
    c, lv = yc.cast, yc.level
    out = []
    for ci in casts:
        r = np.nonzero(lv["cast"] == ci)[0]
        t = c["time"][ci].astype(object)
        lat, lon = c["lat"][ci], c["lon"][ci]
        sa = gsw.SA_from_SP(lv["salinity"][r], lv["pressure"][r], lon, lat)
        theta = gsw.pt0_from_t(sa, lv["temperature"][r], lv["pressure"][r])
        sig0 = gsw.sigma0(sa, gsw.CT_from_pt(sa, theta))
        o2 = lv["oxygen"][r]
        aou = lv["solubility"][r] - o2
        head = (f"{name},{c['cruise'][ci]},{_region(lon, lat)},{c['station'][ci]},1,{t.year},{t.month},{t.day},"
                f"{t.hour},{t.minute},{lat:.4f},{lon:.4f},{_v(c['bottom'][ci], '.0f')},{lv['depth'][r].max():.0f}")
        for k, row in enumerate(r):
            of = "9" if not np.isfinite(o2[k]) else ("0" if lv["fault"][row] == BAD_FLAG else "2")
            out.append(",".join([
                head, str(k + 1), f"{lv['pressure'][row]:.1f}", f"{lv['depth'][row]:.1f}",
                f"{lv['temperature'][row]:.4f}", f"{theta[k]:.4f}", f"{lv['salinity'][row]:.4f}", "2", "1",
                f"{sig0[k]:.4f}", _v(o2[k], ".1f"), of, "1", _v(aou[k], ".1f"), of,
                _v(lv["nitrate"][row], ".2f"), "2", "1", _v(lv["silicate"][row], ".2f"), "2", "1",
                _v(lv["phosphate"][row], ".3f"), "2", "1"]))
    return out
