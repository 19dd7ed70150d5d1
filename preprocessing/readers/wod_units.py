"""WOD unit checks and conversions → value and reason columns: the part shared by the WOD ragged netCDF reader
(:mod:`preprocessing.readers.wod_ragged`) and the WOD native ASCII reader (:mod:`preprocessing.readers.wod_ascii`).
Not a reader: it has no ``SOURCE``.

Temperature and salinity must carry one of the accepted unit spellings; concentrations in µmol/kg are kept, µmol/l
and (oxygen) ml/l are converted with the level's good T/S and pressure (:func:`preprocessing.units.unit_kind`,
:func:`preprocessing.units.convert_concentration`); any other unit → reason ``unknown_units``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing.readers.base import ReasonCodes, as_reasons
from oxygen_contracts.schema import CODE_ABSENT, CODE_GOOD, CODE_MISSING, CODE_UNITS
from preprocessing.units import convert_concentration, unit_kind

_TEMP_UNITS = {"degree_c", "degrees_c", "degc", "deg_c", "degree_celsius", "celsius", "°c", ""}
_SAL_UNITS = {"", "1", "psu", "pss-78", "pss78", "unitless", "dimensionless", "0.001"}


def convert_units(cols, per_var, pressure, lat, lon, table: ReasonCodes | None = None) -> None:
    """Unit checks/conversions; writes value and reason columns (Categoricals) into ``cols`` (dict or DataFrame).
    ``per_var``: var -> (values, reasons, units); reasons are integer codes of ``table``, or reason strings."""
    n = len(pressure)
    per_var = dict(per_var)
    dtypes = {}
    for v, (vals, reasons, units) in per_var.items():
        if not (isinstance(reasons, np.ndarray) and reasons.dtype.kind == "i"):
            cat = as_reasons(reasons)
            per_var[v], dtypes[v] = (vals, cat.codes.astype(np.int16), units), cat.dtype

    def good(v):                                  # the level's good T or S (used to convert per-litre units)
        return np.where(per_var[v][1] == CODE_GOOD, per_var[v][0], np.nan) if v in per_var else np.full(n, np.nan)

    for var, (vals, codes, units) in per_var.items():
        u = str(units).strip().lower()
        absent = codes == CODE_ABSENT
        if var == "temperature" or var == "salinity":
            ok = u in (_TEMP_UNITS if var == "temperature" else _SAL_UNITS)
            out = vals
        elif unit_kind(units) == "per_kg":
            ok, out = True, vals
        else:
            out = convert_concentration(vals, unit_kind(units), good("temperature"), good("salinity"), pressure,
                                        np.where(np.isfinite(lat), lat, 0.0), np.where(np.isfinite(lon), lon, 0.0),
                                        var == "oxygen")
            ok = out is not None
        if not ok:
            codes = codes.copy()
            codes[~absent & (codes != CODE_MISSING)] = CODE_UNITS
            out = vals
        cols[var] = np.where(absent, np.nan, out) if out is not vals else vals   # vals is NaN where absent
        cols[var + "_reason"] = (pd.Categorical.from_codes(codes, dtype=dtypes[var]) if var in dtypes
                                 else table.categorical(codes))
