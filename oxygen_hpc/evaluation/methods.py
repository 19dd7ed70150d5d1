"""The methods of the OSSE benchmark, built from the project's train configs so the benchmark runs what a user runs.

Every neural method is a composed train config (``oxygen_contracts.compose``), trained by the harness through the
same ``build_cli`` as ``oxygen-hpc fit``:

- ``oxygenerator``: the benchmark's base config (default ``configs/train/demo.yaml``, the CPU-sized OxyGenerator);
- neural baselines: the base with what ``baseline_<name>.yaml`` itself sets (its network, λ, optimiser and data
  switches; not the pieces it extends), the network's width set to OxyGenerator's ``hidden`` so every network has
  the same width, the same trainer, data and epochs;
- ablations: the base with what ``ablation_<name>.yaml`` itself sets (each is a few lines on top of
  ``oxygenerator.yaml``: the same lines change the CPU-sized base here);
- table baselines: inverse-distance weighting, objective mapping, a gradient-boosted tree ensemble, climatology,
  regression-kriging (the trees plus kriged residuals) and a numerical-model run used with no observations (it
  reads ``WORLD/model_run.nc``: pass the synthetic ocean's folder as ``world``).

The configs folder is an explicit argument (default ``configs/train`` under the current directory, where
``benchmarks/osse.py`` runs); nothing is looked up relative to the installed package.
"""
from __future__ import annotations

from pathlib import Path

from oxygen_contracts.compose import compose, merge, read_own

DEFAULT_CONFIGS = Path("configs") / "train"
NEURAL_BASELINES = ("mlp", "bilstm", "mlp_lstm", "transformer", "gcn", "gat", "graphsage")
ABLATIONS = ("no_hypernetwork", "no_chemistry", "no_zone_adaptive", "no_temporal")
TABLE_BASELINES = ("idw", "objective_mapping", "tree_ensemble", "climatology", "regression_kriging",
                   "numerical_model")
MODEL_RUN = "model_run.nc"           # the numerical model's file in a synthetic ocean's folder
ZONE_ADAPTIVE = "oxygen_hpc.training.callbacks.ZoneAdaptiveSampling"
# Keys of a method's own file that describe where and how a cluster run is kept, not the method.
RUN_KEYS = {"trainer": ("default_root_dir",), "wandb": ("tags", "group")}


def _config_file(configs: str | Path, name: str) -> Path:
    path = Path(configs) / f"{name}.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such train config (pass the configs folder: configs=PATH, "
                                "benchmarks/osse.py --configs PATH)")
    return path


def _method_part(path: Path) -> dict:
    """What a baseline/ablation file itself sets, without the run-keeping keys."""
    own, _ = read_own(path)
    for section, keys in RUN_KEYS.items():
        for k in keys:
            (own.get(section) or {}).pop(k, None)
    return own


def zone_adaptive(config: dict) -> bool:
    cbs = (config.get("trainer") or {}).get("callbacks") or []
    return any(isinstance(c, dict) and c.get("class_path") == ZONE_ADAPTIVE for c in cbs)


def network_width(config: dict) -> int:
    return int(config["model"]["init_args"]["model"].get("init_args", {}).get("hidden", 32))


def baseline_config(name: str, base: dict, configs: str | Path = DEFAULT_CONFIGS) -> dict:
    cfg = merge(base, _method_part(_config_file(configs, f"baseline_{name}")))
    net = cfg["model"]["init_args"]["model"]
    width = "d_model" if "transformer" in net["class_path"].lower() else "hidden"
    net.setdefault("init_args", {})[width] = network_width(base)
    return cfg


def ablation_config(name: str, base: dict, configs: str | Path = DEFAULT_CONFIGS) -> dict:
    return merge(base, _method_part(_config_file(configs, f"ablation_{name}")))


def neural_methods(ablations: bool = False, base: str = "demo", configs: str | Path = DEFAULT_CONFIGS
                   ) -> dict[str, dict]:
    """{method name: composed train config}: OxyGenerator, the neural baselines (and the ablations)."""
    ox = compose(_config_file(configs, base))
    methods = {"oxygenerator": ox}
    methods.update({n: baseline_config(n, ox, configs) for n in NEURAL_BASELINES})
    if ablations:
        methods.update({f"ablation_{n}": ablation_config(n, ox, configs) for n in ABLATIONS})
    return methods


def table_baseline(name: str, seed: int = 0, world: str | Path | None = None):
    """The table baseline ``name``; ``world``: the synthetic ocean's folder (``numerical_model`` reads its
    ``model_run.nc``; the others ignore it)."""
    from oxygen_hpc.models.baselines import (Climatology, InverseDistanceWeighting, NumericalModel,
                                             ObjectiveMapping, RegressionKriging, TreeEnsemble)

    if name == "idw":
        return InverseDistanceWeighting()
    if name == "objective_mapping":
        return ObjectiveMapping()
    if name == "tree_ensemble":
        return TreeEnsemble(kind="hgb", random_state=seed)
    if name == "climatology":
        return Climatology(by="cell")
    if name == "regression_kriging":
        return RegressionKriging(random_state=seed)
    if name == "numerical_model":
        if world is None:
            raise ValueError("numerical_model reads the model run WORLD/model_run.nc: pass world=the synthetic "
                             "ocean's folder (benchmarks/osse.py --world)")
        return NumericalModel(Path(world) / MODEL_RUN)
    raise ValueError(f"unknown table baseline {name!r} (known: {', '.join(TABLE_BASELINES)})")
