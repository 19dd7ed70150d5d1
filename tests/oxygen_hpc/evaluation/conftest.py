"""A tiny hand-made OSSE world (toy partitions + an analytic truth.nc) shared by the evaluation tests."""
import netCDF4
import numpy as np
import pytest

from preprocessing.partition.config import PartitionConfig
from preprocessing.partition.pipeline import run
from tests.fixtures import toy


def eval_sets(world, n_unobserved: int, val: int = 0, test: int = 1):
    """The harness's EvalSets of the tiny world: its folds, ``n_unobserved`` never-observed nodes with truth."""
    from oxygen_hpc.evaluation.harness import EvalSets
    from oxygen_hpc.evaluation.tables import node_tables, split
    from oxygen_hpc.evaluation.truth import truth_values

    from oxygen_contracts.manifest import PartitionManifest

    grid = PartitionManifest.read(world["parts"]).grid
    lab, unobs = node_tables(world["parts"], n_unobserved=n_unobserved)
    sp = split(lab, val, test)
    truth = truth_values(world["truth"], grid, unobs["cell"], unobs["year"])
    return EvalSets(sp["train"], sp["val"], sp["test"], unobs, truth, grid.ncells)


def _truth_field(grid, year):
    k, j, i = np.meshgrid(np.arange(grid.nlev), np.arange(grid.nlat), np.arange(grid.nlon), indexing="ij")
    return 250.0 - 0.05 * grid.depth[k] + 3.0 * np.sin(i) + 2.0 * j + 0.5 * (year - 2000)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    d = tmp_path_factory.mktemp("osse")
    grid, ocean, cov, store = toy.tiny_case(d, years=(2000, 2003), store_years=(1998, 2005), rows=80)
    parts = d / "parts"
    run(PartitionConfig(covariates=str(cov), out=str(parts), zones_lon=2, zones_lat=2), str(store), workers=1,
        progress=False)
    truth = d / "truth.nc"
    with netCDF4.Dataset(truth, "w") as ds:
        for name, n in (("time", len(grid.years)), ("depth", grid.nlev), ("lat", grid.nlat), ("lon", grid.nlon)):
            ds.createDimension(name, n)
        t = ds.createVariable("time", "f8", ("time",))
        t.units = "days since 1900-01-01"
        t[:] = (grid.years - 1900) * 365.25 + 182.0
        for name, vals in (("depth", grid.depth), ("lat", grid.lat), ("lon", grid.lon)):
            ds.createVariable(name, "f8", (name,))[:] = vals
        o2 = ds.createVariable("o2", "f4", ("time", "depth", "lat", "lon"), fill_value=np.float32(np.nan))
        for n, y in enumerate(grid.years):
            o2[n] = np.where(ocean, _truth_field(grid, y), np.nan)
    return {"parts": parts, "truth": truth, "grid": grid, "ocean": ocean}
