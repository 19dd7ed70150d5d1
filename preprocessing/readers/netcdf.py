"""netCDF helpers shared by the netCDF readers (Argo GDAC and ERDDAP, WOD ragged arrays): sniffing, opening with
every failure turned into a :class:`~preprocessing.readers.base.ReaderError` naming the file, the truncation check,
CF time decoding and char-flag decoding. Not a reader: it has no ``SOURCE``."""
from __future__ import annotations

import os
import re

import netCDF4
import numpy as np
import pandas as pd

from preprocessing.readers.base import ReaderError

_NC_MAGIC = (b"CDF\x01", b"CDF\x02", b"\x89HDF")


def is_netcdf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) in _NC_MAGIC
    except OSError:
        return False


def check_complete(ds, path: str) -> None:
    """netCDF-3 files cut short open without error and read as zeros: the file must hold at least the bytes its
    variables need (header excluded), else :class:`ReaderError`."""
    if not ds.data_model.startswith("NETCDF3"):
        return
    need = 0
    for v in ds.variables.values():
        n = int(np.prod(v.shape)) if v.shape else 1
        need += (n * np.dtype(v.dtype).itemsize + 3) // 4 * 4 if v.dtype != str else 0
    size = os.path.getsize(path)
    if size < need:
        raise ReaderError(path, f"file truncated: {size} bytes, its variables need at least {need}")


def read_netcdf(path: str, body, what: str, auto_mask: bool = False):
    """Open ``path``, check it is not truncated, return ``body(ds)``; every failure becomes a :class:`ReaderError`
    naming the file (``what`` says which kind of file was expected). Shared by the netCDF readers."""
    try:
        ds = netCDF4.Dataset(path)
    except Exception as e:
        raise ReaderError(path, f"not a readable netCDF file ({e})") from None
    try:
        ds.set_auto_mask(auto_mask)
        check_complete(ds, path)
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
