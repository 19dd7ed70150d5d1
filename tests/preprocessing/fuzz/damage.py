"""The mutation operators of the fuzz cases (:mod:`tests.preprocessing.fuzz.mutate`): each takes the seed's bytes
and the case and returns the damaged bytes and whether the damage is detectable (the case must then end in an error
or a problem)."""
from __future__ import annotations

import random
import shutil
from pathlib import Path

import netCDF4
import numpy as np


def _layout(data: bytes, kind: str) -> dict:
    """Lines of a text table and which are the names, units and data lines."""
    lines = data.split(b"\n")
    i = 0
    if kind == "exchange":
        i = 1
        while lines[i].startswith(b"#"):
            i += 1
    else:
        while not lines[i].strip() or lines[i].startswith(b"//"):
            i += 1
    names_i = i
    units_i = i + 1 if kind == "exchange" else None
    sep = b"\t" if lines[i].count(b"\t") > lines[i].count(b",") else b","
    start = names_i + (2 if kind == "exchange" else 1)
    data_i = [k for k in range(start, len(lines))
              if lines[k].strip() and not lines[k].startswith((b"#", b"//", b"END_DATA"))]
    names = [n.decode().strip() for n in lines[names_i].split(sep)]
    return {"lines": lines, "names": names, "names_i": names_i, "units_i": units_i, "data_i": data_i, "sep": sep}


def _offset(lines: list[bytes], k: int) -> int:
    return sum(len(ln) + 1 for ln in lines[:k])


def _wod_casts(data: bytes) -> list[int]:
    """Byte offsets where each cast of a WOD ASCII file starts (from the casts' own byte counts)."""
    import tempfile

    from wodpy import wod

    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(data)
        tmp.flush()
        starts = []
        with open(tmp.name, encoding="latin-1") as f:
            while f.tell() < len(data):
                starts.append(f.tell())
                wod.WodProfile(f)
    return starts


def cut(data: bytes, case) -> tuple[bytes, bool]:
    s, k = case.seed, int(len(data) * case.arg)
    new = data[:k]
    if k == 0:
        return new, True
    if s.kind == "netcdf":
        return new, k < (s.data_end or len(data))
    if s.kind == "zip":
        return new, k < len(data)
    if s.kind == "wod_ascii":
        starts = _wod_casts(data) + [len(data)]
        c = max(i for i, st in enumerate(starts) if st <= k)
        if k == starts[c]:
            return new, False                      # a cut between two casts: a valid, shorter file
        body = data[starts[c]:starts[c + 1]].rstrip(b" \r\n")
        return new, k < starts[c] + len(body)      # a cut in the trailing padding of the last cast loses nothing
    lay = _layout(data, s.kind)
    if s.kind == "exchange":
        end = data.find(b"END_DATA")
        return new, k < end + len(b"END_DATA")     # no END_DATA line: the file says it may be truncated
    if k <= _offset(lay["lines"], lay["data_i"][0]):
        return new, False                          # cut in the header: no expectation (a header alone is valid)
    last = new.rsplit(b"\n", 1)[-1]
    return new, bool(last.strip()) and last.count(lay["sep"]) < len(lay["names"]) - 1


def flip(data: bytes, case) -> tuple[bytes, bool]:
    rng = random.Random(case.arg[0])
    b = bytearray(data)
    for _ in range(case.arg[1]):
        i = rng.randrange(len(b))
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b), False


def _set_field(data: bytes, case, columns, value) -> bytes:
    """Field of a used column on a random data line → ``value(old_field)``."""
    rng = random.Random(case.arg[0])
    lay = _layout(data, case.seed.kind)
    lines, sep = lay["lines"], lay["sep"]
    k = rng.choice(lay["data_i"])
    j = lay["names"].index(rng.choice(columns))
    fields = lines[k].split(sep)
    fields[j] = value(fields[j])
    lines[k] = sep.join(fields)
    return b"\n".join(lines)


def badbyte(data: bytes, case) -> tuple[bytes, bool]:
    bad = case.arg[1]

    def insert(old: bytes) -> bytes:
        m = len(old) // 2
        return old[:m] + bad + old[m:]
    return _set_field(data, case, case.seed.numeric + case.seed.text, insert), True


def number(data: bytes, case) -> tuple[bytes, bool]:
    return _set_field(data, case, case.seed.numeric, lambda _: case.arg[1].encode()), True


def absurd_text(data: bytes, case) -> tuple[bytes, bool]:
    return _set_field(data, case, case.seed.numeric, lambda _: case.arg[1].encode()), False


def repeat_header(data: bytes, case) -> tuple[bytes, bool]:
    lay = _layout(data, case.seed.kind)
    lines = lay["lines"]
    k = random.Random(case.arg).choice(lay["data_i"][1:])
    head = [lines[lay["names_i"]]] + ([lines[lay["units_i"]]] if lay["units_i"] is not None else [])
    return b"\n".join(lines[:k] + head + lines[k:]), True


def drop(data: bytes, case) -> tuple[bytes, bool]:
    """A column removed from the names (and units) line and every data line."""
    lay = _layout(data, case.seed.kind)
    lines, sep = lay["lines"], lay["sep"]
    j = lay["names"].index(case.arg)
    for k in [lay["names_i"]] + ([lay["units_i"]] if lay["units_i"] is not None else []) + lay["data_i"]:
        fields = lines[k].split(sep)
        if len(fields) == len(lay["names"]):
            del fields[j]
            lines[k] = sep.join(fields)
    return b"\n".join(lines), case.arg in case.seed.unclean_drops


def netcdf_edit(src: Path, dst: Path, case) -> bool:
    """``drop``: a copy without the variable; ``absurd``: every third value of the variable set to the number."""
    if case.op == "absurd":
        shutil.copy(src, dst)
        name, value = case.arg
        with netCDF4.Dataset(dst, "r+") as ds:
            v = ds.variables[name]
            v.set_auto_maskandscale(False)
            a = np.array(v[:])
            a.flat[::3] = value
            v[:] = a
        return False
    with netCDF4.Dataset(src) as a, netCDF4.Dataset(dst, "w", format=a.file_format) as b:
        a.set_auto_maskandscale(False)
        b.setncatts(a.__dict__)
        for name, d in a.dimensions.items():
            b.createDimension(name, None if d.isunlimited() else len(d))
        for name, v in a.variables.items():
            if name == case.arg:
                continue
            fill = v.getncattr("_FillValue") if "_FillValue" in v.ncattrs() else None
            try:
                w = b.createVariable(name, v.datatype, v.dimensions, fill_value=fill)
            except RuntimeError:       # a compound/vlen type (WOD's plankton table): not read, left out too
                continue
            w.set_auto_maskandscale(False)
            w.setncatts({k: v.getncattr(k) for k in v.ncattrs() if k != "_FillValue"})
            if v.size:
                w[:] = v[:]
    return case.arg in case.seed.unclean_drops
