"""Write a sweep directory, submit it as one Slurm job array, and run one of its tasks.

Layout of ``DIR``::

    sweep.json            spec, N, and per task: overrides, config path, run dir, argv (a list, never a string)
    configs/<i>.yaml      base config + overrides, trainer.default_root_dir = DIR/runs/<i>
    params/<i>.json       the task's overrides (for the ${args_json_file} macro)
    runs/<i>/             the run: metrics.json (written by the program), sweep_status.json (written here)
    logs/%A_%a.out        Slurm output of each array task

Every value travels as data: YAML written by ``yaml.safe_dump``, argv lists passed to ``subprocess`` without a
shell, so a parameter such as ``$(rm -rf ~)`` is a string in a config and nothing more.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import yaml

from oxygen_hpc.sweep.expand import SweepError, apply_overrides, expand, flatten_parameters

DEFAULT_COMMAND = ["oxygen-hpc", "fit", "--config", "${config}"]
PROGRAM_COMMAND = ["${interpreter}", "${program}", "--config", "${config}"]
STATUS = "sweep_status.json"
SWEEP_SCRIPT = Path(__file__).resolve().parents[2] / "slurm" / "sweep.sh"


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
    ``${envvar:NAME}`` is left for :func:`run_task` (it is resolved on the compute node)."""
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


def _resolve(path: str, spec_dir: Path) -> Path:
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
        base_path = _resolve(spec["base_config"], spec_dir)
        try:
            base = yaml.safe_load(base_path.read_text()) or {}
        except OSError as e:
            raise SweepError(f"base_config {base_path}: {e.strerror}") from None
        if not isinstance(base, dict):
            raise SweepError(f"base_config {base_path}: top level must be a mapping")
    program = str(_resolve(spec["program"], spec_dir)) if "program" in spec else None
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


def write(p: dict) -> Path:
    out = Path(p["sweep_dir"])
    for sub in ("configs", "params", "runs", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    for task, cfg in zip(p["tasks"], p["_configs"]):
        Path(task["config"]).write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True))
        (out / "params" / f"{task['index']}.json").write_text(json.dumps(task["overrides"], indent=1))
    save(out, {k: v for k, v in p.items() if k != "_configs"})
    return out


def save(sweep_dir: Path, data: dict) -> None:
    tmp = Path(sweep_dir) / "sweep.json.tmp"
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(Path(sweep_dir) / "sweep.json")


def load(sweep_dir: str | Path) -> dict:
    path = Path(sweep_dir) / "sweep.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SweepError(f"{path} not found (not a sweep directory?)") from None


def use_wandb(data: dict, sweep_fn: Callable | None = None) -> dict:
    """Create the W&B sweep (``wandb.sweep``) and make every array task run one ``wandb agent --count 1``."""
    spec = data["spec"]
    wb = {k: v for k, v in spec.items() if k not in ("base_config", "seed", "sbatch")}
    if "command" not in spec:
        base = ["--config", data["base_config"]] if data["base_config"] else []
        wb["command"] = (["${env}", "${interpreter}", "${program}"] if "program" in spec else ["oxygen-hpc", "fit"]) \
            + base + ["${args}"]
    if "program" in spec:
        wb["program"] = str(_resolve(spec["program"], Path(data["spec_file"]).parent))
    if sweep_fn is None:
        import wandb

        sweep_fn = wandb.sweep
    entity = spec.get("entity") or os.environ.get("WANDB_ENTITY")
    project = spec.get("project") or os.environ.get("WANDB_PROJECT") or "oxygen-hpc"
    sweep_id = sweep_fn(sweep=wb, entity=entity, project=project)
    path = "/".join(x for x in (entity, project, sweep_id) if x)
    for t in data["tasks"]:
        t["argv"] = ["wandb", "agent", "--count", "1", path]
    data.update(mode="wandb", wandb={"sweep_id": sweep_id, "path": path, "config": wb})
    return data


def sbatch_argv(data: dict, parallel: int | None, extra: list[str] = ()) -> list[str]:
    n = data["n"]
    array = f"0-{n - 1}" + (f"%{parallel}" if parallel else "")
    logs = Path(data["sweep_dir"]) / "logs"
    return ["sbatch", "--parsable", f"--array={array}", f"--job-name=sweep-{data['name']}",
            f"--output={logs}/%A_%a.out", *data["spec"].get("sbatch", []), *extra, str(SWEEP_SCRIPT)]


def submit(sweep_dir: str | Path, parallel: int | None = None, extra: list[str] = ()) -> str:
    """One ``sbatch --array`` for the whole sweep; returns the array job id (also recorded in sweep.json)."""
    data = load(sweep_dir)
    argv = sbatch_argv(data, parallel, list(extra))
    env = dict(os.environ, SWEEP_DIR=data["sweep_dir"],
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SweepError(f"sbatch failed (rc {r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    job_id = r.stdout.strip().split(";")[0]
    data.setdefault("submissions", []).append({"job_id": job_id, "argv": argv, "time": time.time()})
    save(Path(sweep_dir), data)
    return job_id


def _status(run_dir: Path, **fields) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    tmp = run_dir / (STATUS + ".tmp")
    tmp.write_text(json.dumps(fields, indent=1))
    tmp.replace(run_dir / STATUS)


def run_task(sweep_dir: str | Path, index: int) -> int:
    """Run task ``index``'s argv (no shell), forwarding SIGUSR1/SIGTERM/SIGINT, and record its exit status."""
    data = load(sweep_dir)
    if not 0 <= index < data["n"]:
        raise SweepError(f"task {index} out of range 0..{data['n'] - 1}")
    task = data["tasks"][index]
    argv = [os.environ.get(t[9:-1], "") if t.startswith("${envvar:") and t.endswith("}") else t
            for t in task["argv"]]
    run_dir = Path(task["run_dir"])
    info = {"index": index, "argv": argv, "host": socket.gethostname(), "started": time.time(),
            "job_id": os.environ.get("SLURM_JOB_ID"), "array_job_id": os.environ.get("SLURM_ARRAY_JOB_ID")}
    _status(run_dir, state="running", **info)
    try:
        child = subprocess.Popen(argv, cwd=os.environ.get("SLURM_SUBMIT_DIR") or None)
    except OSError as e:
        _status(run_dir, state="failed", exit_code=127, error=f"cannot run {argv[0]!r}: {e.strerror}",
                ended=time.time(), **info)
        print(f"sweep task {index}: cannot run {argv[0]!r}: {e.strerror}", file=sys.stderr)
        return 127
    sigs = (signal.SIGUSR1, signal.SIGTERM, signal.SIGINT)
    previous = {sig: signal.signal(sig, lambda s, _f: child.send_signal(s)) for sig in sigs}
    try:
        rc = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _status(run_dir, state="completed" if rc == 0 else "failed", exit_code=rc, ended=time.time(), **info)
    return rc
