"""YAML configs mapped 1:1 onto dataclasses, validated before any work starts.

Every stage's config is a (nested) dataclass. :func:`load` reads YAML, rejects unknown keys and wrong types
with a one-line :class:`ConfigError` that names the file and the dotted key, and lets each dataclass check its
own invariants in ``__post_init__`` by raising ``ConfigError(key, message)``.
"""
from __future__ import annotations

import dataclasses
import os
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A bad config value. ``str()`` is one line naming the file (if known) and the dotted key."""

    def __init__(self, key: str, message: str, file: str | None = None):
        self.key, self.message, self.file = key, message, file
        super().__init__(self._text())

    def _text(self) -> str:
        where = f"{self.file}: " if self.file else ""
        return f"{where}config key '{self.key}': {self.message}"

    def in_file(self, file: str, prefix: str = "") -> "ConfigError":
        key = f"{prefix}.{self.key}" if prefix and self.key else (prefix or self.key)
        return ConfigError(key, self.message, self.file or file)


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {type(value).__name__}")
        return from_dict(tp, value, prefix=key)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        errors = []
        for a in args:
            if a is type(None):
                continue
            try:
                return _convert(a, value, key)
            except ConfigError as e:
                errors.append(e.message)
        raise ConfigError(key, "; ".join(errors))
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(key, f"expected a list, got {value!r}")
        args = typing.get_args(tp)
        item = args[0] if args else Any
        out = [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
        return tuple(out) if origin is tuple else out
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(key, f"expected a mapping, got {value!r}")
        kt, vt = typing.get_args(tp) or (Any, Any)
        return {_convert(kt, k, key): _convert(vt, v, f"{key}.{k}") for k, v in value.items()}
    if origin is typing.Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(key, f"must be one of {list(typing.get_args(tp))}, got {value!r}")
        return value
    if tp is Any:
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(key, f"expected a number, got {value!r}")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(key, f"expected an integer, got {value!r}")
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(key, f"expected true/false, got {value!r}")
        return value
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise ConfigError(key, f"expected a string, got {value!r}")
        return str(value)
    return value


def from_dict(cls: type[T], data: dict, prefix: str = "") -> T:
    """Build dataclass ``cls`` from a mapping; unknown keys and wrong types raise :class:`ConfigError`."""
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    kwargs = {}
    for k, v in (data or {}).items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if k not in fields:
            raise ConfigError(key, f"unknown key (known: {', '.join(sorted(fields))})")
        kwargs[k] = _convert(hints[k], v, key)
    try:
        return cls(**kwargs)
    except ConfigError as e:
        if prefix and not e.key.startswith(prefix):
            raise ConfigError(f"{prefix}.{e.key}", e.message) from None
        raise


def load(path: str | Path, cls: type[T], overrides: dict | None = None) -> T:
    """Read YAML ``path`` into ``cls``; ``overrides`` (dotted keys) are applied on top."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise ConfigError("", "config file not found", str(path)) from None
    except yaml.YAMLError as e:
        raise ConfigError("", f"not valid YAML ({str(e).splitlines()[0]})", str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError("", "top level must be a mapping", str(path))
    for dotted, value in (overrides or {}).items():
        node = data
        parts = dotted.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    try:
        return from_dict(cls, data)
    except ConfigError as e:
        raise e.in_file(str(path)) from None


def to_dict(obj: Any) -> Any:
    """Dataclass → plain dict (for manifests and run directories)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def resolve_path(path: str | None, config_file: str | None) -> str | None:
    """A path named inside a config: as given if it exists from the current directory, else relative to the
    config file's folder or one of its parents (so ``configs/cluster/local.yaml`` works from anywhere)."""
    if path is None or os.path.isabs(path) or os.path.exists(path) or config_file is None:
        return path
    here = Path(config_file).resolve().parent
    for base in (here, *here.parents[:3]):
        if (base / path).exists():
            return str(base / path)
    return path
