"""Reading a checkpoint someone else wrote, without letting it choose code to run.

A checkpoint is data from others. :func:`read_checkpoint` loads it with ``torch.load(weights_only=True)`` (tensors
and plain containers; a pickled object is refused, never unpickled). :func:`load_task` then builds the task from
the checkpoint's hyper-parameters, keeping only the task's own constructor arguments: Lightning's ``_instantiator``
and ``_class_path``, and the checkpoint's own ``allowed_models``, are dropped; the network class must be one of
the project's models or in the caller's ``allowed_models`` (``task.resolve_class``). Every failure is a
:class:`CheckpointError` whose message names the file. ``OxyTask.load_from_checkpoint`` and ``predict`` use this;
a resumed ``fit`` builds its task from the config and has Lightning restore the state with ``weights_only=True``
(``training.resume``).
"""
from __future__ import annotations

import inspect
import math
import pickle
from pathlib import Path
from typing import Any, Sequence

import torch

from oxygen_hpc.training.task import ModelClassError, resolve_class

DROPPED = ("allowed_models",)          # hyper-parameters never taken from a checkpoint
MAX_DIM = 1 << 20                       # a feature/zone count beyond this is not a partition's


class CheckpointError(ValueError):
    """A checkpoint that cannot be read safely or does not hold a task of this project (names the file)."""


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict:
    """The checkpoint's content as tensors and plain data (``weights_only``), with a state dict and
    hyper-parameters."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: a directory (a DeepSpeed checkpoint?): convert it to one file first "
                              "(lightning's convert_zero_checkpoint_to_fp32_state_dict)")
    try:
        ck = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        raise CheckpointError(f"{path}: refused: it holds pickled objects, not only tensors and plain data "
                              f"({str(e).strip().splitlines()[-1][:200]}); checkpoints are never unpickled") from None
    except Exception as e:                       # noqa: BLE001 (truncated zip, not a checkpoint, I/O error, …)
        raise CheckpointError(f"{path}: not a readable checkpoint ({_first_line(e)})") from None
    if not isinstance(ck, dict) or not isinstance(ck.get("state_dict"), dict) \
            or not isinstance(ck.get("hyper_parameters"), dict):
        raise CheckpointError(f"{path}: not a task checkpoint of this project (no state_dict and "
                              "hyper_parameters)")
    return ck


def _dim_ok(v) -> bool:
    """A count or switch (int, bool) or a scale (a finite float, e.g. the background's ``target_std``)."""
    if isinstance(v, (bool, int)):
        return 0 <= v <= MAX_DIM
    return isinstance(v, float) and math.isfinite(v) and 0.0 < v <= MAX_DIM


def _check_dims(path: Path, dims) -> None:
    if dims is None:
        return
    if not isinstance(dims, dict) or not all(isinstance(k, str) and _dim_ok(v) for k, v in dims.items()):
        raise CheckpointError(f"{path}: hyper_parameters.dims must map names to counts, switches or positive "
                              f"scales, got {dims!r:.200}")


def load_task(cls, path: str | Path, allowed_models: Sequence[str] = (), map_location: Any = "cpu",
              strict: bool = True, **overrides):
    """``cls`` (a LightningModule such as ``OxyTask``) rebuilt from the checkpoint at ``path`` with its weights.

    Args:
        cls: the task class; only its ``__init__`` arguments are read from the hyper-parameters.
        path: the checkpoint file.
        allowed_models: class paths outside ``oxygen_hpc.models`` the CALLER allows (the checkpoint's own list is
            ignored).
        map_location: as ``torch.load``.
        strict: the state dict must match exactly.
        overrides: constructor arguments that replace the checkpoint's.
    """
    path = Path(path)
    ck = read_checkpoint(path, map_location)
    params = inspect.signature(cls.__init__).parameters
    kwargs = {k: v for k, v in ck["hyper_parameters"].items()
              if isinstance(k, str) and k in params and k != "self" and k not in DROPPED}
    kwargs.update(overrides)
    if "model" not in kwargs:
        raise CheckpointError(f"{path}: hyper_parameters name no model (not a task checkpoint of this project)")
    if kwargs.get("dims") is None:
        raise CheckpointError(f"{path}: hyper_parameters.dims missing (the network cannot be built without data)")
    _check_dims(path, kwargs["dims"])
    try:
        resolve_class(kwargs["model"], allowed_models)
    except ValueError as e:
        raise CheckpointError(f"{path}: {e}") from None
    try:
        task = cls(**kwargs, allowed_models=list(allowed_models))
        task.load_state_dict(ck["state_dict"], strict=strict)
    except ModelClassError as e:
        raise CheckpointError(f"{path}: {e}") from None
    except (TypeError, ValueError, RuntimeError, KeyError) as e:
        raise CheckpointError(f"{path}: does not hold a {cls.__name__} this code can rebuild "
                              f"({_first_line(e)[:300]})") from None
    return task
