"""The size a netCDF-3 file must have, computed from its header (classic ``CDF\\x01``, 64-bit offset ``CDF\\x02``,
CDF-5 ``CDF\\x05``; the format is the "NetCDF Classic Format Specification" of the netCDF-C documentation).

A netCDF-3 file cut short still opens, and the bytes past its end read as zeros or fill values, so a truncated
file would read as "ok". Its header says where every variable starts (``begin``), its shape and type, and how
many records there are (``numrecs``): the file must reach the end of the header, the end of every fixed-size
variable and the end of the last record of every record variable. Used by
:func:`preprocessing.readers.netcdf.check_complete`. Not a reader: it has no ``SOURCE``.
"""
from __future__ import annotations

import math
from typing import BinaryIO

_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 4, 6: 8, 7: 1, 8: 2, 9: 4, 10: 8, 11: 8}
_DIMENSION, _VARIABLE, _ATTRIBUTE = 10, 11, 12
_STREAMING = 0xFFFFFFFF


class HeaderError(ValueError):
    """The header cannot be parsed (it ends before the end of the file's bytes, or it is not a netCDF-3 header)."""


class _Reader:
    """Big-endian fields of the header; never reads or skips past the end of the file."""

    def __init__(self, fh: BinaryIO):
        self.fh = fh
        self.size = fh.seek(0, 2)
        self.pos = fh.seek(0)

    def bytes(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.size:
            raise HeaderError(f"the header ends beyond the end of the file (byte {self.pos} + {n} of {self.size})")
        self.pos += n
        return self.fh.read(n)

    def skip(self, n: int) -> None:
        if n < 0 or self.pos + n > self.size:
            raise HeaderError(f"the header ends beyond the end of the file (byte {self.pos} + {n} of {self.size})")
        self.pos = self.fh.seek(self.pos + n)

    def uint(self, width: int) -> int:
        return int.from_bytes(self.bytes(width), "big")


def _name(r: _Reader, w: int) -> None:
    n = r.uint(w)
    r.skip(n + (-n) % 4)


def _list(r: _Reader, tag: int, w: int) -> int:
    """Read a list's tag (or ABSENT) and return its number of elements."""
    t, n = r.uint(4), r.uint(w)
    if t == 0 and n == 0:
        return 0
    if t != tag:
        raise HeaderError(f"expected list tag {tag} at byte {r.pos - 4 - w}, found {t}")
    return n


def _attributes(r: _Reader, w: int) -> None:
    for _ in range(_list(r, _ATTRIBUTE, w)):
        _name(r, w)
        nc_type, n = r.uint(4), r.uint(w)
        if nc_type not in _TYPE_SIZE:
            raise HeaderError(f"unknown attribute type {nc_type} at byte {r.pos - 4 - w}")
        nbytes = n * _TYPE_SIZE[nc_type]
        r.skip(nbytes + (-nbytes) % 4)


def netcdf3_size(fh: BinaryIO) -> int:
    """The least number of bytes the netCDF-3 file open in ``fh`` (binary, seekable) must have: the end of its
    header, of every fixed-size variable and of every record variable's last record (``numrecs`` "streaming":
    records not counted). Raises :class:`HeaderError` when the header itself is cut or damaged."""
    r = _Reader(fh)
    magic = r.bytes(4)
    if magic[:3] != b"CDF" or magic[3] not in (1, 2, 5):
        raise HeaderError(f"not a netCDF-3 file (magic {magic!r})")
    version = magic[3]
    w = 8 if version == 5 else 4                        # width of counts, lengths and dimension ids
    bw = 4 if version == 1 else 8                       # width of a variable's begin offset
    numrecs = r.uint(w)
    dims = []
    for _ in range(_list(r, _DIMENSION, w)):
        _name(r, w)
        dims.append(r.uint(w))
    _attributes(r, w)
    fixed_ends, records = [], []
    for _ in range(_list(r, _VARIABLE, w)):
        _name(r, w)
        ids = [r.uint(w) for _ in range(r.uint(w))]
        if any(i >= len(dims) for i in ids):
            raise HeaderError(f"a variable names dimension {max(ids)} of {len(dims)}")
        _attributes(r, w)
        nc_type = r.uint(4)
        if nc_type not in _TYPE_SIZE:
            raise HeaderError(f"unknown variable type {nc_type} at byte {r.pos - 4}")
        r.skip(w)                                       # vsize: recomputed below (it saturates for big variables)
        begin = r.uint(bw)
        shape = [dims[i] for i in ids]
        if shape and shape[0] == 0:                     # the record dimension first: a record variable
            records.append((begin, math.prod(shape[1:]) * _TYPE_SIZE[nc_type]))
        else:
            nbytes = math.prod(shape) * _TYPE_SIZE[nc_type]
            if nbytes:
                fixed_ends.append(begin + nbytes)
    need = max([r.pos, *fixed_ends])
    if records and numrecs not in (0, _STREAMING if w == 4 else 2 ** 64 - 1):
        # one record holds every record variable, each padded to 4 bytes; a single record variable is not padded
        recsize = records[0][1] if len(records) == 1 else sum(n + (-n) % 4 for _, n in records)
        need = max([need, *(begin + (numrecs - 1) * recsize + n for begin, n in records if n)])
    return need
