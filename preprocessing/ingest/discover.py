"""Find input files (with their content hash) and group them into chunks, the unit of work of ingest.

Which reader reads a file is decided per file by :func:`preprocessing.readers.registry.route` (the source's reader
modules, in :data:`~preprocessing.readers.registry.READERS` order, asked ``can_read``).
"""
from __future__ import annotations

import glob
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

IGNORED_NAMES = {".DS_Store", "SOURCES.md", "README.md", "README", "manifest.json"}


@dataclass(frozen=True)
class InputFile:
    source: str
    path: str
    size: int
    sha256: str

    @property
    def chunk_id(self) -> str:
        """Stable id of this input — source, path and content: names its outputs, drives re-run skipping (the same
        file unchanged reuses its staging; changed, it is staged again). The path is part of it: identical files in
        two folders are two inputs with their own outputs and report entries (their staged rows name their file)."""
        return hashlib.sha256(f"{self.source}:{self.path}:{self.sha256}".encode()).hexdigest()[:20]


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
