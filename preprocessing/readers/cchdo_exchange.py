"""CCHDO WHP-Exchange reader: bottle (``BOTTLE,`` stamp) and CTD (``CTD,`` stamp + ``NUMBER_HEADERS``) files,
the CCHDO "csv" variant (``NAME [UNIT]`` headers, no stamp, no units line) and ``.zip`` collections of them.

Layout: stamp line; ``#`` comment lines; (CTD) ``NUMBER_HEADERS = n`` then n-1 ``KEY = VALUE`` lines; names line;
units line; comma-separated data; ``END_DATA``. Values are mapped to the store by
:mod:`preprocessing.readers.cchdo_table` (oxygen rule, flags, units: see there).

A hand-written parser (split + vectorised pandas conversion) is used rather than ``cchdo.hydro``: it locates a
malformed line (wrong field count, non-number in a used column) as a Problem "line N" and reads the rest, which
``cchdo.hydro.read_exchange`` does not (it raises for the whole file), and it is faster on p02.csv (see report).
Damaged text follows :mod:`preprocessing.readers.csvtext`: a data line that is not valid UTF-8, has the wrong
number of fields or a non-number ("abc", "inf", "1e400") in a used column is a Problem "line N" and counted as lost
(``unreadable``); a repeated names line (and the units line after it) is skipped with a Problem, not counted; a
names or ``KEY = VALUE`` header line that is not valid UTF-8 makes the file unreadable. Zip members are read with
:mod:`preprocessing.readers.archive` and named ``<zip>!<member>``.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from preprocessing.readers.archive import any_member, read_zip
from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, ReadResult, empty_rows
from preprocessing.readers.cchdo_table import REQUIRED, present_variables, table_to_rows, used_numeric_columns
from preprocessing.readers.csvtext import (names_line, number_problems, parse_numbers, repeated_header, same_fields,
                                           split_lines, utf8_problem)

SOURCE = "cchdo"
FORMAT = "WHP-Exchange bottle/CTD CSV (or a .zip of them)"
_BRACKET = re.compile(r"^\s*([^\[]*?)\s*\[([^\]]*)\]\s*(.*?)\s*$")


def _sniff_text(head: str) -> bool:
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    stamp = first.split(",")[0].strip().upper()
    if stamp in ("BOTTLE", "CTD"):
        return True
    names = [c.strip().upper() for c in first.split(",")]
    return names[:1] == ["EXPOCODE"] and ("STNNBR" in names or "CASTNO" in names)


def _sniff_bytes(head: bytes) -> bool:
    return _sniff_text(head.decode("latin-1"))


def can_read(path: str) -> bool:
    p = Path(path)
    if p.suffix.lower() == ".zip":
        return any_member(path, _sniff_bytes)
    try:
        with open(p, "rb") as fh:
            return _sniff_bytes(fh.read(4096))
    except OSError:
        return False


def _split_name(col: str) -> tuple[str, str | None]:
    m = _BRACKET.match(col)
    if m:
        return (m.group(1) + m.group(3)).strip().upper(), m.group(2).strip()
    return col.strip().upper(), None


def parse_bytes(data: bytes, file: str, options: ReaderOptions) -> ReadResult:
    """One exchange (or csv-variant) file's bytes; ``file`` names it in problems and errors."""
    lines, not_utf8 = split_lines(data)
    i, problems, header = 0, [], {}
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i == len(lines):
        raise ReaderError(file, "empty file")
    stamped = lines[i].split(",")[0].strip().upper() in ("BOTTLE", "CTD")
    i += stamped
    while i < len(lines) and (lines[i].startswith("#") or not lines[i].strip()):
        i += 1
    if i < len(lines) and lines[i].replace(" ", "").upper().startswith("NUMBER_HEADERS="):
        try:
            nh = int(lines[i].split("=", 1)[1])
        except ValueError:
            raise ReaderError(file, "NUMBER_HEADERS is not an integer", f"line {i + 1}") from None
        i += 1
        # NUMBER_HEADERS counts itself; tolerate a miscount by reading every following KEY = VALUE line
        while i < len(lines) and "=" in lines[i] and "," not in lines[i]:
            k, v = names_line(file, lines, not_utf8, i).split("=", 1)
            header[k.strip().upper()] = v.strip()
            i += 1
        if len(header) != nh - 1:
            problems.append(Problem(file, "", f"NUMBER_HEADERS = {nh} but {len(header) + 1} header lines"))
    if i >= len(lines):
        raise ReaderError(file, "no column names line")
    raw_names = names_line(file, lines, not_utf8, i).split(",")
    i += 1
    if stamped:
        if i >= len(lines):
            raise ReaderError(file, "no units line")
        raw_units = lines[i].split(",")
        unit_list = [u.strip() for u in raw_units]
        i += 1
        names = [n.strip().upper() for n in raw_names]
        if len(unit_list) != len(names):
            raise ReaderError(file, f"units line has {len(unit_list)} fields, names line {len(names)}",
                              f"line {i}")
    else:
        pairs = [_split_name(c) for c in raw_names]
        names, unit_list, raw_units = [p[0] for p in pairs], [p[1] or "" for p in pairs], None
    units = dict(zip(names, unit_list))
    ncol = len(names)
    variables = present_variables(names)
    lost = 0
    rows, line_no = [], []
    ended, repeated = False, False
    for j in range(i, len(lines)):
        ln = lines[j]
        if ln.strip().upper().startswith("END_DATA"):
            ended = True
            break
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.split(",")
        was_repeated, repeated = repeated, False
        if not_utf8[j]:
            problems.append(utf8_problem(file, j + 1))
            lost += 1
        elif same_fields(fields, raw_names) or (was_repeated and raw_units is not None and
                                                 same_fields(fields, raw_units)):
            problems.append(repeated_header(file, j + 1))
            repeated = True
        elif len(fields) != ncol:
            problems.append(Problem(file, f"line {j + 1}", f"expected {ncol} fields, found {len(fields)}"))
            lost += 1
        else:
            rows.append(fields)
            line_no.append(j + 1)
    if stamped and not ended:
        problems.append(Problem(file, "", "no END_DATA line (file may be truncated)"))
    cols = {n: np.asarray(c, dtype=object) for n, c in zip(names, zip(*rows))} if rows else \
        {n: np.asarray([], dtype=object) for n in names}
    line_no = np.asarray(line_no, dtype=np.int64)
    checked = [(name, parse_numbers(cols[name])[1], cols[name]) for name in used_numeric_columns(names)]
    bad = np.zeros(len(line_no), bool)
    for _, b, _ in checked:
        bad |= b
    problems += number_problems(file, checked, line_no)
    if bad.any():
        lost += int(bad.sum())
        cols = {n: c[~bad] for n, c in cols.items()}
        line_no = line_no[~bad]
    if len(line_no) == 0:
        for req in REQUIRED:
            if req not in names and req not in header:
                raise ReaderError(file, f"required column {req} missing")
        rows_df = empty_rows()
    else:
        rows_df, more = table_to_rows(cols, units, header, file, options, line_no)
        problems += more
    problems.sort(key=lambda q: int(q.where.split()[-1]) if q.where.startswith("line ") else 0)
    return ReadResult(rows_df, problems, {v: lost for v in variables} if lost else {})


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    """One exchange file, or a zip of them (each member named ``<zip>!<member>``, see
    :mod:`preprocessing.readers.archive`)."""
    options = options or ReaderOptions()
    path = str(path)
    if Path(path).suffix.lower() == ".zip":
        return read_zip(path, _sniff_bytes, lambda name, data: parse_bytes(data, name, options), "WHP-Exchange")
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    return parse_bytes(data, path, options)
