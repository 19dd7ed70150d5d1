"""`oxygen-hpc check` on damaged partitions: every file is checked, every bad one is named, nothing crashes, and an
unfinished manifest is not "good" (issue 16, item 6)."""
from __future__ import annotations

import json
import shutil

import pytest

from preprocessing.partition import check
from tests.fixtures import toy


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    return toy.partitions(tmp_path_factory.mktemp("check"), years=(2000, 2003), store_years=(1998, 2005))


def _copy(parts, tmp_path, name="p"):
    d = tmp_path / name
    shutil.copytree(parts, d)
    return d


def _flip(path, offset: int, n: int = 8) -> None:
    b = bytearray(path.read_bytes())
    for i in range(offset, min(offset + n, len(b))):
        b[i] ^= 0xFF
    path.write_bytes(bytes(b))


@pytest.mark.parametrize("offset", range(512, 8192, 512))
def test_byte_corrupted_metadata_is_reported_and_the_other_files_still_checked(parts, tmp_path, capsys, offset):
    """Flipped bytes in the HDF5 metadata (object headers, B-trees, heaps) made h5py raise KeyError/RuntimeError,
    which stopped `check` with a traceback before the remaining files."""
    d = _copy(parts, tmp_path)
    _flip(d / "year=2001.h5", offset)
    _flip(d / "year=2002.h5", offset + 100)
    capsys.readouterr()
    assert check.main([str(d)]) == 1
    out = capsys.readouterr().out
    assert f"BAD {d / 'year=2001.h5'}:" in out and f"BAD {d / 'year=2002.h5'}:" in out
    assert "year=2000.h5" not in out and "year=2003.h5" not in out
    assert "check: 2 of 4 files good, 2 bad" in out


def test_every_damage_is_named_in_one_run(parts, tmp_path, capsys):
    d = _copy(parts, tmp_path)
    (d / "year=2000.h5").write_bytes((d / "year=2000.h5").read_bytes()[:4000])      # truncated
    (d / "year=2001.h5").write_bytes(b"\0" * (d / "year=2001.h5").stat().st_size)  # not HDF5 at all
    (d / "year=2003.h5").unlink()
    capsys.readouterr()
    assert check.main([str(d)]) == 1
    out = capsys.readouterr().out
    for y, what in ((2000, "size"), (2001, "sha256"), (2003, "missing")):
        assert any(line.startswith(f"BAD {d / f'year={y}.h5'}:") and what in line for line in out.splitlines()), y
    assert "year=2002.h5" not in out


def test_an_unfinished_manifest_fails_saying_so(parts, tmp_path, capsys):
    d = _copy(parts, tmp_path)
    m = json.loads((d / "manifest.json").read_text())
    m["complete"] = False
    (d / "manifest.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert check.main([str(d)]) != 0
    out = capsys.readouterr().out
    assert "did not finish" in out and "manifest.json" in out
    assert "4 of 4 files good" in out                          # the files themselves were still checked


@pytest.mark.parametrize("edit, match", [
    (lambda m: m["files"][1].update(bytes="many"), "bytes"),
    (lambda m: m["files"][1].update(file="../../etc/passwd"), "file"),
    (lambda m: m["files"].pop(2), "no file entry"),
    (lambda m: m.pop("partitions"), "missing partitions"),
])
def test_a_bad_manifest_is_one_named_failure(parts, tmp_path, capsys, edit, match):
    d = _copy(parts, tmp_path)
    m = json.loads((d / "manifest.json").read_text())
    edit(m)
    (d / "manifest.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert check.main([str(d)]) == 1
    out = capsys.readouterr().out
    assert f"BAD {d / 'manifest.json'}:" in out and match in out
