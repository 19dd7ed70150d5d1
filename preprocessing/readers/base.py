"""The contract every reader module fulfils.

A reader module (``preprocessing/readers/<format>.py``) exposes

    SOURCE: str                      # one of preprocessing.schema.SOURCES
    def can_read(path: str) -> bool  # cheap sniff (name / first bytes), used to route files of a folder
    def read(path: str, options: ReaderOptions) -> ReadResult

``read`` converts to the store's units (µmol/kg, °C ITS-90, PSS-78, m, dbar, UTC, lon in [-180, 180)) and
applies the *source's own* flags. It never drops a value silently: every value it finds for a variable in
:data:`preprocessing.schema.VARIABLES` ends up in ``rows`` either with an empty reason (good so far) or with a
reason (``missing``, ``source_flag:<flag>``, ``unknown_units``, ``bad_position``). Range/supersaturation checks and
cross-source duplicates are applied later by the ingest stage, not by readers.

Bad input: a file that cannot be read at all raises :class:`ReaderError` naming the file (and line/profile);
a problem confined to part of a file (a malformed line, one broken profile) is appended to ``problems`` and the
rest of the file is read; values lost that way are counted in ``lost_values`` so the report still reconciles.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from preprocessing.schema import VARIABLES

# Columns of ReadResult.rows (one row per (cast, level)). Per variable v: v (float64, store units, NaN when
# absent) and f"{v}_reason" (str; "" = good so far).
LEVEL_COLUMNS = ("cast_id", "time", "lat", "lon", "depth", "pressure")
REASON_SUFFIX = "_reason"


@dataclass(frozen=True)
class ReaderOptions:
    """Source-specific choices (config block ``ingest.readers``)."""

    argo_good_qc: tuple[int, ...] = (1, 2)       # Argo QC values accepted (adjusted or raw)
    argo_prefer_adjusted: bool = True            # DOXY_ADJUSTED where present, else DOXY
    woce_good_flags: tuple[int, ...] = (2, 6)    # WHP/WOCE bottle flags accepted (2 good, 6 replicate mean)
    wod_good_flags: tuple[int, ...] = (0,)       # WOD observation flags accepted
    glodap_good_flags: tuple[int, ...] = (2,)    # GLODAP f-flags accepted (2 good, 0 interpolated not used)
    geotraces_good_flags: tuple[int, ...] = (1, 2, 6)  # ODV / IODE quality flags accepted (1 good, 2 probably good)


@dataclass
class Problem:
    """A located problem in one file: ``where`` is e.g. 'line 57', 'profile 3', 'cast 1234'."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}" if self.where else f"{self.file}: {self.message}"


class ReaderError(Exception):
    """The whole file could not be read. ``str()`` names the file (and where)."""

    def __init__(self, file: str, message: str, where: str = ""):
        self.problem = Problem(file, where, message)
        super().__init__(str(self.problem))


@dataclass
class ReadResult:
    rows: pd.DataFrame
    problems: list[Problem] = field(default_factory=list)
    lost_values: dict[str, int] = field(default_factory=dict)   # variable -> values lost to located problems


def empty_rows() -> pd.DataFrame:
    cols = {c: pd.Series(dtype="object" if c == "cast_id" else "float64") for c in LEVEL_COLUMNS}
    cols["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    for v in VARIABLES:
        cols[v] = pd.Series(dtype="float64")
        cols[v + REASON_SUFFIX] = pd.Series(dtype="object")
    return pd.DataFrame(cols)


def finish_rows(df: pd.DataFrame) -> pd.DataFrame:
    """Fill absent variable columns (NaN value, reason ``missing`` is NOT added: absent = not measured by this
    source, which is not counted), normalise dtypes and column order. Present-but-NaN values must already carry
    reason ``missing`` (use :func:`reasons_from_flags`)."""
    out = df.copy()
    for v in VARIABLES:
        if v not in out:
            out[v] = np.nan
            out[v + REASON_SUFFIX] = "absent"
    out["time"] = pd.to_datetime(out["time"], utc=True)
    out["lon"] = ((out["lon"].astype(float) + 180.0) % 360.0) - 180.0
    out["cast_id"] = out["cast_id"].astype(str)
    cols = list(LEVEL_COLUMNS) + [c for v in VARIABLES for c in (v, v + REASON_SUFFIX)]
    for c in ("lat", "depth", "pressure"):
        out[c] = out[c].astype(float)
    return out[cols].reset_index(drop=True)


def reasons_from_flags(values, flags, good, missing_flags=()) -> np.ndarray:
    """Reason per value: 'missing' where the value is NaN (or its flag is in ``missing_flags``),
    'source_flag:<f>' where the flag is not in ``good``, '' otherwise. Flags may be ints, strings or NaN."""
    values = np.asarray(values, dtype=float)
    flags = np.asarray(flags, dtype=object)
    good_s = {str(g) for g in good}
    miss_s = {str(m) for m in missing_flags}
    out = np.empty(values.shape, dtype=object)
    for n, (val, f) in enumerate(zip(values, flags)):
        fs = _flag_str(f)
        if not np.isfinite(val) or fs in miss_s:
            out[n] = "missing"
        elif fs in good_s:
            out[n] = ""
        else:
            out[n] = f"source_flag:{fs}"
    return out


def _flag_str(f) -> str:
    if f is None:
        return "none"
    if isinstance(f, bytes):
        f = f.decode(errors="replace")
    if isinstance(f, float):
        if np.isnan(f):
            return "none"
        if f.is_integer():
            return str(int(f))
    return str(f).strip()
