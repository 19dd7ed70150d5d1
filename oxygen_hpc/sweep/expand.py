"""Expand a sweep spec written in the W&B sweep YAML syntax into concrete runs.

Spec keys (W&B's): ``method`` (grid | random), ``metric: {name, goal: minimize|maximize}``, ``parameters``,
``run_cap`` (random: number of runs), ``program``, ``command``, ``name``, ``project``, ``entity``. Ours:
``base_config`` (a train YAML config the overrides apply to), ``seed`` (random search), ``sbatch`` (extra sbatch
arguments, a list). A parameter name is a dotted path into the base config (``model.init_args.hidden``); W&B's
nested form (``model: {parameters: {...}}``) is flattened to the same dotted names.

Parameter forms: ``{value: v}``, ``{values: [...]}`` (grid axis / random choice, optional ``probabilities``), or
``{distribution: D, min, max, [q, mu, sigma]}`` with D one of :data:`DISTRIBUTIONS` (random only).
Values are data: they go into YAML and argv elements verbatim and are never interpreted by a shell.
"""
from __future__ import annotations

import copy
import itertools
import math
import random
from pathlib import Path
from typing import Any

import yaml

DISTRIBUTIONS = ("constant", "categorical", "int_uniform", "uniform", "q_uniform", "log_uniform",
                 "log_uniform_values", "q_log_uniform", "q_log_uniform_values", "normal", "q_normal",
                 "log_normal", "q_log_normal")
SPEC_KEYS = {"method", "metric", "parameters", "run_cap", "program", "command", "name", "description",
             "project", "entity", "early_terminate", "base_config", "seed", "sbatch"}


class SweepError(ValueError):
    """A bad sweep spec; ``str()`` is one line naming the key."""


def load_spec(path: str | Path) -> dict:
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path}: sweep spec not found") from None
    except yaml.YAMLError as e:
        raise SweepError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    try:
        return validate(spec)
    except SweepError as e:
        raise SweepError(f"{path}: {e}") from None


def flatten_parameters(params: dict, prefix: str = "") -> dict[str, dict]:
    """``{name: definition}`` with W&B nested ``parameters`` blocks turned into dotted names."""
    if not isinstance(params, dict) or not params:
        raise SweepError(f"'{prefix or 'parameters'}' must be a non-empty mapping")
    out = {}
    for name, d in params.items():
        key = f"{prefix}.{name}" if prefix else str(name)
        if not isinstance(d, dict):
            raise SweepError(f"parameter '{key}': expected a mapping like {{values: [...]}}, got {d!r}")
        if "parameters" in d:
            out.update(flatten_parameters(d["parameters"], key))
        else:
            out[key] = d
    return out


def _kind(key: str, d: dict) -> str:
    if "value" in d:
        return "constant"
    if "values" in d:
        if not isinstance(d["values"], list) or not d["values"]:
            raise SweepError(f"parameter '{key}': 'values' must be a non-empty list")
        return "categorical"
    dist = d.get("distribution")
    if dist is None:
        if "min" in d and "max" in d:  # W&B infers int_uniform / uniform from the bounds' types
            ints = all(isinstance(d[k], int) and not isinstance(d[k], bool) for k in ("min", "max"))
            return "int_uniform" if ints else "uniform"
        raise SweepError(f"parameter '{key}': needs 'value', 'values' or 'distribution' with min/max")
    if dist not in DISTRIBUTIONS:
        raise SweepError(f"parameter '{key}': unknown distribution '{dist}' (known: {', '.join(DISTRIBUTIONS)})")
    needs = ("mu", "sigma") if dist in ("normal", "q_normal", "log_normal", "q_log_normal") else ("min", "max")
    needs = () if dist in ("constant", "categorical") else needs
    for k in needs:
        if not isinstance(d.get(k), (int, float)) or isinstance(d.get(k), bool):
            raise SweepError(f"parameter '{key}': distribution {dist} needs a number '{k}'")
    if "min" in needs and d["min"] > d["max"]:
        raise SweepError(f"parameter '{key}': min {d['min']} > max {d['max']}")
    if dist == "log_uniform_values" or dist == "q_log_uniform_values":
        if d["min"] <= 0:
            raise SweepError(f"parameter '{key}': {dist} needs min > 0")
    return dist


