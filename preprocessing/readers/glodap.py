"""GLODAPv2 merged-product CSV reader (``GLODAPv2.2022_Merged_Master_File.csv`` and the basin files).

Columns (GLODAPv2.2022 product description, Lauvset et al. 2022): ``G2expocode, G2cruise, G2station, G2region,
G2cast, G2year, G2month, G2day, G2hour, G2minute, G2latitude, G2longitude, G2bottomdepth, G2maxsampdepth,
G2bottle, G2pressure, G2depth, G2temperature, G2theta, G2salinity, G2salinityf, G2salinityqc, ..., G2oxygen,
G2oxygenf, G2oxygenqc, G2aou, G2aouf, G2nitrate, G2nitratef, G2nitrateqc, G2nitrite, G2nitritef, G2silicate,
G2silicatef, G2silicateqc, G2phosphate, G2phosphatef, G2phosphateqc, ..., G2doi``. Missing = -9999. WOCE-style
f-flags: 2 measured good, 0 interpolated/calculated, 9 missing (→ ``missing``); accepted: options.glodap_good_flags.
The secondary-QC ``*qc`` columns are not used (the product is already adjusted). Units: µmol/kg, °C ITS-90,
PSS-78, dbar, m — no conversion.

The file is streamed with ``pyarrow.csv.open_csv`` reading only the needed columns, in blocks of about
``chunk_rows`` rows, so memory stays bounded for multi-GB files: :func:`iter_read` yields one
:class:`ReadResult` per block; :func:`read` concatenates them (for files that fit in memory). A line with the
wrong number of fields is skipped as a Problem "line N"; a block with a non-number in a used column is re-read
as text and only its bad lines are dropped (Problem "line N", counted in ``lost_values``).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from preprocessing import units as U
from preprocessing.readers.base import (Problem, ReaderError, ReaderOptions, ReadResult, ReasonCodes, concat_rows,
                                        empty_rows, finish_rows)
from preprocessing.readers.flags import flag_codes
from oxygen_contracts.schema import CODE_GOOD, CODE_MISSING, CODE_POSITION

SOURCE = "glodap"
VARS = {"oxygen": "G2oxygen", "temperature": "G2temperature", "salinity": "G2salinity",
        "nitrate": "G2nitrate", "phosphate": "G2phosphate", "silicate": "G2silicate"}
TIME_COLS = ("G2year", "G2month", "G2day", "G2hour", "G2minute")
REQUIRED = ("G2station", "G2year", "G2month", "G2day", "G2latitude", "G2longitude")
MISSING_BELOW = -9990.0
GLODAP_MISSING_FLAGS = (9,)


def _header(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            first = fh.readline(1 << 20).decode("utf-8", "replace")
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    return [c.strip().strip('"').strip() for c in first.strip().split(",")]


def can_read(path: str) -> bool:
    if Path(path).suffix.lower() not in (".csv", ".txt"):
        return False
    try:
        names = _header(path)
    except ReaderError:
        return False
    return "G2latitude" in names and ("G2cruise" in names or "G2expocode" in names)


def _columns(path: str, names: list[str]) -> list[str]:
    missing = [c for c in REQUIRED if c not in names]
    if not ("G2pressure" in names or "G2depth" in names):
        missing.append("G2pressure/G2depth")
    if not ("G2expocode" in names or "G2cruise" in names):
        missing.append("G2expocode/G2cruise")
    if missing:
        raise ReaderError(path, f"required column {', '.join(missing)} missing")
    want = ["G2expocode", "G2cruise", "G2station", "G2cast", *TIME_COLS, "G2latitude", "G2longitude",
            "G2pressure", "G2depth"]
    for col in VARS.values():
        want += [col, col + "f"]
    return [c for c in want if c in names]


def _num(table: pa.Table, col: str, n: int) -> np.ndarray:
    if col not in table.column_names:
        return np.full(n, np.nan)
    v = table.column(col).to_numpy(zero_copy_only=False).astype(float, copy=True)
    v[v <= MISSING_BELOW] = np.nan
    return v


def _times(t: pa.Table, n: int) -> np.ndarray:
    y, mo, d, h, mi = (_num(t, c, n) for c in TIME_COLS)
    ok = np.isfinite(y) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= 31)
    h = np.where(np.isfinite(h) & (h >= 0) & (h < 24), h, 0)
    mi = np.where(np.isfinite(mi) & (mi >= 0) & (mi < 60), mi, 0)
    months = np.where(ok, (y - 1970) * 12 + mo - 1, 0).astype("int64").astype("datetime64[M]")
    minutes = np.where(ok, (d - 1) * 1440 + h * 60 + mi, 0).astype("int64")
    out = months.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    # a day beyond the month's end (e.g. 31 April) would roll over silently: treat as unusable
    ok &= (out.astype("datetime64[M]") == months)
    out = out.astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def _cast_ids(t: pa.Table, n: int) -> pd.Categorical | np.ndarray:
    """One id per row as a Categorical (one category per distinct cast: rows of a cast are consecutive)."""
    st, ca = _num(t, "G2station", n), _num(t, "G2cast", n)
    if n == 0:
        return np.asarray([], dtype=object)
    if "G2expocode" in t.column_names:           # compare integer codes of the expocodes, not the strings
        key, uniq = pd.factorize(t.column("G2expocode").to_pandas())
        names = np.asarray([str(u).strip() for u in uniq] + ["None"], dtype=object)   # null → "None"
    else:
        key = _num(t, "G2cruise", n)
    change = np.ones(n, bool)
    change[1:] = (key[1:] != key[:-1]) | ~np.isclose(st[1:], st[:-1], equal_nan=True) | \
        ~np.isclose(ca[1:], ca[:-1], equal_nan=True)
    starts = np.flatnonzero(change)
    cruise = (names[np.where(key[starts] < 0, len(names) - 1, key[starts])] if "G2expocode" in t.column_names
              else _fmt_numbers(key[starts]))
    labels = np.asarray([f"glodap:{a}:{b}:{c}" for a, b, c in
                         zip(cruise, _fmt_numbers(st[starts]), _fmt_numbers(ca[starts]))], dtype=object)
    codes, uniq = pd.factorize(labels)
    return pd.Categorical.from_codes(codes[np.cumsum(change) - 1], dtype=pd.CategoricalDtype(uniq))


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return "NA" if not np.isfinite(x) else (str(int(x)) if float(x).is_integer() else str(x))
    return str(x).strip()


def _fmt_numbers(a: np.ndarray) -> list[str]:
    """:func:`_fmt` of each float, vectorised for the whole numbers (station and cast numbers)."""
    whole = np.isfinite(a) & (np.abs(a) < 2.0 ** 53)
    whole &= a == np.trunc(np.where(whole, a, 0.0))
    out = np.asarray(a.astype(np.int64, copy=False) if whole.all() else np.where(whole, a, 0).astype(np.int64),
                     dtype=np.int64).astype(str).astype(object)
    for i in np.flatnonzero(~whole).tolist():
        out[i] = _fmt(float(a[i]))
    return out.tolist()


def _rows(t: pa.Table, options: ReaderOptions) -> pd.DataFrame:
    n = t.num_rows
    lat, lon = _num(t, "G2latitude", n), _num(t, "G2longitude", n)
    p, z = _num(t, "G2pressure", n), _num(t, "G2depth", n)
    lat0 = np.where(np.isfinite(lat), lat, 0.0)
    if np.isnan(z).any() and np.isfinite(p).any():
        z = np.where(np.isnan(z), U.depth_from_pressure(p, lat0), z)
    if np.isnan(p).any() and np.isfinite(z).any():
        p = np.where(np.isnan(p), U.pressure_from_depth(z, lat0), p)
    time = _times(t, n)
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(z)) | np.isnat(time)
    out = {"cast_id": _cast_ids(t, n), "time": time, "lat": lat, "lon": lon, "depth": z, "pressure": p}
    table = ReasonCodes()
    for var, col in VARS.items():
        if col not in t.column_names:
            continue
        v = _num(t, col, n)
        f = _num(t, col + "f", n) if col + "f" in t.column_names else None
        r = flag_codes(v, f, options.glodap_good_flags, GLODAP_MISSING_FLAGS, table)
        v[r == CODE_MISSING] = np.nan
        r[bad & (r == CODE_GOOD)] = CODE_POSITION
        out[var], out[var + "_reason"] = v, table.categorical(r)
    return finish_rows(out)


def _block_size(path: str, chunk_rows: int) -> int:
    with open(path, "rb") as fh:
        sample = fh.read(1 << 16)
    per_row = max(16, len(sample) // max(1, sample.count(b"\n")))
    return int(min(max(per_row * chunk_rows, 1 << 20), 1 << 30))


def iter_read(path: str, options: ReaderOptions | None = None, chunk_rows: int = 500_000) -> Iterator[ReadResult]:
    """Stream the file: one ReadResult per block of about ``chunk_rows`` rows (memory bounded)."""
    options, path = options or ReaderOptions(), str(path)
    names = _header(path)
    cols = _columns(path, names)
    problems: list[Problem] = []

    reported: set[str] = set()
    skipped: list[int] = []
    pending = [0]  # malformed lines not yet accounted in a yielded result
    present = [v for v, c in VARS.items() if c in cols]

    def on_invalid(row):  # wrong number of fields
        where = f"line {row.number}" if row.number is not None else f"row text {row.text[:40]!r}"
        if where not in reported:  # a re-read after a conversion error meets the same lines again
            reported.add(where)
            pending[0] += 1
            if row.number is not None:
                skipped.append(row.number)
            problems.append(Problem(path, where, f"expected {row.expected_columns} fields, "
                                                 f"found {row.actual_columns}"))
        return "skip"

    text_types = {c: pa.string() for c in cols}
    num_types = {c: (pa.string() if c == "G2expocode" else pa.float64()) for c in cols}
    done, mode = 0, "numeric"
    while True:
        conv = pacsv.ConvertOptions(include_columns=cols, column_types=num_types if mode == "numeric" else text_types,
                                    null_values=["", "NaN", "nan", "NA"], strings_can_be_null=True)
        seen = 0
        try:
            ropts = pacsv.ReadOptions(block_size=_block_size(path, chunk_rows), use_threads=False)
            reader = pacsv.open_csv(path, read_options=ropts,
                                    parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
                                    convert_options=conv)
            for batch in reader:
                t = pa.Table.from_batches([batch])
                if seen + t.num_rows <= done:
                    seen += t.num_rows
                    continue
                t = t.slice(max(0, done - seen))
                seen += batch.num_rows
                lost = {}
                n_in = t.num_rows
                if mode == "text":
                    t, lost = _coerce_text(t, path, problems, cols, done, sorted(skipped))
                done += n_in
                if pending[0]:
                    lost = {v: lost.get(v, 0) + pending[0] for v in present}
                    pending[0] = 0
                res = ReadResult(_rows(t, options) if t.num_rows else empty_rows(), list(problems), lost)
                problems.clear()
                yield res
            return
        except pa.ArrowInvalid as e:
            if mode == "text":
                raise ReaderError(path, f"unreadable CSV ({e})") from None
            mode = "text"  # re-read from the first row not yet yielded, as text


def _line_of(data_row: int, skipped: list[int]) -> int:
    """1-based file line of the 0-based data row, given the (sorted) lines skipped as malformed."""
    line = data_row + 2
    for s in skipped:
        if s <= line:
            line += 1
    return line


def _coerce_text(t: pa.Table, path: str, problems: list[Problem], cols: list[str], first_row: int,
                 skipped: list[int]):
    """Text block → numeric block; rows with a non-number in a used numeric column are dropped as Problems."""
    df = t.to_pandas()
    bad = np.zeros(len(df), bool)
    for c in cols:
        if c == "G2expocode":
            continue
        s = df[c]
        num = pd.to_numeric(s, errors="coerce")
        bad |= (s.notna() & (s.str.strip() != "") & num.isna()).to_numpy()
        df[c] = num.astype(float)
    for k in np.flatnonzero(bad):
        problems.append(Problem(path, f"line {_line_of(first_row + k, skipped)}", "non-number in a used column"))
    lost = {v: int(bad.sum()) for v, c in VARS.items() if c in cols} if bad.any() else {}
    return pa.Table.from_pandas(df[~bad].reset_index(drop=True), preserve_index=False), lost


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    parts = list(iter_read(path, options))
    problems = [p for r in parts for p in r.problems]
    lost: dict[str, int] = {}
    for r in parts:
        for k, v in r.lost_values.items():
            lost[k] = lost.get(k, 0) + v
    rows = concat_rows([r.rows for r in parts]) if parts else empty_rows()
    return ReadResult(rows, problems, lost)
