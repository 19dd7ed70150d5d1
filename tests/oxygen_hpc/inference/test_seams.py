"""No seams at zone borders: the written value of every cell equals the prediction of the WHOLE year graph (all
zones merged, no halos), so it does not depend on which partition computed it; a halo copy of a cell near its
partition's edge is not (which is why only owned nodes are written)."""
from __future__ import annotations

import numpy as np
import torch
import xarray as xr
from torch_geometric.data import Data

from oxygen_hpc.data.dataset import PartitionDataset
from oxygen_hpc.training.task import OxyTask

from .infer_util import YEARS

FIELDS = ("x", "meta", "series", "series_mask", "nutrients", "nutrients_mask", "obs", "obs_mask")


def whole_graph(parts, year: int) -> Data:
    """The year's graph over all owned nodes: node fields from the owning partition, each node's in-edges from
    it too (a partition holds every edge into its owned nodes)."""
    ds = PartitionDataset(parts, years=[year], stage="predict")
    graphs = [ds[i] for i in range(len(ds))]
    cells = torch.cat([g.cell[g.owned] for g in graphs])
    pos = {int(c): n for n, c in enumerate(cells)}
    src, dst, attr = [], [], []
    for g in graphs:
        keep = g.owned[g.edge_index[1]]
        e = g.edge_index[:, keep]
        src.append(torch.tensor([pos[int(c)] for c in g.cell[e[0]]]))
        dst.append(torch.tensor([pos[int(c)] for c in g.cell[e[1]]]))
        attr.append(g.edge_attr[keep])
    fields = {k: torch.cat([getattr(g, k)[g.owned] for g in graphs]) for k in FIELDS}
    ds.close()
    return Data(**fields, edge_index=torch.stack([torch.cat(src), torch.cat(dst)]), edge_attr=torch.cat(attr),
                cell=cells, owned=torch.ones(len(cells), dtype=torch.bool), zone=torch.tensor([0]),
                year=torch.tensor([year]), num_nodes=len(cells))


def test_written_values_equal_whole_graph_predictions(infer_parts, ckpts, reference):
    net = OxyTask.load_from_checkpoint(ckpts[0], map_location="cpu").net.eval()
    for year in (YEARS[0], YEARS[1]):
        g = whole_graph(infer_parts, year)
        with torch.inference_mode():
            want = net(g).numpy()
        with xr.open_dataset(reference / f"o2_{year}.nc") as f:
            got = f["o2"].values[0].ravel()[g.cell.numpy()]
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=2e-4)


def test_halo_copies_far_from_the_partition_edge_match_but_edge_copies_need_not(infer_parts, ckpts):
    """Within one partition, a node's prediction is exact when its whole k-hop in-neighbourhood is inside the
    partition (every owned node); the outer halo ring is not, so writing halos would leave seams."""
    net = OxyTask.load_from_checkpoint(ckpts[0], map_location="cpu").net.eval()
    year = YEARS[0]
    g = whole_graph(infer_parts, year)
    with torch.inference_mode():
        exact = dict(zip(g.cell.tolist(), net(g).tolist()))
    ds = PartitionDataset(infer_parts, years=[year], stage="predict")
    worst_owned, worst_halo = 0.0, 0.0
    for i in range(len(ds)):
        p = ds[i]
        with torch.inference_mode():
            pred = net(p).tolist()
        for c, v, own in zip(p.cell.tolist(), pred, p.owned.tolist()):
            d = abs(v - exact[c])
            worst_owned, worst_halo = (max(worst_owned, d), worst_halo) if own else (worst_owned, max(worst_halo, d))
    assert worst_owned < 1e-3
    assert worst_halo > 1e-3
