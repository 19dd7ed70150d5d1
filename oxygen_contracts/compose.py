"""Composed YAML configs (the training configs use it): a run config names the shared pieces it builds on and says only what it changes.

A train YAML may start with ``extends: [piece.yaml, ...]`` (paths relative to that file; pieces may extend others).
The pieces are merged in order, then the file's own keys on top:

- mappings merge key by key, at every depth (``model.init_args.model.init_args.zoning: discrete`` changes that one
  value and keeps the rest of the network's arguments);
- a mapping that names a different ``class_path`` than the one it lands on replaces it whole (the old class's
  ``init_args`` would not fit the new class);
- lists and scalars replace (``trainer.callbacks: []`` removes the pieces' callbacks).

``oxygen-hpc fit --config RUN.yaml`` composes before LightningCLI parses (:func:`expand_argv`), so the CLI, the
Slurm scripts, the sweeps and the OSSE benchmark all see the same resolved config; ``--print_config`` shows it.
This is LightningCLI's repeated ``--config`` stacking, written down in the file that depends on it, plus the deep
merge that jsonargparse does not do for plain mappings (``OxyTask.model`` is one).
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

EXTENDS = "extends"


class ComposeError(ValueError):
    """A config that cannot be composed; the message names the file."""


def merge(base: Any, over: Any) -> Any:
    """``over`` merged onto ``base`` by the rules in the module docstring (inputs are not modified)."""
    if isinstance(base, dict) and isinstance(over, dict):
        if "class_path" in over and over.get("class_path") != base.get("class_path"):
            return copy.deepcopy(over)
        out = copy.deepcopy(base)
        for k, v in over.items():
            out[k] = merge(base[k], v) if k in base else copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def read_own(path: str | Path) -> tuple[dict, list[Path]]:
    """(the file's own keys without ``extends``, the resolved paths it extends)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as e:
        raise ComposeError(f"{path} not readable: {e.strerror}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as e:
        raise ComposeError(f"{path} is not valid YAML: {str(e).splitlines()[0]}") from None
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ComposeError(f"{path}: top level must be a mapping")
    bases = data.pop(EXTENDS, None) or []
    if isinstance(bases, str):
        bases = [bases]
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise ComposeError(f"{path}: '{EXTENDS}' must be a file name or a list of file names")
    return data, [(path.parent / b).resolve() for b in bases]


def compose(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict:
    """The fully composed config of ``path`` (no ``extends`` key left)."""
    path = Path(path).resolve()
    if path in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path))
        raise ComposeError(f"{path}: '{EXTENDS}' cycle ({chain})")
    own, bases = read_own(path)
    out: dict = {}
    for b in bases:
        out = merge(out, compose(b, (*_seen, path)))
    return merge(out, own)


def has_extends(path: str | Path) -> bool:
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(data, dict) and EXTENDS in data


_FIRST, _LATER = object(), object()
DEEP = ("model.init_args.model.",)   # plain mappings (OxyTask.model): jsonargparse cannot set keys inside them


def set_path(config: dict, dotted: str, value) -> None:
    """Set ``value`` at the dotted path of ``config``, creating mappings on the way."""
    node = config
    *head, last = dotted.split(".")
    for k in head:
        nxt = node.get(k)
        if not isinstance(nxt, dict):
            nxt = node[k] = {}
        node = nxt
    node[last] = value


def _is_file(value: str) -> bool:
    """Whether ``value`` names a file (a config may also be given as its YAML text, too long for a path)."""
    try:
        return "\n" not in value and Path(value).is_file()
    except OSError:
        return False


def _load(value: str) -> dict:
    if _is_file(value):
        return compose(value)
    data = yaml.safe_load(value)
    if not isinstance(data, dict):
        raise ComposeError(f"--config {value[:60]!r}: neither a file nor a YAML mapping")
    return data


def expand_argv(argv: list[str]) -> list[str]:
    """LightningCLI arguments with the configs composed.

    Each ``--config FILE`` whose file uses ``extends`` becomes ``--config <composed YAML text>`` (jsonargparse takes
    a config either as a path or as the YAML text itself); other arguments are untouched, so later ``--config``
    files and ``--key=value`` overrides still apply on top, in order. Overrides inside a plain mapping (``DEEP``:
    ``--model.init_args.model.init_args.hidden=64``, the network's arguments) would be set beside ``init_args`` by
    jsonargparse, so they are applied here: every ``--config`` is merged in order (:func:`merge`), the overrides
    set on the result (values parsed as YAML), and one ``--config`` with the merged text stands where the first
    one stood."""
    configs, deep, rest, i = [], [], [], 0
    while i < len(argv):
        a = argv[i]
        key, val, step = None, None, 1
        if a.startswith("--") and "=" in a:
            key, val = a[2:].split("=", 1)
        elif a.startswith("--") and i + 1 < len(argv) and (a == "--config" or a[2:].startswith(DEEP)):
            key, val, step = a[2:], argv[i + 1], 2
        if key == "config":
            configs.append(val)
            rest.append(_FIRST if len(configs) == 1 else _LATER)      # where the (merged) configs go
        elif key is not None and key.startswith(DEEP):
            deep.append((key, val))
        else:
            rest.extend(argv[i:i + step])
        i += step
    if deep and not configs:
        raise ComposeError(f"--{deep[0][0]}: an override inside the network's arguments needs a --config to apply to")
    if not deep:
        out = []
        for v in configs:
            out += ["--config", yaml.safe_dump(compose(v), sort_keys=False)
                    if _is_file(v) and has_extends(v) else v]
        merged_iter = iter(out[k:k + 2] for k in range(0, len(out), 2))
        return [t for a in rest for t in (next(merged_iter) if a is _FIRST or a is _LATER else [a])]
    merged: dict = {}
    for v in configs:
        merged = merge(merged, _load(v))
    for key, val in deep:
        set_path(merged, key, yaml.safe_load(val))
    text = yaml.safe_dump(merged, sort_keys=False)
    return [t for a in rest if a is not _LATER for t in (["--config", text] if a is _FIRST else [a])]
