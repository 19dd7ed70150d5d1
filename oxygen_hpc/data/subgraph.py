"""Training on the receptive field of the targets only: the k-hop in-neighbourhood of a partition's target nodes.

With L message-passing layers a node's prediction depends only on its L-hop in-neighbourhood, and a partition
holds every edge between two of its nodes, so the induced subgraph on the targets' L-hop in-neighbourhood gives
the targets exactly the predictions of the whole partition. Labels are sparse (a few % of the nodes, fewer still
are training targets of one step), so most of a partition's nodes contribute nothing to the MSE; cutting them
makes a training step several times cheaper and lets a step carry more targets for the same cost.

The chemistry regulariser then sees the nutrient-observed nodes of the subgraph, and their sensitivities sum over
the subgraph's predictions (the nodes on its edge have truncated neighbourhoods): an approximation of the
whole-partition regulariser, which is why ``PartitionDataset(fit_subgraph=...)`` is an option.
"""
from __future__ import annotations

import numpy as np


def khop_in_subgraph(edge_index: np.ndarray, num_nodes: int, seeds: np.ndarray, hops: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes within ``hops`` incoming edges of ``seeds`` and the edges between them.

    Args:
        edge_index: [2, E] (row 0 source, row 1 target) local node indices.
        num_nodes: N.
        seeds: [N] bool, the nodes whose receptive field is kept. If none is set, node 0 alone is kept (a batch
            must not hold an empty graph).
        hops: k (the model's number of message-passing layers).

    Returns:
        ``(nodes, edges, new_edge_index)``: kept node indices [n] (ascending, so node order — owned first — is
        kept), kept edge indices [e], and their edge_index [2, e] renumbered to ``0..n-1``.
    """
    keep = np.asarray(seeds, bool).copy()
    if not keep.any():
        keep[:min(num_nodes, 1)] = True
    src, dst = edge_index[0], edge_index[1]
    for _ in range(int(hops)):
        keep[src[keep[dst]]] = True
    edges = np.flatnonzero(keep[src] & keep[dst])
    nodes = np.flatnonzero(keep)
    new_id = np.cumsum(keep) - 1
    return nodes, edges, new_id[edge_index[:, edges]]
