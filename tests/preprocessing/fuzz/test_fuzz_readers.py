"""Fuzz: every reader (through the ingest routing) on seeded mutations of real and small synthetic files.

For every case (:mod:`tests.preprocessing.fuzz.mutate`): no exception escapes except the project's own
``ReaderError``; the error or every problem names the file; every value a reader returns carries a known reason
(so ingest counts it: read = accepted + Σ rejected) and an accepted value is a finite number; and damage the format
makes detectable ends in an error or a problem — what makes ``oxygen-hpc ingest --strict`` fail. Reading goes the
way the ingest stage goes: ``route`` → (``iter_read`` | ``read``) → common QC → the staged Arrow table.
"""
from __future__ import annotations

import numpy as np
import pytest

from oxygen_contracts.schema import REASON_CODES, VARIABLES
from preprocessing.ingest.config import IngestConfig
from preprocessing.ingest.discover import InputFile
from preprocessing.ingest.qc import apply_qc
from preprocessing.ingest import stage
from preprocessing.readers.base import ReaderError
from preprocessing.readers.registry import route
from tests.preprocessing.fuzz.mutate import cases

CASES = cases()
CFG = IngestConfig()


def violations(source: str, path, expect_unclean: bool) -> list[str]:
    """What the reading of one damaged file does wrong (empty: nothing)."""
    name, out = path.name, []
    mod = route(source, str(path))
    if mod is None:                               # ingest records the file as failed with this message
        msg = stage.unrecognised(source, str(path), CFG)
        return [] if str(path) in msg else [f"unrecognised: message does not name the file: {msg[:200]}"]
    f = InputFile(source, str(path), path.stat().st_size, "0" * 64)
    problems = []
    try:
        for rows, probs, lost in stage._iter_frames(mod, str(path), CFG):
            problems += probs
            for v, n in lost.items():
                if v not in VARIABLES or int(n) < 0:
                    out.append(f"lost_values {v}={n}")
            if not rows.empty:
                rows = apply_qc(rows, CFG.qc)
                stage._to_arrow(rows, f)
                stage.cast_summary(rows, source, "c", str(path))
                out += _reason_violations(rows)
    except ReaderError as e:
        return out + ([] if name in str(e) else [f"error does not name the file: {e}"])
    except Exception as e:                        # noqa: BLE001 - the point: nothing else may escape
        return out + [f"escaped {type(e).__name__}: {str(e)[:200]}"]
    out += [f"problem does not name the file: {p}" for p in problems if name not in str(p)]
    if expect_unclean and not problems:
        out.append("damage not reported: read as clean (--strict would pass)")
    return out


def _reason_violations(rows) -> list[str]:
    out = []
    for v in VARIABLES:
        reasons = rows[v + "_reason"].astype(str).to_numpy()
        known = np.isin(reasons, list(REASON_CODES)) | np.char.startswith(reasons.astype(str), "source_flag:")
        if not known.all():
            out.append(f"{v}: unknown reasons {sorted(set(reasons[~known]))[:3]}")
        good = rows[v].to_numpy(float)[reasons == ""]
        if not np.isfinite(good).all():
            out.append(f"{v}: accepted value not finite")
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_damaged_file_is_read_or_refused_by_name_and_accounted(case, fuzz_files):
    path, unclean = fuzz_files(case)
    assert violations(case.seed.source, path, unclean) == []


def test_cases_cover_every_reader_and_every_kind_of_damage():
    from preprocessing.readers.registry import READERS

    kinds = {c.op for c in CASES}
    assert kinds == {"cut", "flip", "badbyte", "number", "absurd_text", "repeat_header", "drop", "absurd"}
    assert {c.seed.source for c in CASES} == set(READERS)
    assert len(CASES) >= 200
