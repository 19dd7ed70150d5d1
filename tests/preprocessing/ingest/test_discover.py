"""Discovery and chunk ids: a chunk id names its staged outputs, so it must differ for two inputs even when their
bytes are identical, and stay the same for the same input on a re-run (staging reuse)."""
from __future__ import annotations

import shutil

from preprocessing.ingest.discover import discover, make_chunks
from tests.fixtures import REAL_DATA

FILE = REAL_DATA / "cchdo" / "64PE20050907_hy1.csv"


def test_identical_files_in_two_folders_get_different_chunk_ids(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(FILE, tmp_path / sub / FILE.name)
    files, _ = discover({"cchdo": [str(tmp_path / "a"), str(tmp_path / "b")]})
    assert len(files) == 2 and files[0].sha256 == files[1].sha256
    assert files[0].chunk_id != files[1].chunk_id
    chunks = make_chunks(files)
    assert len({c.chunk_id for c in chunks}) == len(chunks) == 2


def test_chunk_id_is_stable_for_the_same_input_and_changes_with_its_content(tmp_path):
    shutil.copy(FILE, tmp_path / FILE.name)
    first = discover({"cchdo": [str(tmp_path)]})[0][0].chunk_id
    assert discover({"cchdo": [str(tmp_path)]})[0][0].chunk_id == first
    with open(tmp_path / FILE.name, "a") as fh:
        fh.write("# one more comment line\n")
    assert discover({"cchdo": [str(tmp_path)]})[0][0].chunk_id != first


def test_same_file_given_as_two_sources_gets_two_ids(tmp_path):
    files, _ = discover({"cchdo": [str(FILE)], "glodap": [str(FILE)]})
    assert len(files) == 2 and files[0].chunk_id != files[1].chunk_id
