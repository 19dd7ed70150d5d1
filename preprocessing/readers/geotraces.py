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
from preprocessing.readers.flags import flag_reasons, mark_bad_position, pick_first

SOURCE = "geotraces"
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
    if Path(path).suffix.lower() not in (".csv", ".txt", ".tsv"):
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


def read(path: str, options: ReaderOptions | None = None) -> ReadResult:
    options, path = options or ReaderOptions(), str(path)
    try:
        first = _first_data_line(path)
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    sep = "\t" if first.count("\t") > first.count(",") else ","
    with open(path, "rb") as fh:
        raw = fh.read().decode("utf-8", "replace").splitlines()
    keep, problems, ncol, lost = [], [], None, 0
    for k, line in enumerate(raw):
        if not line.strip() or line.startswith("//"):
            continue
        nf = line.count(sep) + 1
        if ncol is None:
            ncol = nf
        elif nf != ncol:   # a malformed line: reported, its values counted as lost, the rest read
            problems.append(Problem(path, f"line {k + 1}", f"expected {ncol} fields, found {nf}"))
            lost += 1
            continue
        keep.append(line)
    if not keep:
        raise ReaderError(path, "no header line")
    try:
        df = pd.read_csv(io.StringIO("\n".join(keep)), sep=sep, dtype=str, keep_default_na=False, header=None,
                         quoting=csv.QUOTE_NONE)
    except pd.errors.ParserError as e:
        raise ReaderError(path, f"unreadable table ({str(e).splitlines()[0]})") from None
    names, df = list(df.iloc[0]), df.iloc[1:].reset_index(drop=True)
    df.columns = range(len(names))
    idx = {k: _meta(names, *p) for k, p in {
        "cruise": ("CRUISE",), "station": ("STATION",), "type": ("TYPE",), "time": ("YYYY",),
        "lon": ("LONGITUDE",), "lat": ("LATITUDE",)}.items()}
    for k in ("cruise", "station", "time", "lon", "lat"):
        if idx[k] is None:
            raise ReaderError(path, f"required column {k} missing")
    meta_cols = [i for i in idx.values() if i is not None]
    cont = df[idx["cruise"]].str.strip() == ""          # ODV: empty metadata = same station as above
    df.loc[cont, meta_cols] = np.nan
    df[meta_cols] = df[meta_cols].ffill()
    num = lambda i: pd.to_numeric(df[i], errors="coerce").to_numpy(dtype=float)  # noqa: E731
    n = len(df)
    lat, lon = num(idx["lat"]), num(idx["lon"])
    time = pd.to_datetime(df[idx["time"]].str.strip(), errors="coerce", utc=True, format="ISO8601").to_numpy()
    zi, pi = _match(names, "DEPTH"), _match(names, "PRESSURE")
    for key in ("CTDPRS_T_VALUE_SENSOR", "CTDPRS"):
        pi = pi if pi is not None else _match(names, key)
    z = num(zi) if zi is not None else np.full(n, np.nan)
    p = num(pi) if pi is not None else np.full(n, np.nan)
    lat0 = np.where(np.isfinite(lat), lat, 0.0)
    z = np.where(np.isnan(z), U.depth_from_pressure(p, lat0), z)
    p = np.where(np.isnan(p), U.pressure_from_depth(z, lat0), p)
    cast_key = df[idx["cruise"]].str.strip() + ":" + df[idx["station"]].str.strip()
    ci = _meta(names, "CASTIDENTIFIER")
    cast_key = cast_key + ":" + (df[ci].str.strip() if ci is not None else df[idx["time"]].str.strip())
    out = {"cast_id": ("geotraces:" + cast_key).to_numpy(), "time": time, "lat": lat, "lon": lon,
           "depth": z, "pressure": p}
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & np.isfinite(z)) | pd.isna(time)
    for var in ("temperature", "salinity", *CONCENTRATIONS):
        cands = []
        for key in CANDIDATES[var]:
            i = _match(names, key)
            if i is None:
                continue
            v, fi = num(i), _flag_index(names, i)
            r = flag_reasons(v, None if fi is None else num(fi), options.geotraces_good_flags, MISSING_FLAGS)
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
    return ReadResult(finish_rows(out), problems, {v: lost for v in present} if lost else {})
