"""The one reader of a partitions folder's ``manifest.json`` (written by ``preprocessing.partition.manifest``).

Every consumer of partitions — the training dataset and datamodule, inference, the OSSE tables, ``check`` — opens
the folder through :meth:`PartitionManifest.read`, which validates before anything is used: the file exists and is
a JSON object, it has every key of the contract, its ``schema_version`` is this code's, the partitioning finished
(``complete`` is not false; ``check`` may ask to see an unfinished one) and its ``grid`` is a valid
:class:`~oxygen_contracts.grid.GridSpec`, and the values consumers index, hash or open have the right type and
range (counts are non-negative integers, ``file`` is ``year=YYYY.h5`` so nothing outside the folder is opened,
``sha256`` is 64 hex digits, every partition's year has one file entry). A bad manifest raises
:class:`ManifestError`, whose message names the file. The files themselves are verified against it by
:mod:`oxygen_contracts.partitions`.
"""
from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

from oxygen_contracts import schema
from oxygen_contracts.config import ConfigError
from oxygen_contracts.grid import GridSpec
from oxygen_contracts.hashing import sha256_file

MANIFEST = "manifest.json"
# Keys every manifest carries (docs/architecture.md, "HDF5 partitions").
REQUIRED_KEYS = ("schema_version", "grid", "layers", "feature_names", "meta_names", "edge_feature_names",
                 "normalisation", "files", "partitions")
FILE_KEYS = ("year", "file", "sha256", "bytes", "n_obs_rows", "n_obs_used")
PART_KEYS = ("year", "zone", "n_nodes", "n_owned", "n_edges", "n_labelled")


class ManifestError(ValueError):
    """A partitions folder whose manifest is missing, unreadable or not this code's contract."""


