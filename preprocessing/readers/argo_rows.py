"""Argo QC flags → reader rows: the part shared by the GDAC reader (:mod:`preprocessing.readers.argo`) and the
ERDDAP reader (:mod:`preprocessing.readers.argo_erddap`). Not a reader: it has no ``SOURCE``.

Argo fill value and bad position/pressure QC flags, reasons from char QC flags (:func:`qc_reasons`), and the row
assembly with oxygen/nitrate unit conversion from the level's good T/S (:func:`finalize`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing.readers.base import empty_rows, finish_rows
from preprocessing.units import convert_concentration

BAD_POSITION_QC = ("3", "4", "9")
BAD_PRESSURE_QC = ("3", "4")
ARGO_FILL = 99999.0


def qc_reasons(values, qc, good) -> np.ndarray:
    """Vectorised reasons: 'missing' (NaN), '' (QC in good), 'source_flag:<qc>' otherwise."""
    v = np.asarray(values, float)
    q = np.asarray(qc, dtype=str)
    out = np.char.add("source_flag:", np.where(q == "", "none", q)).astype(object)
    out[np.isin(q, [str(g) for g in good])] = ""
    out[~np.isfinite(v)] = "missing"
    return out


def finalize(columns: dict, per_var: dict, pressure, lat, lon) -> pd.DataFrame:
    """Assemble rows; converts oxygen/nitrate with the level's good T/S. ``per_var``: var -> (values, reasons,
    units-kind or 'native')."""
    t = per_var.get("temperature")
    s = per_var.get("salinity")
    t_good = np.where(t[1] == "", t[0], np.nan) if t else np.full(len(pressure), np.nan)
    s_good = np.where(s[1] == "", s[0], np.nan) if s else np.full(len(pressure), np.nan)
    df = pd.DataFrame(columns)
    for var, (vals, reasons, kind) in per_var.items():
        reasons = np.asarray(reasons, dtype=object).copy()
        vals = np.asarray(vals, float)
        if kind != "native":
            conv = convert_concentration(vals, kind, t_good, s_good, pressure, lat, lon, var == "oxygen")
            if conv is None:
                reasons[(reasons != "missing") & (reasons != "absent")] = "unknown_units"
            else:
                vals = conv
        df[var] = np.where(reasons == "absent", np.nan, vals)
        df[var + "_reason"] = reasons
    return finish_rows(df) if len(df) else empty_rows()
