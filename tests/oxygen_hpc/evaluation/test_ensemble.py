"""Ensembles in the harness: the members' mean is scored, the spread calibrated on the validation fold only."""
from __future__ import annotations

import numpy as np
import pytest

from oxygen_hpc.evaluation.ensemble import aggregate_seeds, run_ensemble

from .conftest import eval_sets
from .test_osse import TEST, VAL, _mlp_config


@pytest.mark.timeout(300)
def test_two_members_are_averaged_and_their_spread_scored(world):
    import torch

    torch.set_num_threads(1)
    sets = eval_sets(world, 30, VAL, TEST)
    seen = []
    r = run_ensemble(_mlp_config(), world["parts"], sets, VAL, TEST, epochs=1, seeds=[0, 1], batch_size=4,
                     num_workers=0, log=seen.append)
    assert r["members"] == 2 and len(seen) == 2 and len(r["member_results"]) == 2
    m0, m1 = (m["held_out"]["rmse"] for m in r["member_results"])
    assert m0 != m1                                        # the seeds gave different members
    for block in ("held_out", "unobserved"):
        b = r[block]
        assert 0.0 <= b["coverage90"] <= 1.0 and 0.0 <= b["coverage90_raw"] <= 1.0
        assert b["crps"] > 0 and b["crps_members"] > 0 and b["mean_std"] == pytest.approx(r["spread_scale"]
                                                                                        * b["mean_std_raw"])
    assert r["val"]["coverage90"] == pytest.approx(0.9, abs=0.5 / max(r["val"]["n"], 1) + 0.06)


def test_seeds_aggregate_to_mean_and_std():
    res = [{b: {"rmse": v, "mae": v / 2, "r2": 0.9, "mape": 3.0, "n": 5} for b in ("val", "held_out", "unobserved")}
           for v in (10.0, 12.0, 14.0)]
    a = aggregate_seeds(res)
    assert a["seeds"] == 3 and a["held_out"]["rmse"] == 12.0 and a["held_out"]["rmse_std"] == pytest.approx(2.0)
    assert a["unobserved"]["mae_std"] == pytest.approx(1.0) and len(a["per_seed"]) == 3
