"""PartitionDataset reads only verified partitions (the shared opener): an edited or damaged file stops it when it
is built, naming the file; verification happens once per file per process, and workers inherit it (issue 16,
item 7)."""
from __future__ import annotations

import json
import shutil

import h5py
import pytest
import torch

from oxygen_contracts import partitions
from oxygen_contracts.manifest import ManifestError
from oxygen_contracts.partitions import PartitionError
from oxygen_hpc.data.dataset import PartitionDataset


def _copy(root, tmp_path):
    d = tmp_path / "parts"
    shutil.copytree(root, d)
    return d


def test_an_edited_partition_stops_the_dataset_when_built(root, tmp_path):
    d = _copy(root, tmp_path)
    with h5py.File(d / "year=2001.h5", "r+") as f:
        f["zone=02/y"][0] = 999.0
    with pytest.raises(PartitionError, match="sha256") as e:
        PartitionDataset(d)
    assert str(e.value).startswith(f"{d / 'year=2001.h5'}: ")
    assert len(PartitionDataset(d, years=[2000, 2002])) > 0          # the other years are still usable


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage manifest", "incomplete manifest"])
def test_damaged_inputs_name_the_file(root, tmp_path, damage):
    d = _copy(root, tmp_path)
    if damage == "truncate":
        (d / "year=2002.h5").write_bytes((d / "year=2002.h5").read_bytes()[:1000])
    elif damage == "delete":
        (d / "year=2002.h5").unlink()
    elif damage == "garbage manifest":
        (d / "manifest.json").write_bytes(b"\x89PNG\0\0")
    else:
        m = json.loads((d / "manifest.json").read_text())
        (d / "manifest.json").write_text(json.dumps({**m, "complete": False}))
    with pytest.raises((PartitionError, ManifestError)) as e:
        PartitionDataset(d)
    assert str(d) in str(e.value)


def _hashing_forbidden(worker_id: int) -> None:
    def refuse(path):
        raise AssertionError(f"worker {worker_id} hashed {path} again")

    partitions.sha256_file = refuse


def test_each_file_is_hashed_once_per_process_and_workers_do_not_hash_again(root, tmp_path, monkeypatch):
    d = _copy(root, tmp_path)
    calls = []
    real = partitions.sha256_file
    monkeypatch.setattr(partitions, "sha256_file", lambda p: calls.append(p) or real(p))
    ds = PartitionDataset(d, stage="predict")
    PartitionDataset(d, stage="validate", val_fold=0, test_fold=1)    # the datamodule builds several
    assert sorted(p.name for p in calls) == ["year=2000.h5", "year=2001.h5", "year=2002.h5"]
    loader = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=1, worker_init_fn=_hashing_forbidden,
                                         multiprocessing_context="spawn")    # a fresh process: no inherited cache
    assert sum(int(b.num_nodes) for b in loader) == sum(int(ds[i].num_nodes) for i in range(len(ds)))
    assert len(calls) == 3
