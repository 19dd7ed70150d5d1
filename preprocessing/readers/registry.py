"""Which reader modules serve each source, and routing a file to the one that claims it.

A source may hold several formats (Argo: GDAC profile files and ERDDAP exports; WOD: ragged netCDF and native
ASCII; CCHDO: exchange CSV, zipped collections, netCDF). Each format module answers ``can_read(path)``; the first
that says yes reads the file (:func:`route`). A file that no reader of its source claims is reported by the ingest
stage, never skipped silently.
"""
from __future__ import annotations

import importlib

# source -> reader modules in the order they are asked (the most specific sniff first)
READERS: dict[str, tuple[str, ...]] = {
    "argo": ("argo_erddap", "argo"),
    "wod": ("wod_ragged", "wod_ascii"),
    "cchdo": ("cchdo_netcdf", "cchdo_exchange"),
    "glodap": ("glodap",),
    "geotraces": ("geotraces",),
}


def reader_module(name: str):
    """The reader module ``preprocessing.readers.<name>`` (a :class:`~preprocessing.readers.base.Reader`)."""
    return importlib.import_module(f"preprocessing.readers.{name}")


def route(source: str, path: str):
    """The reader module that claims ``path`` for ``source``, or None."""
    for name in READERS[source]:
        try:
            mod = reader_module(name)
        except ImportError:
            continue
        try:
            if mod.can_read(path):
                return mod
        except Exception:       # a sniff that fails means "not mine"; the file is reported if nobody claims it
            continue
    return None
