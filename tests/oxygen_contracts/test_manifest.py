"""The one manifest reader: validates before anything is used, and names the file in every error."""
from __future__ import annotations

import json

import pytest

from oxygen_contracts import schema
from oxygen_contracts.config import ConfigError
from oxygen_contracts.grid import GridSpec
from oxygen_contracts.manifest import MANIFEST, ManifestError, PartitionManifest

GRID = GridSpec(resolution_deg=30.0, depth_levels=(0.0, 100.0), year_start=2000, year_end=2001, zones_lon=2,
                zones_lat=2)


def _manifest(**over) -> dict:
    m = {"schema_version": schema.SCHEMA_VERSION, "grid": GRID.to_dict(), "layers": 2,
         "feature_names": ["a", "b", "c"], "meta_names": ["m"], "edge_feature_names": ["d", "e"],
         "normalisation": {"observations": {"oxygen_mean": 170.0}}, "complete": True,
         "files": [{"year": 2000, "file": "year=2000.h5", "sha256": "0" * 64, "bytes": 1, "n_obs_rows": 3,
                    "n_obs_used": 3}],
         "partitions": [{"year": 2000, "zone": z, "n_nodes": 5, "n_owned": 4, "n_edges": 6, "n_labelled": z}
                        for z in (1, 0)]}
    m.update(over)
    return m


def _write(tmp_path, data) -> None:
    (tmp_path / MANIFEST).write_text(data if isinstance(data, str) else json.dumps(data))


def test_grid_round_trip_and_bad_grid():
    assert GridSpec.from_dict(GRID.to_dict()) == GRID
    assert GridSpec.from_dict(json.loads(json.dumps(GRID.to_dict()))) == GRID    # lists from JSON
    with pytest.raises(ConfigError, match="grid.zones_lat"):
        GridSpec.from_dict({k: v for k, v in GRID.to_dict().items() if k != "zones_lat"})
    with pytest.raises(ConfigError, match="grid.colour"):
        GridSpec.from_dict({**GRID.to_dict(), "colour": 1})
    with pytest.raises(ConfigError, match="resolution_deg"):
        GridSpec.from_dict({**GRID.to_dict(), "resolution_deg": 7})


def test_reads_what_consumers_use(tmp_path):
    _write(tmp_path, _manifest())
    m = PartitionManifest.read(tmp_path)
    assert m.grid == GRID and m.layers == 2 and m.years == [2000]
    assert m.dims == {"in_features": 3, "meta_features": 1, "edge_features": 2, "n_zones": 4}
    assert m.labelled() == {(2000, 1): 1, (2000, 0): 0} and m.zones_by_year() == {2000: [0, 1]}
    assert m["layers"] == 2 and m.observation_norm == {"oxygen_mean": 170.0}
    assert m.file_path(2000) == tmp_path / "year=2000.h5" and len(m.sha256()) == 64


@pytest.mark.parametrize("data, match", [
    (None, "no partition manifest"),
    ("{not json", "not readable as JSON"),
    ("[1, 2]", "top level must be a JSON object"),
    (_manifest(schema_version=schema.SCHEMA_VERSION + 1), "schema_version"),
    (_manifest(complete=False), "did not finish"),
    ({k: v for k, v in _manifest().items() if k != "layers"}, "missing layers"),
    (_manifest(partitions=[{"year": 2000}]), "'partitions' must be"),
    (_manifest(grid={**GRID.to_dict(), "resolution_deg": 7}), "resolution_deg"),
    # values of the wrong type or range: what consumers index, hash or open (issue 16, item 7)
    (_manifest(files=[{**_manifest()["files"][0], "bytes": "many"}]), "must be counts"),
    (_manifest(files=[{**_manifest()["files"][0], "file": "../../etc/passwd"}]), "must be 'year=2000.h5'"),
    (_manifest(files=[{**_manifest()["files"][0], "sha256": 5}]), "sha256 must be"),
    (_manifest(files=_manifest()["files"] * 2), "listed twice"),
    (_manifest(files=[]), "has no file entry"),
    (_manifest(partitions=[{"year": 2000, "zone": 9, "n_nodes": 5, "n_owned": 4, "n_edges": 6, "n_labelled": 0}]),
     "out of range"),
    (_manifest(partitions=[{"year": 2000, "zone": 0, "n_nodes": -5, "n_owned": 4, "n_edges": 6, "n_labelled": 0}]),
     "must be counts"),
    (_manifest(layers="2"), "'layers' must be a count"),
    (_manifest(feature_names="abc"), "'feature_names' must be a list"),
    (_manifest(normalisation={}), "normalisation.observations"),
])
def test_bad_manifests_are_refused_naming_the_file(tmp_path, data, match):
    if data is not None:
        _write(tmp_path, data)
    with pytest.raises(ManifestError, match=match) as e:
        PartitionManifest.read(tmp_path)
    assert str(tmp_path / MANIFEST) in str(e.value)


def test_check_may_read_an_unfinished_manifest(tmp_path):
    _write(tmp_path, _manifest(complete=False))
    assert not PartitionManifest.read(tmp_path, require_complete=False).complete
