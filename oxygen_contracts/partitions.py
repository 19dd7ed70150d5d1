"""The one verified opener of HDF5 partition files, shared by the training dataset, inference and ``check``.

Nothing is read from ``year=YYYY.h5`` before the file is checked against its ``manifest.json`` entry: the size,
then the sha256 the partitioner recorded, so what is read is byte for byte what ``oxygen-hpc partition`` wrote (an
edited value, a flipped byte, a truncated or a foreign file all fail here), then its structure: every partition
the manifest lists for it is a group holding the contract's datasets with the shapes the manifest's counts give
(HDF5 metadata of ``x``, ``meta`` and ``edge_attr``, whose shapes carry every count; a manifest that lies about a
partition fails too; the other datasets' shapes are checked as they are read). Once per file per process: a file
that passed is remembered by its stat signature (device, inode, size, mtime, ctime), which a forked or unpickled
DataLoader worker inherits, so workers do not check again; a file changed afterwards is checked again. Every
failure is a :class:`PartitionError` whose message names the file (and the group).

Cost, once per process (docs/architecture.md "HDF5 partitions"): reading and hashing every byte (sha256 with
SHA-NI: about 1 GB/s of one core) plus ~10 ms of HDF5 metadata per file.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from oxygen_contracts import schema
from oxygen_contracts.hashing import sha256_file
from oxygen_contracts.manifest import PartitionManifest

_VERIFIED: dict[tuple, str] = {}     # stat signature of a file whose bytes matched its manifest entry -> sha256
_SOUND: set[tuple] = set()           # (stat signature, the manifest's counts of its partitions) that matched
STRUCTURE = ("x", "meta", "edge_attr")   # their shapes carry every count: nodes, edges, feature widths


class PartitionError(ValueError):
    """A partition file that is missing, damaged, edited or not what its manifest says (the message names it)."""


def dataset_shapes(man: PartitionManifest | dict, part: dict) -> dict[str, tuple]:
    """The contract's shape of every dataset of one partition (``part``: a manifest ``partitions`` row)."""
    n, e, L = int(part["n_nodes"]), int(part["n_edges"]), schema.SERIES_LEN
    f, m, d = len(man["feature_names"]), len(man["meta_names"]), len(man["edge_feature_names"])
    return {"x": (n, f), "meta": (n, m), "series": (n, L), "series_mask": (n, L), "series_fold": (n, L),
            "y": (n,), "y_count": (n,), "fold": (n,), "nutrients": (n, 2), "nutrients_fold": (n,), "cell": (n,),
            "owned": (n,), "edge_index": (2, e), "edge_attr": (e, d)}


