"""Duplicate casts across and within sources (hand-built cast summaries and rows)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from preprocessing.ingest.config import DuplicateConfig
from preprocessing.ingest.dedup import find_duplicates, mark_duplicates
from oxygen_contracts.schema import VARIABLES


def casts(rows):
    df = pd.DataFrame(rows, columns=["cast_id", "source", "chunk", "time", "lat", "lon", "depths"])
    df["file"] = df["chunk"] + ".nc"
    df["time"] = pd.to_datetime(df["time"], utc=True)
    for v in VARIABLES:
        df[f"n_{v}"] = df["depths"].map(len)
    return df


def test_cross_source_copy_is_rejected_in_the_lower_priority_source():
    c = casts([
        ("c1", "cchdo", "A", "2001-05-01 10:00", 10.0, -30.0, [10.0, 50.0, 100.0]),
        ("w1", "wod", "B", "2001-05-01 10:20", 10.004, -30.003, [10.0, 50.0, 100.0, 500.0]),
        ("w2", "wod", "B", "2001-05-01 10:20", 12.0, -30.0, [10.0]),          # too far: kept
        ("g1", "glodap", "C", "2001-05-03 10:00", 10.0, -30.0, [10.0]),       # two days later: kept
    ])
    d = find_duplicates(c, 2001, DuplicateConfig())
    assert set(d) == {"B"}
    assert d["B"] == [("w1", 10.0, None, "B.nc"), ("w1", 50.0, None, "B.nc"), ("w1", 100.0, None, "B.nc")]


def test_priority_order_decides_the_winner():
    c = casts([("c1", "cchdo", "A", "2001-05-01", 0, 0, [5.0]), ("w1", "wod", "B", "2001-05-01", 0, 0, [5.0])])
    d = find_duplicates(c, 2001, DuplicateConfig(priority=("wod", "cchdo", "glodap", "geotraces", "argo")))
    assert set(d) == {"A"}


def test_too_few_shared_levels_is_not_a_duplicate():
    c = casts([("c1", "cchdo", "A", "2001-05-01", 0, 0, [5.0]),
               ("w1", "wod", "B", "2001-05-01", 0, 0, [5.0, 100.0, 200.0, 300.0])])
    assert find_duplicates(c, 2001, DuplicateConfig()) == {}


def test_casts_of_another_year_are_not_reported_by_this_year():
    c = casts([("c1", "cchdo", "A", "2001-12-31 23:50", 0, 0, [5.0]),
               ("w1", "wod", "B", "2002-01-01 00:10", 0, 0, [5.0])])
    assert find_duplicates(c, 2001, DuplicateConfig()) == {}
    assert set(find_duplicates(c, 2002, DuplicateConfig())) == {"B"}


def test_same_cast_in_two_files_of_one_source_is_split_per_variable():
    c = casts([("argo:1:1:A", "argo", "R", "2010-01-01", 0, 0, [5.0]),
               ("argo:1:1:A", "argo", "BR", "2010-01-01", 0, 0, [5.0])])
    c.loc[0, "n_oxygen"] = 0           # core file: no oxygen
    c.loc[1, "n_temperature"] = 0      # B-file: no temperature
    d = find_duplicates(c, 2010, DuplicateConfig())
    assert ("argo:1:1:A", None, "oxygen", "R.nc") in d["R"]
    assert ("argo:1:1:A", None, "temperature", "BR.nc") in d["BR"]
    assert ("argo:1:1:A", None, "oxygen", "BR.nc") not in d["BR"]


def test_same_cast_in_two_files_of_one_chunk_is_found():
    c = casts([("argo:1:1:A", "argo", "G", "2010-01-01", 0, 0, [5.0]),
               ("argo:1:1:A", "argo", "G", "2010-01-01", 0, 0, [5.0, 10.0])])
    c["file"] = ["BR.nc", "SR.nc"]
    c.loc[0, "n_temperature"] = 0
    d = find_duplicates(c, 2010, DuplicateConfig())
    assert ("argo:1:1:A", None, "oxygen", "BR.nc") in d["G"]


def test_mark_duplicates_by_depth_and_by_variable():
    rows = pd.DataFrame({"cast_id": ["a", "a", "a", "b", "b"], "depth": [10.0, 50.0, 100.0, 10.0, 10.0],
                         "source_file": ["f", "f", "f", "f", "g"]})
    m = mark_duplicates(rows, [("a", 49.0, None, "f"), ("b", None, "oxygen", "f")], depth_tol=2.0)
    assert m["oxygen"].tolist() == [False, True, False, True, False]
    assert m["temperature"].tolist() == [False, True, False, False, False]
    assert not np.any(mark_duplicates(rows, [], 2.0)["salinity"])