def validate(spec: Any) -> dict:
    if not isinstance(spec, dict):
        raise SweepError("a sweep spec must be a mapping")
    unknown = set(spec) - SPEC_KEYS
    if unknown:
        raise SweepError(f"unknown key(s) {sorted(unknown)} (known: {', '.join(sorted(SPEC_KEYS))})")
    method = spec.get("method")
    if method not in ("grid", "random"):
        raise SweepError(f"'method' must be grid or random (bayes needs the W&B server), got {method!r}")
    metric = spec.get("metric")
    if metric is not None:
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
            raise SweepError("'metric' must be {name: ..., goal: minimize|maximize}")
        if metric.get("goal", "minimize") not in ("minimize", "maximize"):
            raise SweepError(f"'metric.goal' must be minimize or maximize, got {metric.get('goal')!r}")
    params = flatten_parameters(spec.get("parameters"))
    kinds = {k: _kind(k, d) for k, d in params.items()}
    if method == "grid":
        bad = [k for k, v in kinds.items() if v not in ("constant", "categorical")]
        if bad:
            raise SweepError(f"grid search needs 'values' or 'value' for every parameter; not for {bad}")
    elif not isinstance(spec.get("run_cap"), int) or spec["run_cap"] < 1:
        raise SweepError("random search needs 'run_cap', a positive integer (the number of runs)")
    if "command" in spec and (not isinstance(spec["command"], list)
                              or not all(isinstance(c, str) for c in spec["command"])):
        raise SweepError("'command' must be a list of strings (argv elements and ${...} macros)")
    for k in ("program", "base_config"):
        if k in spec and not isinstance(spec[k], str):
            raise SweepError(f"'{k}' must be a path string")
    if "sbatch" in spec and not (isinstance(spec["sbatch"], list) and all(isinstance(a, str) for a in spec["sbatch"])):
        raise SweepError("'sbatch' must be a list of sbatch arguments, e.g. ['--partition=gpu']")
    return spec


def _sample(d: dict, kind: str, rng: random.Random) -> Any:
    if kind == "constant":
        return d["value"]
    if kind == "categorical":
        return rng.choices(d["values"], weights=d.get("probabilities"))[0]
    lo, hi, q = d.get("min"), d.get("max"), d.get("q", 1)
    if kind == "int_uniform":
        return rng.randint(int(lo), int(hi))
    if kind == "uniform":
        return rng.uniform(lo, hi)
    if kind == "q_uniform":
        return round(rng.uniform(lo, hi) / q) * q
    if kind == "log_uniform":  # W&B: min/max are natural logs of the bounds
        return math.exp(rng.uniform(lo, hi))
    if kind == "log_uniform_values":
        return math.exp(rng.uniform(math.log(lo), math.log(hi)))
    if kind == "q_log_uniform":
        return round(math.exp(rng.uniform(lo, hi)) / q) * q
    if kind == "q_log_uniform_values":
        return round(math.exp(rng.uniform(math.log(lo), math.log(hi))) / q) * q
    mu, sigma = d["mu"], d["sigma"]
    x = rng.gauss(mu, sigma)
    if kind == "normal":
        return x
    if kind == "q_normal":
        return round(x / q) * q
    if kind == "log_normal":
        return math.exp(x)
    return round(math.exp(x) / q) * q  # q_log_normal


def expand(spec: dict, seed: int | None = None) -> list[dict[str, Any]]:
    """The runs' overrides, ``[{dotted name: value}, ...]``: the grid's product in spec order, or ``run_cap``
    random draws (reproducible for a given ``seed``, default the spec's ``seed`` or 0)."""
    params = flatten_parameters(spec["parameters"])
    kinds = {k: _kind(k, d) for k, d in params.items()}
    if spec["method"] == "grid":
        axes = [[d["value"]] if kinds[k] == "constant" else d["values"] for k, d in params.items()]
        return [dict(zip(params, combo)) for combo in itertools.product(*axes)]
    rng = random.Random(spec.get("seed", 0) if seed is None else seed)
    return [{k: _sample(d, kinds[k], rng) for k, d in params.items()} for _ in range(spec["run_cap"])]


def set_dotted(config: dict, dotted: str, value: Any) -> None:
    node = config
    parts = dotted.split(".")
    for i, p in enumerate(parts[:-1]):
        nxt = node.setdefault(p, {})
        if nxt is None:
            nxt = node[p] = {}
        if not isinstance(nxt, dict):
            raise SweepError(f"parameter '{dotted}': '{'.'.join(parts[:i + 1])}' is {nxt!r} in the base config, "
                             "not a mapping")
        node = nxt
    node[parts[-1]] = value


def apply_overrides(base: dict, overrides: dict[str, Any]) -> dict:
    """A deep copy of ``base`` with each dotted override set (intermediate mappings are created)."""
    config = copy.deepcopy(base)
    for dotted, value in overrides.items():
        set_dotted(config, dotted, copy.deepcopy(value))
    return config
