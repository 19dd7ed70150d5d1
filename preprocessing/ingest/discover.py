"""Find input files and route each one to the reader module of its format.

A source may hold several formats (Argo: GDAC profile files and ERDDAP exports; WOD: ragged netCDF and native
ASCII; CCHDO: exchange CSV, zipped collections, netCDF). Each format module answers ``can_read(path)``; the first
that says yes reads the file. A file that no reader of its source claims is reported, never skipped silently.
"""
from __future__ import annotations

import glob
import hashlib
import importlib
import os
from dataclasses import dataclass
from pathlib import Path

# source -> reader modules in the order they are asked (the most specific sniff first)
READERS: dict[str, tuple[str, ...]] = {
    "argo": ("argo_erddap", "argo"),
    "wod": ("wod_ragged", "wod_ascii"),
    "cchdo": ("cchdo_netcdf", "cchdo_exchange"),
    "glodap": ("glodap",),
    "geotraces": ("geotraces",),
}
IGNORED_NAMES = {".DS_Store", "SOURCES.md", "README.md", "README", "manifest.json"}


@dataclass(frozen=True)
class InputFile:
    source: str
    path: str
    size: int
    sha256: str

    @property
    def chunk_id(self) -> str:
        """Stable id of this input's content (+ source): names its outputs, drives re-run skipping."""
        return hashlib.sha256(f"{self.source}:{self.sha256}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Chunk:
    """The unit of work of ingest: one big file, or a group of small files of one source and folder.

    Grouping keeps the per-task overhead (scheduling, Parquet footers) small for the millions of small Argo
    profile files; each chunk's outputs are written by its task alone."""

    source: str
    files: tuple[InputFile, ...]

    @property
    def chunk_id(self) -> str:
        if len(self.files) == 1:
            return self.files[0].chunk_id
        text = ",".join(f.chunk_id for f in self.files)
        return "g" + hashlib.sha256(text.encode()).hexdigest()[:19]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def make_chunks(files: list[InputFile], target_bytes: int = 64 << 20, max_files: int = 200) -> list[Chunk]:
    """Group consecutive small files of the same source and folder, up to ``target_bytes``/``max_files``."""
    chunks, group = [], []

    def flush():
        if group:
            chunks.append(Chunk(group[0].source, tuple(group)))
            group.clear()

    for f in files:
        if group and (f.source != group[0].source or os.path.dirname(f.path) != os.path.dirname(group[0].path)
                      or sum(g.size for g in group) + f.size > target_bytes or len(group) >= max_files):
            flush()
        group.append(f)
    flush()
    return chunks


def reader_module(name: str):
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


def file_sha256(path: str, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def expand(spec: str) -> list[str]:
    """A file, a folder (every file below it, recursively) or a glob → sorted file paths."""
    p = Path(os.path.expanduser(spec))
    if p.is_dir():
        out = [str(q) for q in p.rglob("*") if q.is_file()]
    elif p.is_file():
        out = [str(p)]
    else:
        out = [q for q in glob.glob(os.path.expanduser(spec), recursive=True) if os.path.isfile(q)]
    return sorted(q for q in out if Path(q).name not in IGNORED_NAMES and not Path(q).name.startswith("."))


def discover(sources: dict[str, list[str]]) -> tuple[list[InputFile], list[str]]:
    """All input files with their content hash; and the specs that matched nothing."""
    files, empty = [], []
    seen = set()
    for source in sorted(sources):
        for spec in sources[source]:
            paths = expand(spec)
            if not paths:
                empty.append(f"{source}={spec}")
            for path in paths:
                key = (source, os.path.abspath(path))
                if key in seen:
                    continue
                seen.add(key)
                files.append(InputFile(source, os.path.abspath(path), os.path.getsize(path), file_sha256(path)))
    return files, empty
