"""CCHDO WHP-Exchange bottle CSV, one file per cruise: ``cchdo/<EXPOCODE>_hy1.csv``.

``BOTTLE,<stamp>`` line, ``#`` comments, names line, units line, data, ``END_DATA``. Missing -999 (flag 9) for
every measured parameter (CTDTMP and CTDSAL included, never ``nan``); WOCE flags: 2 good, 3 questionable / 4 bad
(bad_flag faults). DEPTH is the bottom depth; CTDPRS the level.
A malformed line (fields cut short) may be written in place of one row (see ``corrupt_row``).
"""
from __future__ import annotations

import numpy as np

from preprocessing.synthetic.faults import BAD_FLAG

NAMES = ("EXPOCODE,SECT_ID,STNNBR,CASTNO,SAMPNO,BTLNBR,BTLNBR_FLAG_W,DATE,TIME,LATITUDE,LONGITUDE,DEPTH,CTDPRS,"
         "CTDTMP,CTDTMP_FLAG_W,CTDSAL,CTDSAL_FLAG_W,OXYGEN,OXYGEN_FLAG_W,SILCAT,SILCAT_FLAG_W,NITRAT,NITRAT_FLAG_W,"
         "PHSPHT,PHSPHT_FLAG_W")
UNITS = ",,,,,,,,,,,METERS,DBAR,ITS-90,,PSS-78,,UMOL/KG,,UMOL/KG,,UMOL/KG,,UMOL/KG,"


def _val(x, fmt, flag_good):
    if not np.isfinite(x):
        return "     -999", "9"
    return format(x, fmt), flag_good


def write(path, name: str, casts: np.ndarray, yc, corrupt_row: int | None = None):
    """Write the cruise; ``corrupt_row`` (index into ``yc.level``) is written as a malformed line.
    Returns the 1-based line number of the malformed line (or None)."""
    c, lv = yc.cast, yc.level
    lines = ["BOTTLE,20240101SYNTHOSSE", "# Synthetic OSSE cruise (oxygen_hpc synth); values are model truth + noise",
             f"# EXPOCODE: {name}", NAMES, UNITS]
    bad_line = None
    for ci in casts:
        rows = np.nonzero(lv["cast"] == ci)[0]
        t = str(c["time"][ci].astype("datetime64[m]"))
        date, hhmm = t[:10].replace("-", ""), t[11:16].replace(":", "")
        for k, r in enumerate(rows):
            samp = len(rows) - k
            tv, tf = _val(lv["temperature"][r], "8.4f", "2")
            sv, sf = _val(lv["salinity"][r], "8.4f", "2")
            o2, of = _val(lv["oxygen"][r], "9.1f", "2")
            if lv["fault"][r] == BAD_FLAG:
                of = "3" if r % 2 else "4"
            fields = [f"{name:<14}", f"{'SYN' + str(c['cruise'][ci] % 100):<8}", f"{c['station'][ci]:<6d}", "  1",
                      f"{samp:<4d}", f"{samp:<4d}", "2", date, hhmm, f"{c['lat'][ci]:9.4f}", f"{c['lon'][ci]:9.4f}",
                      _val(c["bottom"][ci], "6.0f", "")[0], f"{lv['pressure'][r]:8.1f}", tv, tf, sv, sf, o2, of]
            for key, fmt in (("silicate", "8.2f"), ("nitrate", "8.2f"), ("phosphate", "8.3f")):
                v, fl = _val(lv[key][r], fmt, "2")
                fields += [v, fl]
            line = ",".join(fields)
            if corrupt_row is not None and r == corrupt_row:
                line = ",".join(fields[: len(fields) // 2])
                bad_line = len(lines) + 1
            lines.append(line)
    lines.append("END_DATA")
    with open(path, "w", newline="\n") as fh:
        fh.write("\n".join(lines) + "\n")
    return bad_line
