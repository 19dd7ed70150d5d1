"""CCHDO WHP-Exchange reader: bottle (``BOTTLE,`` stamp) and CTD (``CTD,`` stamp + ``NUMBER_HEADERS``) files,
the CCHDO "csv" variant (``NAME [UNIT]`` headers, no stamp, no units line) and ``.zip`` collections of them.

Layout: stamp line; ``#`` comment lines; (CTD) ``NUMBER_HEADERS = n`` then n-1 ``KEY = VALUE`` lines; names line;
units line; comma-separated data; ``END_DATA``. Values are mapped to the store by
:mod:`preprocessing.readers.cchdo_table` (oxygen rule, flags, units: see there).

A hand-written parser (split + vectorised pandas conversion) is used rather than ``cchdo.hydro``: it locates a
malformed line (wrong field count, non-number in a used column) as a Problem "line N" and reads the rest, which
``cchdo.hydro.read_exchange`` does not (it raises for the whole file), and it is faster on p02.csv (see report).
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, ReadResult, empty_rows
from preprocessing.readers.cchdo_table import REQUIRED, present_variables, table_to_rows, used_numeric_columns

SOURCE = "cchdo"
_BRACKET = re.compile(r"^\s*([^\[]*?)\s*\[([^\]]*)\]\s*(.*?)\s*$")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _sniff_text(head: str) -> bool:
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    stamp = first.split(",")[0].strip().upper()
    if stamp in ("BOTTLE", "CTD"):
        return True
    names = [c.strip().upper() for c in first.split(",")]
    return names[:1] == ["EXPOCODE"] and ("STNNBR" in names or "CASTNO" in names)


def can_read(path: str) -> bool:
    p = Path(path)
    try:
        if p.suffix.lower() == ".zip":
            with zipfile.ZipFile(p) as zf:
                members = [m for m in zf.namelist() if not m.endswith("/")]
                return bool(members) and any(_sniff_text(zf.open(m).read(4096).decode("latin-1")) for m in members)
        with open(p, "rb") as fh:
            return _sniff_text(fh.read(4096).decode("latin-1"))
    except (OSError, zipfile.BadZipFile):
        return False


def _split_name(col: str) -> tuple[str, str | None]:
    m = _BRACKET.match(col)
    if m:
        return (m.group(1) + m.group(3)).strip().upper(), m.group(2).strip()
    return col.strip().upper(), None


def parse_text(text: str, file: str, options: ReaderOptions) -> ReadResult:
    lines = text.splitlines()
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
            k, v = lines[i].split("=", 1)
            header[k.strip().upper()] = v.strip()
            i += 1
        if len(header) != nh - 1:
            problems.append(Problem(file, "", f"NUMBER_HEADERS = {nh} but {len(header) + 1} header lines"))
    if i >= len(lines):
        raise ReaderError(file, "no column names line")
    raw_names = [c for c in lines[i].split(",")]
    i += 1
    if stamped:
        if i >= len(lines):
            raise ReaderError(file, "no units line")
        unit_list = [u.strip() for u in lines[i].split(",")]
        i += 1
        names = [n.strip().upper() for n in raw_names]
        if len(unit_list) != len(names):
            raise ReaderError(file, f"units line has {len(unit_list)} fields, names line {len(names)}",
                              f"line {i}")
    else:
        pairs = [_split_name(c) for c in raw_names]
        names, unit_list = [p[0] for p in pairs], [p[1] or "" for p in pairs]
    units = dict(zip(names, unit_list))
    ncol = len(names)
    variables = present_variables(names)
    lost = 0
    rows, line_no = [], []
    ended = False
    for j in range(i, len(lines)):
        ln = lines[j]
        if ln.strip().upper().startswith("END_DATA"):
            ended = True
            break
        if not ln.strip() or ln.startswith("#"):
            continue
        fields = ln.split(",")
        if len(fields) != ncol:
            problems.append(Problem(file, f"line {j + 1}", f"expected {ncol} fields, found {len(fields)}"))
            lost += 1
            continue
        rows.append(fields)
        line_no.append(j + 1)
    if stamped and not ended:
        problems.append(Problem(file, "", "no END_DATA line (file may be truncated)"))
    cols = {n: np.asarray(c, dtype=object) for n, c in zip(names, zip(*rows))} if rows else \
        {n: np.asarray([], dtype=object) for n in names}
    line_no = np.asarray(line_no, dtype=np.int64)
    bad = np.zeros(len(line_no), bool)
    for name in used_numeric_columns(names):
        s = pd.Series(cols[name], dtype=object).str.strip()
        nonnum = (s != "") & ~s.str.match(_NUMBER)
        for k in np.flatnonzero(nonnum.to_numpy() & ~bad):
            problems.append(Problem(file, f"line {line_no[k]}", f"{name} value {s.iloc[k]!r} is not a number"))
        bad |= nonnum.to_numpy()
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
    return ReadResult(rows_df, problems, {v: lost for v in variables} if lost else {})


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    options = options or ReaderOptions()
    path = str(path)
    if not Path(path).suffix.lower() == ".zip":
        try:
            data = Path(path).read_bytes()
        except OSError as e:
            raise ReaderError(path, f"cannot open ({e.strerror})") from None
        return parse_text(_decode(data), path, options)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise ReaderError(path, f"not a readable zip file ({e})") from None
    parts, problems, lost = [], [], {}
    name = Path(path).name
    with zf:
        members = [m for m in zf.namelist() if not m.endswith("/")]
        for m in members:
            where = f"{name}:{m}"
            text = _decode(zf.read(m))
            if not _sniff_text(text[:4096]):
                problems.append(Problem(where, "", "not a WHP-Exchange member; skipped"))
                continue
            try:
                res = parse_text(text, where, options)
            except ReaderError as e:
                problems.append(e.problem)
                continue
            parts.append(res.rows)
            problems += res.problems
            for k, v in res.lost_values.items():
                lost[k] = lost.get(k, 0) + v
    if not parts:
        raise ReaderError(path, "no readable WHP-Exchange member in the zip file")
    return ReadResult(pd.concat(parts, ignore_index=True), problems, lost)