def _signature(path: Path) -> tuple:
    st = os.stat(path)
    return (str(path.resolve()), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def structure_problems(f, man: PartitionManifest | dict, parts: Sequence[dict],
                       names: Sequence[str] = STRUCTURE) -> list[str]:
    """Groups and the shapes of datasets ``names`` of the open HDF5 file ``f`` against the manifest rows ``parts``
    of its year."""
    problems = []
    for p in parts:
        name = schema.zone_group(p["zone"])
        try:
            if name not in f:
                problems.append(f"{name}: group missing")
                continue
            g = f[name]
            problems += [f"{name}/{k}: dataset missing" if k not in g else
                         f"{name}/{k}: shape {g[k].shape} != {shape} from the manifest"
                         for k, shape in dataset_shapes(man, p).items()
                         if k in names and (k not in g or g[k].shape != shape)]
        except Exception as e:                   # noqa: BLE001 (damaged HDF5 metadata)
            problems.append(f"{name}: unreadable ({type(e).__name__}: {_first_line(e)})")
    return problems


def file_problems(path: str | Path, entry: dict) -> list[str]:
    """What is wrong with ``path`` against its manifest ``files`` entry (``[]``: verified, remembered)."""
    path = Path(path)
    if not path.is_file():
        return ["missing"]
    try:
        sig = _signature(path)
        if _VERIFIED.get(sig) == entry["sha256"]:
            return []
        if sig[3] != entry["bytes"]:           # no need to hash: it cannot be the file that was written
            return [f"size {sig[3]} != manifest {entry['bytes']} bytes (truncated or replaced)"]
        digest = sha256_file(path)
    except OSError as e:
        return [f"cannot read ({e.strerror or e})"]
    if digest != entry["sha256"]:
        return ["sha256 does not match the manifest (changed after `oxygen-hpc partition` wrote it)"]
    _VERIFIED[sig] = digest
    return []


class PartitionFiles:
    """Verified, lazily opened partition files of one manifest, private to a process: handles are dropped when
    pickled (to a DataLoader worker) and re-opened after a fork; what was verified travels along.

    Args:
        manifest: the validated manifest of the partitions folder.
    """

    def __init__(self, manifest: PartitionManifest):
        self.manifest = manifest
        self.root = manifest.root
        self._entries = {int(e["year"]): e for e in manifest.files}
        self._parts = {(int(p["year"]), int(p["zone"])): p for p in manifest.partitions}
        self._files: dict = {}
        self._pid = os.getpid()
        self._by_year: dict[int, list[dict]] = {y: [] for y in self._entries}
        for (y, _), p in sorted(self._parts.items()):
            self._by_year.setdefault(y, []).append(p)
        d = (len(manifest["feature_names"]), len(manifest["meta_names"]), len(manifest["edge_feature_names"]))
        self._counts = {y: (d, tuple((int(p["zone"]), int(p["n_nodes"]), int(p["n_edges"])) for p in ps))
                        for y, ps in self._by_year.items()}

    def path(self, year: int) -> Path:
        return self.root / schema.year_file(year)

    def verify(self, years: Iterable[int] | None = None) -> None:
        """Raise :class:`PartitionError` naming the first file of ``years`` (default all) that fails: size and
        sha256 against the manifest, then its groups and dataset shapes."""
        for y in sorted(self._entries if years is None else {int(y) for y in years}):
            if y not in self._entries:
                raise PartitionError(f"{self.path(y)}: not listed in {self.manifest.path}")
            problems = file_problems(self.path(y), self._entries[y])
            if not problems:
                key = (_signature(self.path(y)), self._counts[y])
                if key not in _SOUND:
                    problems = self._structure(y)
                    if not problems:
                        _SOUND.add(key)
            if problems:
                raise PartitionError(f"{self.path(y)}: {'; '.join(problems[:3])}. Run `oxygen-hpc check "
                                     f"{self.root}` for every damaged file; `oxygen-hpc partition` rewrites them")

    def _structure(self, year: int) -> list[str]:
        """Structure problems of ``year``'s file, opened only for this (no handle is kept: a DataLoader forked
        later must not inherit open HDF5 files)."""
        import h5py

        try:
            with h5py.File(self.path(year), "r") as f:
                return structure_problems(f, self.manifest, self._by_year[year])
        except Exception as e:                   # noqa: BLE001
            return [f"cannot read as HDF5 ({_first_line(e)})"]

    def _open(self, year: int):
        import h5py

        if self._pid != os.getpid():            # forked: the parent's handles are not ours
            self._files, self._pid = {}, os.getpid()
        if year not in self._files:
            try:
                self._files[year] = h5py.File(self.path(year), "r")
            except Exception as e:               # noqa: BLE001 (h5py raises OSError, RuntimeError, KeyError)
                raise PartitionError(f"{self.path(year)}: cannot open as HDF5 ({_first_line(e)})") from None
        return self._files[year]

    def file(self, year: int):
        """The open HDF5 file of ``year``, verified first (once per process: after that a stat)."""
        if year not in self._files or self._pid != os.getpid():
            self.verify([year])
        return self._open(year)

    def read(self, year: int, zone: int, names: Sequence[str]) -> dict[str, np.ndarray]:
        """The datasets ``names`` of partition (year, zone), each checked against the manifest's shape."""
        part = self._parts.get((int(year), int(zone)))
        where = f"{self.path(year)}: {schema.zone_group(zone)}"
        if part is None:
            raise PartitionError(f"{where}: not a partition of {self.manifest.path}")
        shapes = dataset_shapes(self.manifest, part)
        f = self.file(year)
        out = {}
        try:
            g = f[schema.zone_group(zone)]
            for k in names:
                if k not in g:
                    raise PartitionError(f"{where}/{k}: dataset missing")
                a = g[k][()]
                if k in shapes and a.shape != shapes[k]:
                    raise PartitionError(f"{where}/{k}: shape {a.shape} != {shapes[k]} from the manifest")
                out[k] = a
        except PartitionError:
            raise
        except Exception as e:                   # noqa: BLE001
            raise PartitionError(f"{where}: unreadable ({type(e).__name__}: {_first_line(e)})") from None
        return out

    def close(self) -> None:
        for f in self._files.values():
            f.close()
        self._files = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_files"] = {}
        here = str(self.root.resolve())
        state["_verified"] = {s: h for s, h in _VERIFIED.items() if str(Path(s[0]).parent) == here}
        state["_sound"] = {k for k in _SOUND if str(Path(k[0][0]).parent) == here}
        return state

    def __setstate__(self, state):
        _VERIFIED.update(state.pop("_verified", {}))
        _SOUND.update(state.pop("_sound", set()))
        self.__dict__.update(state)


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
