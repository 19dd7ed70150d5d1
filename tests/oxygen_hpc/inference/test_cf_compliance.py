"""The reconstruction files pass the IOOS compliance-checker's CF 1.8 suite with nothing to report (errors or
warnings), for one model, for an ensemble (``o2_std``) and for an ensemble with its members (``o2_member``)."""
from __future__ import annotations

from tests.fixtures.cf import cf_findings

from .infer_util import YEARS, predict


def test_predict_output_passes_cf_1_8(reference, infer_parts, ckpts, tmp_path):
    ens = tmp_path / "ens"
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", ens, "--years",
                   f"{YEARS[0]}:{YEARS[0]}") == 0
    members = tmp_path / "members"
    assert predict("--partitions", infer_parts, "--checkpoint", *ckpts, "--out", members, "--years",
                   f"{YEARS[0]}:{YEARS[0]}", "--write-members") == 0
    for path in (reference / f"o2_{YEARS[0]}.nc", ens / f"o2_{YEARS[0]}.nc", members / f"o2_{YEARS[0]}.nc"):
        found = cf_findings(path)
        assert found == {"high": [], "medium": [], "low": [], "checker_errors": []}, (path, found)
