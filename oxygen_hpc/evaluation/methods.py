"""The methods of the OSSE benchmark, built from the project's train configs so the benchmark runs what a user runs.

- ``oxygenerator``: the model block of ``configs/train/demo.yaml`` (the CPU-sized OxyGenerator).
- neural baselines: ``configs/train/baseline_<name>.yaml``, width set to the OxyGenerator's ``hidden`` so every
  network gets the same width and the same epochs.
- ablations: what ``configs/train/ablation_<name>.yaml`` changes relative to ``configs/train/oxygenerator.yaml``
  (zoning, λ, the zone-adaptive callback, the temporal encoder), applied to the ``oxygenerator`` spec above.
- table baselines: inverse-distance weighting, objective mapping, a gradient-boosted tree ensemble, climatology.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

from oxygen_hpc.evaluation.harness import NeuralSpec

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "train"
NEURAL_BASELINES = ("mlp", "bilstm", "mlp_lstm", "transformer", "gcn", "gat", "graphsage")
ABLATIONS = ("no_hypernetwork", "no_chemistry", "no_zone_adaptive", "no_temporal")
TABLE_BASELINES = ("idw", "objective_mapping", "tree_ensemble", "climatology")
ZA = "oxygen_hpc.training.callbacks.ZoneAdaptiveSampling"


def _load(name: str) -> dict:
    return yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())


def spec_from_config(cfg: dict) -> NeuralSpec:
    task = cfg["model"]["init_args"]
    cbs = [c for c in (cfg.get("trainer", {}).get("callbacks") or []) if c.get("class_path") == ZA]
    data = (cfg.get("data") or {}).get("init_args") or {}
    return NeuralSpec(model=copy.deepcopy(task["model"]), lam=float(task.get("lam", 0.0)),
                      lr=float(task.get("lr", 3e-3)), weight_decay=float(task.get("weight_decay", 1e-4)),
                      zone_adaptive=bool(cbs),
                      zone_adaptive_args=dict(cbs[0].get("init_args") or {}) if cbs else
                      {"temperature": 1.0, "floor": 0.2},
                      use_obs_inputs=bool(data.get("use_obs_inputs", True)),
                      fit_split=str(data.get("fit_split", "fold")), fit_subgraph=bool(data.get("fit_subgraph", False)))


def oxygenerator_spec(config: str = "demo") -> NeuralSpec:
    return spec_from_config(_load(config))


def baseline_spec(name: str, hidden: int) -> NeuralSpec:
    spec = spec_from_config(_load(f"baseline_{name}"))
    args = spec.model.setdefault("init_args", {})
    args["d_model" if "transformer" in spec.model["class_path"].lower() else "hidden"] = int(hidden)
    return spec


def ablation_spec(name: str, base: NeuralSpec) -> NeuralSpec:
    """``base`` with what ``ablation_<name>.yaml`` changes relative to ``oxygenerator.yaml``."""
    ref, abl = spec_from_config(_load("oxygenerator")), spec_from_config(_load(f"ablation_{name}"))
    out = copy.deepcopy(base)
    ra, aa = ref.model.get("init_args") or {}, abl.model.get("init_args") or {}
    for k in set(ra) | set(aa):
        if ra.get(k) != aa.get(k):
            out.model.setdefault("init_args", {})[k] = aa.get(k)
    for k in ("lam", "lr", "weight_decay", "zone_adaptive", "use_obs_inputs", "fit_split", "fit_subgraph"):
        if getattr(ref, k) != getattr(abl, k):
            setattr(out, k, getattr(abl, k))
    return out


def neural_specs(ablations: bool = False, config: str = "demo", **same_for_all) -> dict[str, NeuralSpec]:
    """OxyGenerator, the neural baselines (and ablations); the baselines train on full partitions or on
    subgraphs as OxyGenerator's config says (``fit_subgraph``); ``same_for_all`` (NeuralSpec fields, e.g. ``lr``,
    ``fit_subgraph``) overrides every method's setting alike."""
    ox = oxygenerator_spec(config)
    hidden = int((ox.model.get("init_args") or {}).get("hidden", 32))
    specs = {"oxygenerator": ox}
    specs.update({n: baseline_spec(n, hidden) for n in NEURAL_BASELINES})
    for n in NEURAL_BASELINES:               # every method trains on the same kind of batches as OxyGenerator
        specs[n].fit_subgraph = ox.fit_subgraph
    if ablations:
        specs.update({f"ablation_{n}": ablation_spec(n, ox) for n in ABLATIONS})
    for spec in specs.values():
        for k, v in same_for_all.items():
            if not hasattr(spec, k):
                raise ValueError(f"unknown NeuralSpec field {k!r}")
            setattr(spec, k, v)
    return specs


def table_baseline(name: str, seed: int = 0):
    from oxygen_hpc.models.baselines import Climatology, InverseDistanceWeighting, ObjectiveMapping, TreeEnsemble

    if name == "idw":
        return InverseDistanceWeighting()
    if name == "objective_mapping":
        return ObjectiveMapping()
    if name == "tree_ensemble":
        return TreeEnsemble(kind="hgb", random_state=seed)
    if name == "climatology":
        return Climatology(by="cell")
    raise ValueError(f"unknown table baseline {name!r} (known: {', '.join(TABLE_BASELINES)})")
