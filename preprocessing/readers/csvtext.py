"""Text tables: the part shared by the CSV readers (GLODAP, GEOTRACES, CCHDO exchange/csv). Not a reader: it has no
``SOURCE``.

- Lines (:func:`split_lines`): split on ``\\n`` (``\\r\\n`` and, in a file without ``\\n``, ``\\r`` too), each line
  decoded as UTF-8 by itself, so one bad byte costs its line only: the reader reports a data line that is not valid
  UTF-8 as a :class:`~preprocessing.readers.base.Problem` and counts its values as ``unreadable`` (lost values);
  a column-names line that is not valid UTF-8 makes the file unreadable (:func:`names_line`), as its column names
  cannot be trusted. Comment lines are not data: a latin-1 byte there costs nothing.
- Numbers (:func:`parse_numbers`, the one number parser of the CSV readers): a field is a number when it is a finite
  decimal (surrounding blanks allowed); empty and :data:`MISSING_TOKENS` are missing (NaN, reason ``missing``);
  anything else ("abc", "#REF!", "inf", "1e400", which overflows) is *unreadable*: the reader drops that line with a
  Problem naming file, line and column (:func:`number_problems`) and counts its values as lost.
- A repeated column-names line inside the data (files concatenated with their headers) is not data: skipped with a
  Problem, not counted (:func:`same_fields`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from preprocessing.readers.base import Problem, ReaderError

MISSING_TOKENS = ("", "NaN", "nan", "NA")


def split_lines(data: bytes) -> tuple[list[str], np.ndarray]:
    """The lines of ``data`` (no line ends) and, per line, whether it is not valid UTF-8 (such a line is returned
    decoded as latin-1, for messages)."""
    sep = b"\n" if b"\n" in data or b"\r" not in data else b"\r"
    try:
        lines = data.decode("utf-8").split(sep.decode())          # the usual case: one decode for the file
        bad = np.zeros(len(lines), bool)
    except UnicodeDecodeError:
        raw = data.split(sep)
        lines, bad = [], np.zeros(len(raw), bool)
        for i, b in enumerate(raw):
            try:
                lines.append(b.decode("utf-8"))
            except UnicodeDecodeError:
                lines.append(b.decode("latin-1"))
                bad[i] = True
    if lines and lines[-1] == "":
        lines.pop()
        bad = bad[:-1]
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines], bad


def utf8_problem(file: str, line: int) -> Problem:
    return Problem(file, f"line {line}", "not valid UTF-8; line not read")


def names_line(file: str, lines: list[str], bad: np.ndarray, i: int) -> str:
    """Line ``i`` (0-based) as the column-names line; a ReaderError if it is not valid UTF-8."""
    if bad[i]:
        raise ReaderError(file, "column names line is not valid UTF-8", f"line {i + 1}")
    return lines[i]


def decode_binary(col) -> tuple[np.ndarray, np.ndarray]:
    """A pyarrow binary column (a CSV read without UTF-8 checks) → (str/None object array, not-UTF-8 mask); a
    column that is valid UTF-8 as a whole is converted at once."""
    col = col.combine_chunks() if hasattr(col, "combine_chunks") else col
    try:
        return np.asarray(col.cast(pa.string()).to_pylist(), dtype=object), np.zeros(len(col), bool)
    except pa.ArrowInvalid:
        pass
    raw = col.to_pylist()
    out, bad = np.empty(len(raw), dtype=object), np.zeros(len(raw), bool)
    for k, b in enumerate(raw):
        if b is not None:
            try:
                out[k] = b.decode("utf-8")
            except UnicodeDecodeError:
                out[k], bad[k] = b.decode("latin-1"), True
    return out, bad


def parse_numbers(text, missing=MISSING_TOKENS) -> tuple[np.ndarray, np.ndarray]:
    """Fields (strings, None = missing) → (float64 values, NaN where missing or unreadable; unreadable mask)."""
    s = pd.Series(np.asarray(text, dtype=object), dtype=object)
    s = s.where(s.isna(), s.astype(str).str.strip())
    absent = s.isna().to_numpy() | s.isin(missing).to_numpy()
    v = np.array(pd.to_numeric(s.where(~absent, None), errors="coerce"), dtype=float)
    bad = ~absent & ~np.isfinite(v)
    v[bad] = np.nan
    return v, bad


def number_problems(file: str, checked: list[tuple[str, np.ndarray, np.ndarray]], lines) -> list[Problem]:
    """One Problem per row with an unreadable number, naming its line (``lines[row]``) and the first such column
    and text. ``checked``: (column name, unreadable mask, field texts) per column, in column order."""
    first: dict[int, tuple[str, str]] = {}
    for name, bad, text in checked:
        for k in np.flatnonzero(bad).tolist():
            if k not in first:
                first[k] = (name, str(text[k]).strip())
    return [Problem(file, f"line {lines[k]}", f"{name} value {value[:40]!r} is not a number; line not read")
            for k, (name, value) in sorted(first.items())]


def same_fields(fields: list[str], names: list[str]) -> bool:
    """Whether a data line's fields are the column names again (a repeated header line)."""
    return len(fields) == len(names) and all(a.strip().upper() == b.strip().upper() for a, b in zip(fields, names))


def repeated_header(file: str, line: int) -> Problem:
    return Problem(file, f"line {line}", "repeated column-names line inside the data; skipped (not counted as data)")
