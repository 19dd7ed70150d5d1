"""netCDF helpers shared by the netCDF readers (Argo GDAC and ERDDAP, WOD ragged arrays, CCHDO bottle netCDF):
sniffing, opening with every failure turned into a :class:`~preprocessing.readers.base.ReaderError` naming the file,
the one completeness check (the netCDF-3 header layout is :mod:`preprocessing.readers.netcdf3`), CF time decoding
and char-flag decoding. Not a reader: it has no ``SOURCE``."""
from __future__ import annotations

import io
import re

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.base import ReaderError
from preprocessing.readers.netcdf3 import HeaderError, netcdf3_size

NC_MAGIC = (b"CDF\x01", b"CDF\x02", b"CDF\x05", b"\x89HDF")


def is_netcdf(path: str) -> bool:
    """A netCDF magic number and, for netCDF-3, a header that parses (:mod:`preprocessing.readers.netcdf3`): the
    netCDF-C library can spend minutes on a damaged header, so sniffing never hands it one."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
            if magic not in NC_MAGIC:
                return False
            if magic.startswith(b"CDF"):
                netcdf3_size(f)
            return True
    except (OSError, HeaderError):
        return False


def check_complete(path: str, data: bytes | None = None) -> None:
    """The one completeness check of every netCDF reader: a netCDF-3 file must hold every byte its header
    describes (header, fixed-size variables, every record: :func:`preprocessing.readers.netcdf3.netcdf3_size`),
    else :class:`ReaderError` naming ``path``. A netCDF-3 file cut short opens without error and reads zeros, so
    the check runs before opening. netCDF-4 (HDF5) files are left to the HDF5 library, which refuses a file shorter
    than the end-of-file address in its superblock. ``data``: the file's bytes when it is not on disk (a zip
    member; ``path`` then names it)."""
    try:
        fh = io.BytesIO(data) if data is not None else open(path, "rb")
    except OSError as e:
        raise ReaderError(path, f"cannot open ({e.strerror})") from None
    with fh:
        if fh.read(3) != b"CDF":
            return
        try:
            need = netcdf3_size(fh)
        except HeaderError as e:
            raise ReaderError(path, f"file truncated or damaged: netCDF-3 header unreadable ({e})") from None
        size = fh.seek(0, 2)
    if size < need:
        raise ReaderError(path, f"file truncated: {size} bytes, its netCDF-3 header describes {need}")


def read_netcdf(path: str, body, what: str, auto_mask: bool = False, data: bytes | None = None):
    """Check ``path`` is complete (:func:`check_complete`), open it, return ``body(ds)``; every failure becomes a
    :class:`ReaderError` naming the file (``what`` says which kind of file was expected). Shared by the netCDF
    readers. ``data``: the file's bytes when it is not on disk (a zip member named by ``path``)."""
    check_complete(path, data)
    try:
        ds = netCDF4.Dataset(path, memory=data) if data is not None else netCDF4.Dataset(path)
    except Exception as e:
        raise ReaderError(path, f"not a readable netCDF file ({e})") from None
    try:
        ds.set_auto_mask(auto_mask)
        return body(ds)
    except ReaderError:
        raise
    except Exception as e:
        raise ReaderError(path, f"cannot read {what} ({type(e).__name__}: {e})") from None
    finally:
        ds.close()


def cf_times(values, units: str) -> np.ndarray:
    """CF ``<unit> since <origin>`` numbers → datetime64[ns] rounded to the second (NaT where not finite)."""
    m = re.match(r"\s*(\w+)\s+since\s+(.+)$", units or "")
    if not m:
        raise ValueError(f"time units {units!r} are not '<unit> since <date>'")
    scale = {"day": 86400.0, "days": 86400.0, "hour": 3600.0, "hours": 3600.0, "minute": 60.0, "minutes": 60.0,
             "second": 1.0, "seconds": 1.0}.get(m.group(1).lower())
    if scale is None:
        raise ValueError(f"time unit {m.group(1)!r} not supported")
    origin = pd.Timestamp(m.group(2).strip().replace("UTC", "").replace("Z", "").strip())
    v = np.asarray(values, dtype=float) * scale
    ok = np.isfinite(v)
    out = np.full(v.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    out[ok] = origin.to_datetime64() + np.round(v[ok]).astype(np.int64).astype("timedelta64[s]")
    return out


def qc_strings(arr) -> np.ndarray:
    """char QC flags (bytes / str / masked) → str array ('' for blank)."""
    a = np.ma.filled(np.asarray(arr), b" ") if np.ma.isMaskedArray(arr) else np.asarray(arr)
    if a.dtype.kind == "S":
        a = np.char.decode(a, "ascii", errors="replace")
    return np.char.strip(a.astype(str))
