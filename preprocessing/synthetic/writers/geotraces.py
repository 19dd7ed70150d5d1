"""GEOTRACES IDP ODV-spreadsheet CSV, one file per section: ``geotraces/<SECTION>.csv``.

Columns as the IDP export (``NAME [unit]``, each value followed by a ``QV:IODE`` flag column: 1 good,
3 probably bad / 4 bad for bad_flag faults, 9 missing with an empty value, CTDTMP/CTDSAL included); metadata
repeated on every row (an unknown bottom depth left empty).
Oxygen in the IDP naming ``OXYGEN_D_CONC_BOTTLE [umol/kg]``.
"""
from __future__ import annotations

import numpy as np

from preprocessing.synthetic.faults import BAD_FLAG

HEADER = ("Cruise,Station,Type,yyyy-mm-ddThh:mm:ss.sss,Longitude [degrees_east],Latitude [degrees_north],"
          "Bot. Depth [m],Operator's Cruise Name,Ship Name,PRESSURE [dbar],QV:IODE,DEPTH [m],QV:IODE,"
          "CTDTMP [deg C],QV:IODE,CTDSAL,QV:IODE,OXYGEN_D_CONC_BOTTLE [umol/kg],QV:IODE,"
          "PHOSPHATE_D_CONC_BOTTLE [umol/kg],QV:IODE,SILICATE_D_CONC_BOTTLE [umol/kg],QV:IODE,"
          "NITRATE_D_CONC_BOTTLE [umol/kg],QV:IODE,QV:ODV:SAMPLE")


def _v(x, fmt):
    return (format(x, fmt), "1") if np.isfinite(x) else ("", "9")


def write(path, name: str, casts: np.ndarray, yc) -> None:
    c, lv = yc.cast, yc.level
    lines = [HEADER]
    for ci in casts:
        t = str(c["time"][ci].astype("datetime64[s]"))
        bot = _v(c["bottom"][ci], ".0f")[0]   # empty where the station's column has no bottom (land)
        meta = (f"{name},{c['station'][ci]},B,{t},{c['lon'][ci]:.4f},{c['lat'][ci]:.4f},{bot},"
                f"SYN{c['cruise'][ci]},R/V Synthetic")
        for r in np.nonzero(lv["cast"] == ci)[0]:
            o2, of = _v(lv["oxygen"][r], ".1f")
            if lv["fault"][r] == BAD_FLAG:
                of = "3" if r % 2 else "4"
            vals = [f"{lv['pressure'][r]:.1f}", "2", f"{lv['depth'][r]:.1f}", "2", *_v(lv["temperature"][r], ".4f"),
                    *_v(lv["salinity"][r], ".4f"), o2, of]
            for key, fmt in (("phosphate", ".3f"), ("silicate", ".2f"), ("nitrate", ".2f")):
                vals += list(_v(lv[key][r], fmt))
            lines.append(meta + "," + ",".join(vals) + ",1")
    with open(path, "w", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
