"""The fuzz cases' files, written once per session (a case's file depends on its id only)."""
from __future__ import annotations

import pytest

from tests.preprocessing.fuzz.mutate import materialize


class FuzzFiles:
    """case → (path, expect_unclean), materialized on first use under one folder per source and case."""

    def __init__(self, root):
        self.root, self.made = root, {}

    def __call__(self, case):
        if case.id not in self.made:
            self.made[case.id] = materialize(case, self.root / case.seed.source / case.id, self.root)
        return self.made[case.id]


@pytest.fixture(scope="session")
def fuzz_files(tmp_path_factory):
    return FuzzFiles(tmp_path_factory.mktemp("fuzz"))
