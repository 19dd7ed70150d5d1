"""Which checkpoint a ``fit`` resumes, and whether it belongs to this run.

A run directory belongs to one run. The first ``fit`` in it records what the run is in ``<run>/run_identity.json``:
a fingerprint of the resolved model and data config (loader settings that do not change what is trained —
``num_workers``, ``prefetch_factor``, ``persistent_workers``, ``pin_memory`` — and the task's ``dims`` (from the
data) and ``allowed_models`` left out; the partitions folder made absolute), the strategy (its class, and
DeepSpeed's ZeRO stage) and the world size (num_nodes × devices). A later ``fit`` that finds a checkpoint there
to resume — Lightning's Slurm requeue ``hpc_ckpt_*.ckpt`` first, else ``checkpoints/last.ckpt`` — compares, before
any data is read or process launched:

- another config or strategy: :class:`RunMismatch` at once, saying what differs and what to do (another run
  directory, or ``--ckpt_path`` to resume that checkpoint deliberately);
- another world size: :class:`RunMismatch` too (the exact resume replays the data order of its world size),
  naming the ``--trainer.num_nodes``/``--trainer.devices`` (``sbatch --nodes``/``--ntasks-per-node``) the run
  had. Issue 15's two-node test relies on this message (:func:`world_size_message`): keep its wording stable.

A checkpoint without a record (a run directory from before records) is not resumed either. ``--ckpt_path`` is
the user's deliberate choice: it is not checked, and the record is rewritten to this run. A Slurm requeue of the
same job matches its record and resumes as before. Only rank 0 writes the record.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

RECORD = "run_identity.json"
LOADER_KEYS = ("num_workers", "prefetch_factor", "persistent_workers", "pin_memory")
DERIVED_KEYS = ("dims", "allowed_models")      # of the task: filled in from the data / not what is trained


class RunMismatch(RuntimeError):
    """The run directory's checkpoint belongs to another run (config, strategy or world size)."""


def identity(model: dict, data: dict, strategy: str, num_nodes: int, devices: int, base: str | Path = ".") -> dict:
    """What a run is: ``model`` and ``data`` are the resolved ``{class_path, init_args}`` blocks of the config;
    ``devices`` per node; ``base`` the directory a relative partitions path is taken from."""
    init = {k: v for k, v in dict(data.get("init_args") or {}).items() if k not in LOADER_KEYS}
    if isinstance(init.get("root"), str):
        init["root"] = os.path.normpath(os.path.join(base, init["root"]))
    task = {k: v for k, v in dict(model.get("init_args") or {}).items() if k not in DERIVED_KEYS}
    config = json.loads(json.dumps({"model": {**model, "init_args": task}, "data": {**data, "init_args": init}},
                                   sort_keys=True, default=str))
    fp = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()
    return {"fingerprint": fp, "strategy": strategy, "world_size": int(num_nodes) * int(devices),
            "num_nodes": int(num_nodes), "devices": int(devices), "config": config}


def strategy_name(strategy) -> str:
    name = type(strategy).__name__
    stage = (getattr(strategy, "config", None) or {}).get("zero_optimization", {}).get("stage") \
        if isinstance(getattr(strategy, "config", None), dict) else None
    return f"{name}(zero_stage={stage})" if stage is not None else name


def resume_candidate(root: Path) -> Path | None:
    """The checkpoint a fit without ``--ckpt_path`` would resume: the newest requeue checkpoint, else last.ckpt."""
    def number(p: Path) -> int:
        n = p.stem.rpartition("_")[2]
        return int(n) if n.isdigit() else -1

    hpc = sorted(root.glob("hpc_ckpt_*.ckpt"), key=number)
    if hpc:
        return hpc[-1]
    last = root / "checkpoints" / "last.ckpt"
    return last if last.exists() else None


def _flat(d, prefix="") -> dict:
    if isinstance(d, dict):
        out = {}
        for k, v in d.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: d}


def differences(here: dict, record: dict, limit: int = 5) -> list[str]:
    a, b = _flat(here), _flat(record)
    keys = sorted(k for k in a.keys() | b.keys() if a.get(k, "<unset>") != b.get(k, "<unset>"))
    out = [f"{k}: {a.get(k, '<unset>')} here, {b.get(k, '<unset>')} in the record" for k in keys[:limit]]
    return out + ([f"… {len(keys) - limit} more"] if len(keys) > limit else [])


def read_record(root: Path) -> dict | None:
    try:
        rec = json.loads((root / RECORD).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise RunMismatch(f"{root / RECORD}: unreadable run record ({e}); remove it only if {root} holds no "
                          "other run's checkpoints") from None
    if not isinstance(rec, dict) or not {"fingerprint", "strategy", "world_size"} <= rec.keys():
        raise RunMismatch(f"{root / RECORD}: not a run record")
    return rec


def write_record(root: Path, ident: dict) -> None:
    from lightning_fabric.utilities.rank_zero import rank_zero_only

    if getattr(rank_zero_only, "rank", 0) != 0:
        return
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".{RECORD}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(ident, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, root / RECORD)


def world_size_message(root: Path, ckpt: Path, rec: dict, ident: dict) -> str:
    n, d = rec.get("num_nodes", "?"), rec.get("devices", "?")
    return (f"{root} holds a run trained with world size {rec['world_size']} ({n} node(s) x {d} device(s)); this "
            f"job has world size {ident['world_size']} ({ident['num_nodes']} x {ident['devices']}), so {ckpt} was "
            f"not resumed (an exact resume replays the data order of its world size). Run with "
            f"--trainer.num_nodes={n} --trainer.devices={d} (sbatch --nodes={n} --ntasks-per-node={d}), or pass "
            f"--ckpt_path {ckpt} to continue it deliberately with world size {ident['world_size']}, or use another "
            "run directory (--trainer.default_root_dir)")


def check(root: Path, ident: dict, explicit_ckpt: bool) -> Path | None:
    """Stop (:class:`RunMismatch`) unless the checkpoint this fit would resume belongs to ``ident``'s run; record
    the run when it starts. Returns the checkpoint to resume (None: start afresh, or ``--ckpt_path`` given)."""
    if explicit_ckpt:
        write_record(root, ident)
        return None
    ckpt, rec = resume_candidate(root), read_record(root)
    if ckpt is None:
        write_record(root, ident)
        return None
    todo = f"Use another run directory (--trainer.default_root_dir), or pass --ckpt_path {ckpt} to resume it " \
           "deliberately with this config"
    if rec is None:
        raise RunMismatch(f"{root} has a checkpoint ({ckpt}) but no run record ({RECORD}), so it cannot tell "
                          f"whether it belongs to this config; it was not resumed. {todo}")
    why = differences(ident["config"], rec.get("config", {})) if rec["fingerprint"] != ident["fingerprint"] else []
    if not why and rec["world_size"] != ident["world_size"]:   # first: with strategy `auto` the strategy follows it
        raise RunMismatch(world_size_message(root, ckpt, rec, ident))
    if rec["strategy"] != ident["strategy"]:
        why.insert(0, f"strategy: {ident['strategy']} here, {rec['strategy']} in the record")
    if why:
        raise RunMismatch(f"{root} belongs to another run ({'; '.join(why)}), so its checkpoint {ckpt} was not "
                          f"resumed. {todo}")
    return ckpt
