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
:class:`ReadResult` per block; :func:`read` concatenates them (for files that fit in memory). Damaged text follows
:mod:`preprocessing.readers.csvtext`: a line with the wrong number of fields is skipped as a Problem "line N"; a
block with a field that does not convert (not a number, not valid UTF-8, or a non-finite number such as "inf" or
"1e400") is re-read as text and only its bad lines are dropped (Problem "line N", counted in ``lost_values``); a
repeated header line is dropped with a Problem and not counted. Bytes in columns this reader does not use are not
examined. "", "NaN", "nan", "NA" are missing values like -9999.

A flagged variable (:data:`FLAGGED`) whose f-flag column is absent cannot be told good from calculated or bad: its
values are rejected as ``source_flag:none`` and the file gets a Problem (a data manager accepts no unvetted value).
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, ReadResult, concat_rows, empty_rows
from preprocessing.readers.csvtext import (decode_binary, names_line, number_problems, parse_numbers, repeated_header,
                                           split_lines, utf8_problem)
from preprocessing.readers.glodap_rows import FLAGGED, TIME_COLS, VARS, block_rows

SOURCE = "glodap"
FORMAT = "GLODAPv2 merged-product CSV"
SUFFIXES = (".csv", ".txt")
REQUIRED = ("G2station", "G2year", "G2month", "G2day", "G2latitude", "G2longitude")


def _header(path: str) -> list[str]:
    try:
        with open(path, "rb") as fh:
            lines, not_utf8 = split_lines(fh.readline(1 << 20))
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    if not lines:
        raise ReaderError(path, "empty file")
    return [c.strip().strip('"').strip() for c in names_line(path, lines, not_utf8, 0).strip().split(",")]


def can_read(path: str) -> bool:
    if Path(path).suffix.lower() not in SUFFIXES:
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
    for v in present:
        if v in FLAGGED and VARS[v] + "f" not in cols:
            problems.append(Problem(path, "", f"no {VARS[v]}f flag column: {v} values cannot be told good (2) from "
                                              "calculated (0) or bad; all rejected as source_flag:none"))

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

    text_types = {c: pa.binary() for c in cols}        # decoded and checked line by line in _coerce_text
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
                elif _not_finite(t):
                    raise _Reread()          # "inf", "1e400": not numbers; the text path says where
                done += n_in
                if pending[0]:
                    lost = {v: lost.get(v, 0) + pending[0] for v in present}
                    pending[0] = 0
                res = ReadResult(block_rows(t, options) if t.num_rows else empty_rows(), list(problems), lost)
                problems.clear()
                yield res
            return
        except (pa.ArrowInvalid, _Reread) as e:
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


class _Reread(Exception):
    """A numeric block holds a value that is not a finite number: re-read it as text."""


def _not_finite(t: pa.Table) -> bool:
    """Whether a numeric column holds a non-finite number (null = missing is fine)."""
    for c in t.column_names:
        col = t.column(c)
        if pa.types.is_floating(col.type) and pc.any(pc.and_(pc.is_valid(col), pc.invert(pc.is_finite(col)))).as_py():
            return True
    return False


def _coerce_text(t: pa.Table, path: str, problems: list[Problem], cols: list[str], first_row: int,
                 skipped: list[int]):
    """Text block (binary columns) → numeric block. A row with a field that is not valid UTF-8 or not a number in a
    used numeric column (:mod:`preprocessing.readers.csvtext`) is dropped as a Problem and counted as lost; a
    repeated header row is dropped as a Problem and not counted."""
    n = t.num_rows
    text, not_utf8 = {}, np.zeros(n, bool)
    for c in cols:
        text[c], bad = decode_binary(t.column(c))
        not_utf8 |= bad
    header = np.logical_and.reduce([text[c] == c for c in cols]) & ~not_utf8
    checked, values = [], {}
    for c in cols:
        if c != "G2expocode":
            values[c], bad = parse_numbers(text[c])
            checked.append((c, bad & ~not_utf8 & ~header, text[c]))
    flagged = np.flatnonzero(not_utf8 | header | np.logical_or.reduce([b for _, b, _ in checked]))
    line = {int(k): _line_of(first_row + int(k), skipped) for k in flagged}
    problems += [utf8_problem(path, line[k]) if not_utf8[k] else repeated_header(path, line[k])
                 for k in flagged.tolist() if not_utf8[k] or header[k]]
    problems += number_problems(path, checked, line)
    problems.sort(key=lambda q: int(q.where.split()[-1]) if q.where.startswith("line ") else 0)
    lost_rows = not_utf8 | np.logical_or.reduce([b for _, b, _ in checked])
    keep = ~(lost_rows | header)
    out = {c: (pa.array(text[c][keep], pa.string()) if c == "G2expocode" else values[c][keep]) for c in cols}
    n_lost = int(lost_rows.sum())
    lost = {v: n_lost for v, c in VARS.items() if c in cols} if n_lost else {}
    return pa.table(out), lost


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    parts = list(iter_read(path, options))
    problems = [p for r in parts for p in r.problems]
    lost: dict[str, int] = {}
    for r in parts:
        for k, v in r.lost_values.items():
            lost[k] = lost.get(k, 0) + v
    rows = concat_rows([r.rows for r in parts]) if parts else empty_rows()
    return ReadResult(rows, problems, lost)
