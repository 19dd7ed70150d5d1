"""The contract every reader module fulfils.

A reader module (``preprocessing/readers/<format>.py``) exposes (:class:`Reader`; a reader that can stream a big file
in parts also ``iter_read``, :class:`StreamingReader`)

    SOURCE: str                      # one of oxygen_contracts.schema.SOURCES
    def can_read(path: str) -> bool  # cheap sniff (name / first bytes), used to route files of a folder
    def read(path: str, options: ReaderOptions) -> ReadResult

and, optionally, ``FORMAT: str`` (the format's name in messages) and ``SUFFIXES: tuple[str, ...]`` (the only file
extensions ``can_read`` accepts), with which ingest says accurately why no reader claims a file.

Which reader modules serve a source, and in which order they are asked, is :mod:`preprocessing.readers.registry`.
A reader imports only this module and the shared helper modules (``netcdf`` + ``netcdf3`` (opening and the one
completeness check), ``csvtext`` (lines and the one CSV number parser), ``archive`` (zip collections), ``flags``,
``argo_rows``, ``cchdo_table``, ``glodap_rows``, ``wod_units``, :mod:`preprocessing.units`), never another reader.

``read`` converts to the store's units (µmol/kg, °C ITS-90, PSS-78, m, dbar, UTC, lon in [-180, 180)) and
applies the *source's own* flags. It never drops a value silently: every value it finds for a variable in
:data:`oxygen_contracts.schema.VARIABLES` ends up in ``rows`` either with an empty reason (good so far) or with a
reason (``missing``, ``source_flag:<flag>``, ``unknown_units``, ``bad_position``). Range/supersaturation checks and
cross-source duplicates are applied later by the ingest stage, not by readers.

Reason columns: a reader may build them as strings (object / ``str`` arrays) or, faster, as integer codes wrapped in
a pandas Categorical (:class:`ReasonCodes`); :func:`finish_rows` turns either into the Categorical the ingest stage
works on (first categories = :data:`oxygen_contracts.schema.REASON_CODES`, so ``codes == CODE_GOOD`` means "good so
far"). Comparing such a column with a string (``rows.oxygen_reason == "missing"``) works as for strings. ``cast_id``
may likewise be a Categorical (one category per cast) instead of one string per row. Frames of one file read in
parts are joined with :func:`concat_rows` (``pd.concat`` turns Categoricals with different categories into
strings). Only the codes are an in-memory convenience: the staged Parquet, the store, ``rejected/`` and the report
carry the reason strings, whose meaning is unchanged.

Bad input: a file that cannot be read at all raises :class:`ReaderError` naming the file (and line/profile);
a problem confined to part of a file (a malformed line, one broken profile) is appended to ``problems`` and the
rest of the file is read; values lost that way are counted in ``lost_values`` so the report still reconciles.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from oxygen_contracts.schema import CODE_ABSENT, REASON_CODES, VARIABLES

# Columns of ReadResult.rows (one row per (cast, level)). Per variable v: v (float64, store units, NaN when
# absent) and f"{v}_reason" (Categorical of reason strings, see the module doc; "" = good so far). cast_id: str or
# Categorical; time: datetime64[ns, UTC]; lat, lon ([-180, 180)), depth, pressure: float64.
LEVEL_COLUMNS = ("cast_id", "time", "lat", "lon", "depth", "pressure")
REASON_SUFFIX = "_reason"
_UTC_NS = pd.DatetimeTZDtype("ns", "UTC")


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


@runtime_checkable
class Reader(Protocol):
    """What a reader module exposes (see the module doc); ``isinstance(module, Reader)`` checks the names."""

    SOURCE: str

    def can_read(self, path: str) -> bool: ...

    def read(self, path: str, options: ReaderOptions = ...) -> ReadResult: ...


@runtime_checkable
class StreamingReader(Reader, Protocol):
    """A reader that can also read a big file in parts of about ``chunk_rows`` rows (the ingest stage uses it when
    present)."""

    def iter_read(self, path: str, options: ReaderOptions | None = None,
                  chunk_rows: int = ...) -> Iterator[ReadResult]: ...


class ReasonCodes:
    """Reason strings ↔ small integer codes for one reader call: the fixed :data:`REASON_CODES` first, then each
    new reason (``source_flag:3``) as it is first asked for. Build a column's codes with numpy, then
    :meth:`categorical`."""

    def __init__(self):
        self.names = list(REASON_CODES)
        self._index = {r: i for i, r in enumerate(self.names)}

    def code(self, reason: str) -> int:
        c = self._index.get(reason)
        if c is None:
            c = self._index[reason] = len(self.names)
            self.names.append(reason)
        return c

    def categorical(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, dtype=reason_dtype(self.names))


_DTYPES: dict[tuple, pd.CategoricalDtype] = {}


def reason_dtype(names) -> pd.CategoricalDtype:
    """The Categorical dtype of these reason categories (cached: building one costs more than a small file's
    codes)."""
    key = tuple(names)
    d = _DTYPES.get(key)
    if d is None:
        if len(_DTYPES) > 4096:
            _DTYPES.clear()
        d = _DTYPES[key] = pd.CategoricalDtype(list(key))
    return d


def as_reasons(values) -> pd.Categorical:
    """Any reason column (Categorical, Series, str/object array) → a Categorical whose first categories are
    :data:`REASON_CODES` (returned as is when it already is one). Values are unchanged."""
    arr = values.array if isinstance(values, pd.Series) else values
    if isinstance(arr, pd.Categorical):
        cats = list(arr.categories)
        if cats[:len(REASON_CODES)] == list(REASON_CODES):
            return arr
        codes, uniq = arr.codes, cats
    else:
        codes, uniq = pd.factorize(arr if isinstance(arr, pd.api.extensions.ExtensionArray)
                                   else np.asarray(arr, dtype=object))
        uniq = list(uniq)
    table = ReasonCodes()
    mapping = np.asarray([table.code(str(u)) for u in uniq] + [-1], dtype=np.int64)
    return table.categorical(mapping[codes])       # code -1 (a missing reason) stays -1 via mapping[-1]


def constant_reasons(n: int, code: int = CODE_ABSENT) -> pd.Categorical:
    return pd.Categorical.from_codes(np.full(n, code, np.int8), dtype=reason_dtype(REASON_CODES))


def concat_rows(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate reader frames (same columns), keeping Categoricals Categorical: categories are united, the
    first frame's first, so reason columns keep the fixed codes (``pd.concat`` would fall back to strings)."""
    if len(frames) == 1:
        return frames[0]
    out = {}
    for c in frames[0].columns:
        cols = [f[c] for f in frames]
        if all(isinstance(x.dtype, pd.CategoricalDtype) for x in cols):
            out[c] = union_categoricals([x.array for x in cols])
        else:
            out[c] = pd.concat(cols, ignore_index=True).array
    return pd.DataFrame(out, copy=False)


