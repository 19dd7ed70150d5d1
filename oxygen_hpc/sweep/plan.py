"""A sweep's plan: the expanded runs (:mod:`~oxygen_hpc.sweep.expand`) turned into per-task configs and argv lists.

Each task gets its full config (base config + overrides, ``trainer.default_root_dir`` = its run directory) and
an argv list built from the W&B ``command`` macros. Values are data: a token is one argv element, never a shell
word, so a parameter such as ``$(rm -rf ~)`` is a string in a config and nothing more.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from oxygen_contracts.compose import ComposeError, compose
from oxygen_hpc.sweep.expand import SweepError, apply_overrides, expand, flatten_parameters

DEFAULT_COMMAND = ["oxygen-hpc", "fit", "--config", "${config}"]
PROGRAM_COMMAND = ["${interpreter}", "${program}", "--config", "${config}"]


def format_value(v: Any) -> str:
    """A value as one command-line token (YAML/JSON spelling for non-strings, strings verbatim)."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return json.dumps(v)
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v)


def build_argv(template: list[str], *, overrides: dict, program: str | None, config: str, run_dir: str,
               params_file: str, spec: dict) -> list[str]:
    """Expand the W&B command macros of ``template``; a token that is not exactly a macro is kept verbatim.
    ``${envvar:NAME}`` is left for :func:`~oxygen_hpc.sweep.task.run_task` (it is resolved on the compute node)."""
    argv: list[str] = []
    for tok in template:
        if tok == "${env}":
            continue  # W&B's /usr/bin/env: not needed when argv is executed directly
        elif tok == "${interpreter}":
            if program is not None and program.endswith(".py"):
                argv.append(sys.executable)
        elif tok == "${program}":
            if program is None:
                raise SweepError("'command' uses ${program} but the spec has no 'program'")
            argv.append(program)
        elif tok in ("${args}", "${args_no_boolean_flags}"):
            for k, v in overrides.items():
                if tok == "${args}" or not isinstance(v, bool):
                    argv.append(f"--{k}={format_value(v)}")
                elif v:
                    argv.append(f"--{k}")
        elif tok == "${args_no_hyphens}":
            argv += [f"{k}={format_value(v)}" for k, v in overrides.items()]
        elif tok == "${args_json}":
            argv.append(json.dumps(overrides))
        elif tok == "${args_json_file}":
            argv.append(params_file)
        elif tok in ("${config}", "${run_dir}"):
            argv.append(config if tok == "${config}" else run_dir)
        elif tok in ("${project}", "${entity}"):
            argv.append(str(spec.get(tok[2:-1], "")))
        else:
            argv.append(tok)
    return argv


def resolve_path(path: str, spec_dir: Path) -> Path:
    """``path`` as given if absolute or existing, else relative to the spec's folder when it exists there."""
    p = Path(path).expanduser()
    if p.is_absolute() or p.exists():
        return p.resolve()
    return (spec_dir / p).resolve() if (spec_dir / p).exists() else p.resolve()


def plan(spec: dict, spec_path: str | Path, out_dir: str | Path, seed: int | None = None) -> dict:
    """Everything ``sweep.json`` holds, and the configs to write (under the key ``_configs``)."""
    out = Path(out_dir).resolve()
    spec_dir = Path(spec_path).resolve().parent
    base: dict = {}
    base_path = None
    if "base_config" in spec:
        base_path = resolve_path(spec["base_config"], spec_dir)
        try:
            base = compose(base_path)          # its `extends` pieces merged in: each run's config stands alone
        except ComposeError as e:
            raise SweepError(f"base_config {e}") from None
    program = str(resolve_path(spec["program"], spec_dir)) if "program" in spec else None
    template = spec.get("command") or (PROGRAM_COMMAND if program else DEFAULT_COMMAND)
    tasks, configs = [], []
    for i, ov in enumerate(expand(spec, seed)):
        run_dir, config = out / "runs" / str(i), out / "configs" / f"{i}.yaml"
        cfg = apply_overrides(base, ov)
        trainer = cfg.setdefault("trainer", {}) if isinstance(cfg.get("trainer", {}), dict) else None
        if trainer is None:
            raise SweepError("base config key 'trainer' is not a mapping")
        trainer["default_root_dir"] = str(run_dir)
        argv = build_argv(template, overrides=ov, program=program, config=str(config), run_dir=str(run_dir),
                          params_file=str(out / "params" / f"{i}.json"), spec=spec)
        tasks.append({"index": i, "overrides": ov, "config": str(config), "run_dir": str(run_dir), "argv": argv})
        configs.append(cfg)
    return {"version": 1, "name": spec.get("name") or Path(spec_path).stem, "spec_file": str(Path(spec_path).resolve()),
            "spec": spec, "base_config": str(base_path) if base_path else None, "mode": "local",
            "metric": spec.get("metric"), "parameters": list(flatten_parameters(spec["parameters"])),
            "n": len(tasks), "sweep_dir": str(out), "tasks": tasks, "_configs": configs}
