"""The verified partition opener: nothing is read before the file matches its manifest entry (size, sha256), once per
file per process; a group or dataset that is not what the manifest says is refused; every error names the file."""
from __future__ import annotations

import json
import os
import pickle

import h5py
import numpy as np
import pytest

from oxygen_contracts import hashing, partitions, schema
from oxygen_contracts.grid import GridSpec
from oxygen_contracts.manifest import MANIFEST, PartitionManifest
from oxygen_contracts.partitions import PartitionError, PartitionFiles, dataset_shapes

GRID = GridSpec(resolution_deg=30.0, depth_levels=(0.0, 100.0), year_start=2000, year_end=2001, zones_lon=2,
                zones_lat=2)
N, E = 5, 6


def _write(root, years=(2000, 2001), drop: str | None = None, n_nodes=N) -> PartitionManifest:
    """A partitions folder by hand: one zone per year with every dataset of the contract (``drop``: one left out)."""
    root.mkdir(exist_ok=True)
    man = {"schema_version": schema.SCHEMA_VERSION, "grid": GRID.to_dict(), "layers": 1,
           "feature_names": ["a", "b"], "meta_names": ["m"], "edge_feature_names": ["d"],
           "normalisation": {"observations": {}}, "files": [], "partitions": []}
    for y in years:
        part = {"year": y, "zone": 0, "n_nodes": N, "n_owned": 4, "n_edges": E, "n_labelled": 0}
        path = root / schema.year_file(y)
        with h5py.File(path, "w") as f:
            f.attrs["schema_version"] = schema.SCHEMA_VERSION
            g = f.create_group(schema.zone_group(0))
            for k, shape in dataset_shapes(man, part).items():
                if k != drop:
                    g[k] = np.full(shape, y, np.int32 if k == "edge_index" else np.float32)
        man["files"].append({"year": y, "file": path.name, "sha256": hashing.sha256_file(path),
                             "bytes": path.stat().st_size, "n_obs_rows": 0, "n_obs_used": 0})
        man["partitions"].append({**part, "n_nodes": n_nodes})
    (root / MANIFEST).write_text(json.dumps(man))
    return PartitionManifest.read(root)


@pytest.fixture
def hashes(monkeypatch):
    """Counts sha256 computations of partition files."""
    calls = []
    real = partitions.sha256_file
    monkeypatch.setattr(partitions, "sha256_file", lambda p: calls.append(p) or real(p))
    return calls


def test_reads_verified_data_hashing_each_file_once_per_process(tmp_path, hashes):
    files = PartitionFiles(_write(tmp_path / "p"))
    a = files.read(2001, 0, ["x", "edge_index"])
    assert a["x"].shape == (N, 2) and (a["x"] == 2001).all() and a["edge_index"].shape == (2, E)
    files.read(2001, 0, ["y"]), files.verify(), files.close()
    again = PartitionFiles(PartitionManifest.read(tmp_path / "p"))
    again.read(2000, 0, ["x"])
    assert len(hashes) == 2                               # 2001, then 2000: never the same file twice


def test_a_worker_gets_what_was_verified_and_no_handles(tmp_path, hashes):
    files = PartitionFiles(_write(tmp_path / "p"))
    files.read(2000, 0, ["x"])
    blob = pickle.dumps(files)
    partitions._VERIFIED.clear(), partitions._SOUND.clear()     # as in a fresh (spawned) worker process
    worker = pickle.loads(blob)
    assert worker._files == {} and (worker.read(2000, 0, ["x"])["x"] == 2000).all()
    assert len(hashes) == 1 and len(partitions._SOUND) == 1


@pytest.mark.parametrize("damage, match", [
    ("edit", "sha256 does not match the manifest"),
    ("truncate", "size"),
    ("delete", "missing"),
])
def test_a_damaged_file_is_refused_before_reading_naming_it(tmp_path, damage, match):
    man = _write(tmp_path / "p")
    path = tmp_path / "p" / "year=2001.h5"
    if damage == "edit":
        with h5py.File(path, "r+") as f:
            f["zone=00/x"][0, 0] = -1.0
    elif damage == "truncate":
        path.write_bytes(path.read_bytes()[:-7])
    else:
        path.unlink()
    files = PartitionFiles(man)
    files.read(2000, 0, ["x"])                            # the other file is fine
    with pytest.raises(PartitionError, match=match) as e:
        files.read(2001, 0, ["x"])
    assert str(e.value).startswith(f"{path}: ")


def test_a_file_changed_after_it_was_verified_is_hashed_again(tmp_path):
    man = _write(tmp_path / "p")
    path = tmp_path / "p" / "year=2000.h5"
    PartitionFiles(man).verify([2000])
    b = bytearray(path.read_bytes())
    b[-1] ^= 1
    path.write_bytes(bytes(b))
    os.utime(path, ns=(1, 1))                             # a new signature even within the clock's resolution
    with pytest.raises(PartitionError, match="sha256"):
        PartitionFiles(man).verify([2000])


def test_a_manifest_that_lies_about_a_partition_is_refused(tmp_path):
    files = PartitionFiles(_write(tmp_path / "p", n_nodes=N + 1))
    with pytest.raises(PartitionError, match=r"year=2000.h5: zone=00/x: shape \(5, 2\) != \(6, 2\)"):
        files.read(2000, 0, ["x"])
    with pytest.raises(PartitionError, match="zone=03: not a partition"):
        files.read(2000, 3, ["x"])


def test_a_dataset_missing_from_a_genuine_file_is_named(tmp_path):
    files = PartitionFiles(_write(tmp_path / "p", drop="meta"))
    with pytest.raises(PartitionError, match="year=2000.h5: zone=00/meta: dataset missing"):
        files.read(2000, 0, ["x", "meta"])