def empty_rows() -> pd.DataFrame:
    cols = {c: pd.Series(dtype="object" if c == "cast_id" else "float64") for c in LEVEL_COLUMNS}
    cols["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    for v in VARIABLES:
        cols[v] = pd.Series(dtype="float64")
        cols[v + REASON_SUFFIX] = pd.Series(constant_reasons(0))
    return pd.DataFrame(cols)


def finish_rows(df, lon_wrapped: bool = False) -> pd.DataFrame:
    """Fill absent variable columns (NaN value, reason ``absent``, which is not counted: absent = not measured by
    this source), make reasons Categoricals (:func:`as_reasons`), normalise dtypes and column order. ``df``: a
    DataFrame or a dict of columns. Present-but-NaN values must already carry reason ``missing`` (see
    :mod:`preprocessing.readers.flags`). Columns are not copied when they already have the right dtype.
    ``lon_wrapped``: the reader already applied :func:`preprocessing.units.wrap_lon` (e.g. once per cast)."""
    n = len(df) if isinstance(df, pd.DataFrame) else len(df["depth"])

    def col(c):
        return df[c].to_numpy() if isinstance(df[c], pd.Series) else np.asarray(df[c])

    out = {}
    cid = df["cast_id"]
    cid = cid.array if isinstance(cid, pd.Series) else cid
    out["cast_id"] = cid if isinstance(cid, pd.Categorical) else pd.Series(cid, copy=False).astype(str).array
    t = df["time"]
    if getattr(t, "dtype", None) != _UTC_NS:
        t = pd.to_datetime(t, utc=True)
    out["time"] = t.array if isinstance(t, (pd.Series, pd.Index)) else t
    out["lat"] = col("lat").astype(float, copy=False)
    lon = col("lon").astype(float, copy=False)
    out["lon"] = lon if lon_wrapped else ((lon + 180.0) % 360.0) - 180.0
    out["depth"] = col("depth").astype(float, copy=False)
    out["pressure"] = col("pressure").astype(float, copy=False)
    for v in VARIABLES:
        if v in df:
            out[v] = col(v).astype(float, copy=False)
            out[v + REASON_SUFFIX] = as_reasons(df[v + REASON_SUFFIX])
        else:
            out[v] = np.full(n, np.nan)
            out[v + REASON_SUFFIX] = constant_reasons(n)
    return pd.DataFrame(out, copy=False)


def flag_str(f) -> str:
    """A source flag as the text of its reason (``source_flag:<text>``): whole-number floats without '.0', bytes
    decoded, stripped; None/NaN → 'none'. Shared with :mod:`preprocessing.readers.flags`."""
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
