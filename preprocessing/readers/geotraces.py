"""GEOTRACES Intermediate Data Product reader: the ODV-spreadsheet export (``Cruise, Station, Type,
yyyy-mm-ddThh:mm:ss.sss, Longitude [degrees_east], Latitude [degrees_north], Bot. Depth [m], ..., DEPTH [m],
CTDTMP [deg C], QV:IODE, ...``; ``//`` comment lines; tab or comma separated; empty metadata cells continue the
station above) and the sanitised-name CSV derived from it (``CTDOXY_D_CONC_SENSOR_umol_kg_``, ``QV_SEADATANET3``).

Each variable's quality flag is the first ``QV*`` column after it (``STANDARD_DEV`` columns in between are
skipped). Flags (IODE / SeaDataNet): accepted = options.geotraces_good_flags (1 good, 2 probably good); 9 (and an
empty flag with no value) → ``missing``; others → ``source_flag:<f>``.

One value per (row, variable), first candidate that has a value (see :mod:`preprocessing.readers.flags`):
oxygen ``OXYGEN_D_CONC_BOTTLE`` then ``CTDOXY_D_CONC_SENSOR``; salinity ``CTDSAL`` then bottle/pump/fish;
nutrients bottle, then pump, then fish. Concentrations with no unit are µmol/kg (the IDP convention); µmol/L
is converted with the in-situ density; any other unit → ``unknown_units``.

Damaged text (rules of :mod:`preprocessing.readers.csvtext`): a line that is not valid UTF-8, has the wrong number of
fields, or holds a non-number ("abc", "inf", "1e400") or an unreadable time in a column this reader uses is a
Problem "line N" and its values are counted as lost (``unreadable``); so are the continuation lines of a station line
that was not read (they must not inherit the station above it); a repeated column-names line is skipped with a
Problem and not counted. "NaN" and empty fields are missing values.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from preprocessing import units as U
from preprocessing.readers.base import Problem, ReaderError, ReaderOptions, ReadResult, finish_rows
from preprocessing.readers.csvtext import (names_line, number_problems, parse_numbers, repeated_header, same_fields,
                                           split_lines, utf8_problem)
from preprocessing.readers.flags import flag_reasons, mark_bad_position, pick_first

SOURCE = "geotraces"
FORMAT = "GEOTRACES IDP spreadsheet"
SUFFIXES = (".csv", ".txt", ".tsv")
CANDIDATES = {
    "oxygen": ("OXYGEN_D_CONC_BOTTLE", "CTDOXY_D_CONC_SENSOR", "CTDOXY"),
    "temperature": ("CTDTMP_T_VALUE_SENSOR", "CTDTMP"),
    "salinity": ("CTDSAL_D_CONC_SENSOR", "CTDSAL", "SALINITY_D_CONC_BOTTLE", "SALINITY_D_CONC_PUMP",
                 "SALINITY_D_CONC_FISH"),
    "nitrate": ("NITRATE_D_CONC_BOTTLE", "NITRATE_D_CONC_PUMP", "NITRATE_D_CONC_FISH"),
    "phosphate": ("PHOSPHATE_D_CONC_BOTTLE", "PHOSPHATE_D_CONC_PUMP", "PHOSPHATE_D_CONC_FISH"),
    "silicate": ("SILICATE_D_CONC_BOTTLE", "SILICATE_D_CONC_PUMP", "SILICATE_D_CONC_FISH"),
}
CONCENTRATIONS = ("oxygen", "nitrate", "phosphate", "silicate")
MISSING_FLAGS = (9,)
REQUIRED_META = {"cruise": ("CRUISE",), "station": ("STATION",), "time": ("YYYY",), "lon": ("LONGITUDE",),
                 "lat": ("LATITUDE",)}
_ODV_UNIT = re.compile(r"^\s*(.*?)\s*\[(.*)\]\s*$")


def _norm(name: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", name.upper()).strip("_")


def _first_data_line(path: str) -> str:
    with open(path, "rb") as fh:
        for raw in fh:
            line = raw.decode("utf-8", "replace")
            if line.strip() and not line.startswith("//"):
                return line
    return ""


def can_read(path: str) -> bool:
    if Path(path).suffix.lower() not in SUFFIXES:
        return False
    try:
        first = _first_data_line(path)
    except OSError:
        return False
    names = [_norm(c) for c in re.split(r"[\t,]", first)]
    return names[:1] == ["CRUISE"] and any(n.startswith(("YYYY", "LONGITUDE")) for n in names) and \
        not any(n.startswith("G2") for n in names)


def _match(names: list[str], key: str) -> int | None:
    """Index of the column whose name (unit removed) is ``key``; sanitised names carry the unit as a suffix."""
    for i, n in enumerate(names):
        m = _ODV_UNIT.match(n)
        base = _norm(m.group(1)) if m else _norm(n)
        if base == key or (not m and base.startswith(key + "_") and not _is_other(base, key)):
            return i
    return None


def _is_other(base: str, key: str) -> bool:
    """``NITRATE_D_CONC_BOTTLE_umol_kg`` is the key plus a unit; ``..._BOTTLE_STANDARD_DEV`` etc. are not."""
    rest = base[len(key) + 1:]
    return not re.fullmatch(r"(U|M|N|P)?MOL_(KG|L)|DEG_?C|DEGC|PSS_78|PSU|DBAR|M", rest)


def _unit(names: list[str], i: int) -> str:
    m = _ODV_UNIT.match(names[i])
    if m:
        return m.group(2).strip()
    base = _norm(names[i])
    um = re.search(r"_((?:U|M|N|P)?MOL_(?:KG|L))$", base)
    return um.group(1).replace("_", "/") if um else ""


def _flag_index(names: list[str], i: int) -> int | None:
    for j in range(i + 1, len(names)):
        n = _norm(names[j])
        if n.startswith("QV"):
            return j
        if not n.startswith("STANDARD_DEV"):
            return None
    return None


def _meta(names: list[str], *prefixes: str) -> int | None:
    for i, n in enumerate(names):
        if _norm(n).startswith(prefixes):
            return i
    return None


def _table(path: str):
    """The file as a table of strings, one row per data line (a line that cannot be split into the header's fields
    is kept as an empty row marked lost, so continuation rows still know their station row). Returns ``(names, df,
    line numbers, lost, continues, problems)``; ``continues``: the line's first field (Cruise) is empty."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    lines, not_utf8 = split_lines(data)
    body = [k for k, ln in enumerate(lines) if ln.strip() and not ln.startswith("//")]
    if not body:
        raise ReaderError(path, "no header line")
    header = names_line(path, lines, not_utf8, body[0])
    sep = "\t" if header.count("\t") > header.count(",") else ","
    names = header.split(sep)
    for k, p in REQUIRED_META.items():
        if _meta(names, *p) is None:
            raise ReaderError(path, f"required column {k} missing")
    keep, line_no, lost, cont, problems = [header], [], [], [], []
    for k in body[1:]:
        fields = lines[k].split(sep)
        bad = None
        if not_utf8[k]:
            problems.append(utf8_problem(path, k + 1))
            bad = True
        elif len(fields) != len(names):       # a malformed line: reported, its values counted as lost, rest read
            problems.append(Problem(path, f"line {k + 1}", f"expected {len(names)} fields, found {len(fields)}"))
            bad = True
        elif same_fields(fields, names):
            problems.append(repeated_header(path, k + 1))
            continue
        keep.append(sep * (len(names) - 1) if bad else lines[k])
        line_no.append(k + 1)
        lost.append(bool(bad))
        cont.append(fields[0].strip() == "")
    try:
        df = pd.read_csv(io.StringIO("\n".join(keep)), sep=sep, dtype=str, keep_default_na=False, header=None,
                         quoting=csv.QUOTE_NONE, skip_blank_lines=False, lineterminator="\n")
    except pd.errors.ParserError as e:
        raise ReaderError(path, f"unreadable table ({str(e).splitlines()[0]})") from None
    if len(df) != len(keep):                      # one row per kept line, or the line numbers would be wrong
        raise ReaderError(path, f"unreadable table ({len(df)} rows for {len(keep)} lines)")
    df = df.iloc[1:].reset_index(drop=True)
    df.columns = range(len(names))
    return names, df, np.asarray(line_no, np.int64), np.asarray(lost, bool), np.asarray(cont, bool), problems


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    options, path = options or ReaderOptions(), str(path)
    names, df, line_no, lost, cont, problems = _table(path)
    n = len(df)
    idx = {k: _meta(names, *p) for k, p in REQUIRED_META.items()}
    zi, pi = _match(names, "DEPTH"), _match(names, "PRESSURE")
    for key in ("CTDPRS_T_VALUE_SENSOR", "CTDPRS"):
        pi = pi if pi is not None else _match(names, key)
    used = {i for i in (idx["lat"], idx["lon"], zi, pi) if i is not None}   # every column read as numbers
    for var in ("temperature", "salinity", *CONCENTRATIONS):
        for i in (_match(names, key) for key in CANDIDATES[var]):
            if i is not None:
                used |= {i} | ({_flag_index(names, i)} - {None})
    columns, checked = {}, []
    for i in sorted(used):
        text = df[i].to_numpy(object)
        columns[i], bad = parse_numbers(text)
        checked.append((names[i], bad & ~lost, text))
    tt = df[idx["time"]].str.strip()
    time = pd.to_datetime(tt, errors="coerce", utc=True, format="ISO8601").to_numpy()
    checked.append((names[idx["time"]], (tt != "").to_numpy() & pd.isna(time) & ~lost, tt.to_numpy(object)))
    problems += number_problems(path, checked, line_no)
    for _, b, _ in checked:
        lost |= b
    # ODV: empty metadata = same station as the row above; continuation rows of an unread station row are lost too
    row = np.arange(n)
    parent = np.maximum.accumulate(np.where(cont, -1, row))
    orphan = cont & (parent >= 0) & lost[np.maximum(parent, 0)]
    for s in np.unique(parent[orphan]).tolist():
        k = orphan & (parent == s)
        problems.append(Problem(path, f"line {line_no[np.argmax(k)]}", f"{int(k.sum())} lines continue the station "
                                                                       f"of line {line_no[s]}, which was not read; "
                                                                       "not read"))
    lost |= orphan
    take = np.where(cont, parent, row)
    orphan_rows = take < 0                        # continuation rows before any station row: no metadata
    take = np.maximum(take, 0)

    def meta(a, fill):
        return np.where(orphan_rows, fill, np.asarray(a)[take])

    good = ~lost
    lat, lon = meta(columns[idx["lat"]], np.nan)[good], meta(columns[idx["lon"]], np.nan)[good]
    time = meta(time, np.datetime64("NaT"))[good]
    text = {k: pd.Series(meta(df[idx[k]].to_numpy(object), ""), dtype=object)[good].str.strip().reset_index(drop=True)
            for k in ("cruise", "station", "time")}
    z = columns[zi][good] if zi is not None else np.full(int(good.sum()), np.nan)
    p = columns[pi][good] if pi is not None else np.full(int(good.sum()), np.nan)
    lat0 = np.where(np.isfinite(lat), lat, 0.0)
    z = np.where(np.isnan(z), U.depth_from_pressure(p, lat0), z)
    p = np.where(np.isnan(p), U.pressure_from_depth(z, lat0), p)
    cast_key = text["cruise"] + ":" + text["station"]
    ci = _meta(names, "CASTIDENTIFIER")
    cast_key = cast_key + ":" + (df[ci][good].str.strip().reset_index(drop=True) if ci is not None else text["time"])
    out = {"cast_id": ("geotraces:" + cast_key).to_numpy(), "time": time, "lat": lat, "lon": lon,
           "depth": z, "pressure": p}
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(z)) | pd.isna(time)
    for var in ("temperature", "salinity", *CONCENTRATIONS):
        cands = []
        for key in CANDIDATES[var]:
            i = _match(names, key)
            if i is None:
                continue
            v, fi = columns[i][good], _flag_index(names, i)
            r = flag_reasons(v, None if fi is None else columns[fi][good], options.geotraces_good_flags,
                             MISSING_FLAGS)
            if var in CONCENTRATIONS:
                kind = U.concentration_unit_kind(_unit(names, i) or "umol/kg")
                if kind in ("per_kg", "per_l") or (kind == "ml_l" and var == "oxygen"):
                    v = U.to_umol_per_kg(v, kind, out.get("temperature", np.nan), out.get("salinity", np.nan),
                                         p, lat0, np.nan_to_num(lon))
                else:
                    r = np.where(r == "", "unknown_units", r).astype(object)
            cands.append((v, r))
        if cands:
            v, r = pick_first(cands)
            out[var], out[var + "_reason"] = v, mark_bad_position(r, bad)
    present = [v for v in CANDIDATES if v + "_reason" in out]
    n_lost = int(lost.sum())
    problems.sort(key=lambda q: int(q.where.split()[-1]))           # every problem here is "line N"
    return ReadResult(finish_rows(out), problems, {v: n_lost for v in present} if n_lost else {})
