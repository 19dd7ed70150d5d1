"""The contracts both sides share: the preprocessing stages (``preprocessing``) and the learning side
(``oxygen_hpc``) import these modules and never each other's internals.

- :mod:`oxygen_contracts.schema` — store columns, reason codes, partition dataset names, constants;
- :mod:`oxygen_contracts.grid` — :class:`~oxygen_contracts.grid.GridSpec` (``to_dict`` / ``from_dict``);
- :mod:`oxygen_contracts.config` — YAML → dataclass loader with one-line :class:`~oxygen_contracts.config.ConfigError`;
- :mod:`oxygen_contracts.hashing` — file hashing;
- :mod:`oxygen_contracts.manifest` — the one reader of a partitions folder's ``manifest.json``;
- :mod:`oxygen_contracts.partitions` — the one verified opener of partition files (size, sha256, structure).

This package imports neither side and no torch or Dask (an import-linter contract in the test suite checks it);
workers on both sides can import it cheaply (numpy, pyyaml, h5py only).
"""
