"""The OSSE benchmark's methods and its one budget: what ``benchmarks/osse.py`` runs for each method name.

- ``oxygenerator``: the project's method — OxyGenerator on the background field (it learns the anomaly; the
  background is built once per held-out folds from training-fold labels, ``oxygen_hpc.background``) as an
  ensemble of ``members`` seeds, the mean scored and the spread calibrated on the validation fold;
- neural baselines (``gcn``, ``gat``, ``graphsage``, ``mlp``, …): one network each, their configs as shipped
  (without a background; ``background_all`` gives it to them too);
- table baselines (``tree_ensemble``, ``regression_kriging``, ``numerical_model``, ``climatology``, ``idw``,
  ``objective_mapping``): fitted on the training table;
- ablations (``ablation_<name>``, the paper's table plus ``no_background``): each and the full model
  (``oxygenerator_single``) trained once per seed of ``ablation_seeds``, one member each, reported as mean ± std.

``HEADLINE`` is what ``--methods headline`` runs: OxyGenerator, the strongest classical method, the trees, the
numerical model, climatology and the best GNN baseline (GraphSAGE: lowest validation RMSE of the GNN baselines in
the issue-13 table).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADLINE = ("oxygenerator", "regression_kriging", "tree_ensemble", "numerical_model", "climatology", "graphsage")
EXTRA_ABLATIONS = ("no_background",)


@dataclass
class Budget:
    """The benchmark's one budget (docs/results.md): every neural method the same epochs, batches, years."""

    epochs: int = 4
    batch_size: int = 8
    members: int = 3
    ablation_seeds: tuple[int, ...] = (0, 1, 2)
    background: bool = True
    background_all: bool = False
    layers: int | None = None            # message-passing layers of every graph network (None: as configured)
    overrides: dict[str, Any] = field(default_factory=lambda: {"data.init_args.fit_subgraph": True,
                                                               "model.init_args.lr": 0.01})


def with_background(config: dict, path: str | Path) -> dict:
    cfg = copy.deepcopy(config)
    cfg.setdefault("data", {}).setdefault("init_args", {})["background"] = str(path)
    return cfg


GRAPH_NETWORKS = ("OxyGenerator", "GCN", "GAT", "GraphSAGE")   # whose `layers` are message-passing hops


def with_layers(config: dict, layers: int | None) -> dict:
    """``config`` with ``layers`` message-passing layers if its network is a graph network (the partitions' halo
    must be at least that deep: ``partition.layers``)."""
    net = config["model"]["init_args"]["model"]
    if layers is None or net["class_path"].rsplit(".", 1)[-1] not in GRAPH_NETWORKS:
        return config
    cfg = copy.deepcopy(config)
    cfg["model"]["init_args"]["model"].setdefault("init_args", {})["layers"] = int(layers)
    return cfg


def ablation_names(spec: str | None) -> list[str]:
    """``--ablations``: None → none; 'all' → every ablation and 'full' (the full model over the same seeds); else
    a comma list of those names."""
    from oxygen_hpc.evaluation.methods import ABLATIONS

    known = list(ABLATIONS) + list(EXTRA_ABLATIONS) + ["full"]
    if not spec:
        return []
    if spec == "all":
        return known
    names = [n.strip().removeprefix("ablation_") for n in spec.split(",") if n.strip()]
    bad = [n for n in names if n not in known]
    if bad:
        raise ValueError(f"--ablations: unknown {bad} (known: {', '.join(known)})")
    return names


def plan(methods: list[str], specs: dict[str, dict], budget: Budget, background: str | Path | None,
         ablations: list[str]) -> list[dict]:
    """One entry per method to run: ``{name, kind: table|ensemble|seeds, config, seeds}``."""
    specs = {k: with_layers(v, budget.layers) for k, v in specs.items()}
    out = []
    bg = background if budget.background else None
    for m in methods:
        if m == "oxygenerator":
            cfg = with_background(specs[m], bg) if bg else specs[m]
            out.append({"name": m, "kind": "ensemble", "config": cfg, "seeds": list(range(budget.members))})
        elif m in specs:
            cfg = with_background(specs[m], bg) if (bg and budget.background_all) else specs[m]
            out.append({"name": m, "kind": "ensemble", "config": cfg, "seeds": [0]})
        else:
            out.append({"name": m, "kind": "table"})
    if "full" in ablations:
        full = with_background(specs["oxygenerator"], bg) if bg else specs["oxygenerator"]
        out.append({"name": "oxygenerator_single", "kind": "seeds", "config": full,
                    "seeds": list(budget.ablation_seeds)})
    for a in (a for a in ablations if a != "full"):
        if a == "no_background":
            cfg = specs["oxygenerator"]
        else:
            cfg = with_background(specs[f"ablation_{a}"], bg) if bg else specs[f"ablation_{a}"]
        out.append({"name": f"ablation_{a}", "kind": "seeds", "config": cfg, "seeds": list(budget.ablation_seeds)})
    return out