def _count(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _shape_problem(data: dict, n_zones: int) -> str | None:
    """The first value of the wrong type or out of range (what consumers index, hash or open), else None."""
    for key in ("feature_names", "meta_names", "edge_feature_names"):
        if not isinstance(data[key], list) or not all(isinstance(n, str) for n in data[key]):
            return f"'{key}' must be a list of names"
    if not _count(data["layers"]):
        return f"'layers' must be a count, got {data['layers']!r}"
    norm = data["normalisation"]
    if not isinstance(norm, dict) or not isinstance(norm.get("observations"), dict):
        return "'normalisation.observations' must be an object"
    years = set()
    for i, f in enumerate(data["files"]):
        if not all(_count(f[k]) for k in ("year", "bytes", "n_obs_rows", "n_obs_used")):
            return f"files[{i}]: year, bytes, n_obs_rows and n_obs_used must be counts ({f})"
        if f["file"] != schema.year_file(f["year"]):      # also: no path outside the folder
            return f"files[{i}]: file {f['file']!r} must be {schema.year_file(f['year'])!r}"
        if not (isinstance(f["sha256"], str) and len(f["sha256"]) == 64
                and all(c in "0123456789abcdef" for c in f["sha256"])):
            return f"files[{i}]: sha256 must be 64 lower-case hex digits"
        if f["year"] in years:
            return f"files[{i}]: year {f['year']} listed twice"
        years.add(f["year"])
    seen = set()
    for i, p in enumerate(data["partitions"]):
        if not all(_count(p[k]) for k in PART_KEYS):
            return f"partitions[{i}]: {', '.join(PART_KEYS)} must be counts ({p})"
        if p["zone"] >= n_zones or p["n_owned"] > p["n_nodes"] or p["n_labelled"] > p["n_owned"]:
            return f"partitions[{i}]: zone or counts out of range ({p})"
        if p["year"] not in years:
            return f"partitions[{i}]: year {p['year']} has no file entry in 'files'"
        if (p["year"], p["zone"]) in seen:
            return f"partitions[{i}]: year {p['year']} zone {p['zone']} listed twice"
        seen.add((p["year"], p["zone"]))
    return None


class PartitionManifest:
    """A validated ``manifest.json``. ``data`` is the parsed JSON; the properties are what consumers use.

    Args:
        root: the partitions folder (``manifest.json`` + ``year=YYYY.h5``).
        data: the parsed manifest (use :meth:`read`, which validates it).
    """

    def __init__(self, root: str | Path, data: dict):
        self.root = Path(root)
        self.data = data

    @classmethod
    def read(cls, root: str | Path, require_complete: bool = True) -> "PartitionManifest":
        root = Path(root)
        path = root / MANIFEST
        if not path.is_file():
            raise ManifestError(f"{path}: no partition manifest (run `oxygen-hpc partition` first)")
        try:
            data = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ManifestError(f"{path}: not readable as JSON ({e})") from None
        if not isinstance(data, dict):
            raise ManifestError(f"{path}: top level must be a JSON object")
        missing = [k for k in REQUIRED_KEYS if k not in data]
        if missing:
            raise ManifestError(f"{path}: not a partition manifest (missing {', '.join(missing)})")
        if data["schema_version"] != schema.SCHEMA_VERSION:
            raise ManifestError(f"{path}: schema_version {data['schema_version']} != {schema.SCHEMA_VERSION} "
                                "(partitions written by another version; run `oxygen-hpc partition` again)")
        if require_complete and not data.get("complete", True):
            raise ManifestError(f"{path}: partitioning did not finish (manifest.json says complete: false); "
                                "run `oxygen-hpc partition` again to complete it")
        for key, want in (("files", FILE_KEYS), ("partitions", PART_KEYS)):
            rows = data[key]
            if not isinstance(rows, list) or any(not isinstance(r, dict) or any(k not in r for k in want)
                                                 for r in rows):
                raise ManifestError(f"{path}: '{key}' must be a list of objects with {', '.join(want)}")
        m = cls(root, data)
        try:
            m.grid
        except ConfigError as e:
            raise ManifestError(f"{path}: {e}") from None
        problem = _shape_problem(data, m.grid.n_zones)
        if problem:
            raise ManifestError(f"{path}: {problem}")
        return m

    # -- what consumers use ------------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.root / MANIFEST

    def __getitem__(self, key: str):
        return self.data[key]

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    @cached_property
    def grid(self) -> GridSpec:
        return GridSpec.from_dict(self.data["grid"])

    @property
    def complete(self) -> bool:
        return bool(self.data.get("complete", True))

    @property
    def layers(self) -> int:
        return int(self.data["layers"])

    @property
    def feature_names(self) -> list[str]:
        return list(self.data["feature_names"])

    @property
    def partitions(self) -> list[dict]:
        return self.data["partitions"]

    @property
    def files(self) -> list[dict]:
        return self.data["files"]

    @property
    def years(self) -> list[int]:
        return sorted({int(p["year"]) for p in self.partitions})

    @property
    def observation_norm(self) -> dict:
        return self.data["normalisation"]["observations"]

    @property
    def dims(self) -> dict:
        """Feature dimensions a model needs: ``in_features``, ``meta_features``, ``edge_features``, ``n_zones``."""
        return {"in_features": len(self.data["feature_names"]), "meta_features": len(self.data["meta_names"]),
                "edge_features": len(self.data["edge_feature_names"]), "n_zones": self.grid.n_zones}

    def labelled(self) -> dict[tuple[int, int], int]:
        """Labelled nodes (all folds) per (year, zone)."""
        return {(int(p["year"]), int(p["zone"])): int(p.get("n_labelled", 0)) for p in self.partitions}

    def zones_by_year(self, years=None) -> dict[int, list[int]]:
        """{year: sorted zones} of the partitions, optionally only ``years``."""
        ys = None if years is None else {int(y) for y in years}
        out: dict[int, list[int]] = {}
        for p in self.partitions:
            if ys is None or int(p["year"]) in ys:
                out.setdefault(int(p["year"]), []).append(int(p["zone"]))
        return {y: sorted(z) for y, z in sorted(out.items())}

    def file_path(self, year: int) -> Path:
        return self.root / schema.year_file(year)

    def sha256(self) -> str:
        """sha256 of ``manifest.json`` itself (provenance of what was read)."""
        return sha256_file(self.path)
