"""``oxygen-hpc check PARTITIONS_DIR``: verify every partition file against ``manifest.json``.

Per file: present, size and sha256 (the shared verified opener's ``file_problems``), schema version, every listed
partition's group with the contract's datasets and shapes, finite ``x``/``meta``/``edge_attr``, edge indices in
range, ``owned`` count, and halos: the year's full graph is the union of all its partitions' edges (each owned node
keeps all its in-edges), and every owned node's k-hop in-neighbourhood, with the in-edges of nodes closer than k,
must be inside its partition. A file that cannot be read (damaged HDF5) is one problem of that file, never the end
of the run: every file is checked. Prints one line per problem, naming the file; exit status 1 if any file is bad,
the manifest is unreadable or it says the partitioning did not finish (``complete: false``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from oxygen_contracts import schema
from oxygen_contracts.manifest import MANIFEST, ManifestError, PartitionManifest
from oxygen_contracts.partitions import dataset_shapes, file_problems


def _check_halo(groups: dict, hops: int) -> list[str]:
    """``groups``: zone -> (cell [N], owned [N], edge_index [2,E]). Problems as strings."""
    if not groups:
        return []
    key = lambda d, s: (d.astype(np.int64) << 32) | s.astype(np.int64)  # noqa: E731 (cell ids < 2**32)
    allk = np.unique(np.concatenate([key(g[0][g[2][1]], g[0][g[2][0]]) for g in groups.values()]))
    d_all, s_all = allk >> 32, allk & 0xFFFFFFFF
    problems = []
    for z, (cell, owned, ei) in groups.items():
        have = np.unique(cell)
        have_e = np.unique(key(cell[ei[1]], cell[ei[0]]))
        frontier = seen = np.unique(cell[owned])
        for h in range(hops):
            m = np.isin(d_all, frontier)
            miss = ~np.isin(allk[m], have_e)
            if miss.any():
                e = allk[m][miss][0]
                problems.append(f"{schema.zone_group(z)}: {int(miss.sum())} in-edge(s) of nodes {h} hop(s) from "
                                f"owned nodes missing (e.g. {e & 0xFFFFFFFF}->{e >> 32})")
                break
            nxt = np.setdiff1d(s_all[m], seen)
            lost = nxt[~np.isin(nxt, have)]
            if len(lost):
                problems.append(f"{schema.zone_group(z)}: halo incomplete, {len(lost)} node(s) {h + 1} hop(s) "
                                f"from owned nodes missing (e.g. cell {lost[0]})")
                break
            seen = np.union1d(seen, nxt)
            frontier = nxt
    return problems


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0] if text else ''}"


def _check_group(g, name: str, p: dict, man) -> tuple[list[str], tuple | None]:
    """Problems of one zone group, and its (cell, owned, edge_index) for the halo check when it is sound."""
    shapes = dataset_shapes(man, p)
    problems = [f"{name}/{ds}: missing" if ds not in g else f"{name}/{ds}: shape {g[ds].shape} != {shape}"
                for ds, shape in shapes.items() if ds not in g or g[ds].shape != shape]
    if problems:
        return problems, None
    for ds in ("x", "meta", "edge_attr"):
        if not np.isfinite(g[ds][()]).all():
            problems.append(f"{name}/{ds}: non-finite values")
    ei, owned, cell = g["edge_index"][()], g["owned"][()], g["cell"][()]
    if ei.size and (ei.min() < 0 or ei.max() >= p["n_nodes"]):
        return problems + [f"{name}/edge_index: indices outside [0, {p['n_nodes']})"], None
    if int(owned.sum()) != p["n_owned"]:
        problems.append(f"{name}/owned: {int(owned.sum())} owned != manifest {p['n_owned']}")
    return problems, (cell, owned.astype(bool), ei)


def check_file(root: Path, entry: dict, parts: list[dict], man: PartitionManifest | dict) -> list[str]:
    import h5py

    path = Path(root) / entry["file"]
    problems = file_problems(path, entry)
    if problems == ["missing"]:
        return problems
    groups = {}
    try:
        with h5py.File(path, "r") as f:
            if int(f.attrs.get("schema_version", -1)) != man["schema_version"]:
                problems.append(f"schema_version {f.attrs.get('schema_version')} != {man['schema_version']}")
            for p in parts:
                name = schema.zone_group(p["zone"])
                try:
                    if name not in f:
                        problems.append(f"{name}: group missing")
                        continue
                    found, sound = _check_group(f[name], name, p, man)
                except Exception as e:           # noqa: BLE001 (damaged HDF5: h5py raises KeyError, RuntimeError, …)
                    found, sound = [f"{name}: unreadable ({_first_line(e)})"], None
                problems += found
                if sound is not None:
                    groups[p["zone"]] = sound
    except Exception as e:                       # noqa: BLE001
        return problems + [f"cannot read as HDF5 ({_first_line(e)})"]
    try:
        return problems + _check_halo(groups, int(man["layers"]))
    except Exception as e:                       # noqa: BLE001 (values a damaged file made absurd)
        return problems + [f"halo check failed ({_first_line(e)})"]


def check_dir(root: str | Path) -> tuple[dict[str, list[str]], int]:
    """({file name: problems} of every bad file, empty = all good; files the manifest lists). A manifest that says
    the partitioning did not finish is a problem of ``manifest.json``; its files are still checked."""
    root = Path(root)
    try:
        man = PartitionManifest.read(root, require_complete=False)
    except ManifestError as e:
        return {MANIFEST: [str(e).removeprefix(f"{root / MANIFEST}: ")]}, 0
    bad = {}
    if not man.complete:
        bad[MANIFEST] = ["partitioning did not finish (complete: false); run `oxygen-hpc partition` again"]
    for entry in man["files"]:
        parts = [p for p in man["partitions"] if p["year"] == entry["year"]]
        problems = check_file(root, entry, parts, man)
        if problems:
            bad[entry["file"]] = problems
    listed = {e["file"] for e in man["files"]}
    for p in sorted(root.glob("year=*.h5")):
        if p.name not in listed:
            bad[p.name] = ["not listed in the manifest"]
    return bad, len(listed)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="oxygen-hpc check", description="verify partitions against their manifest")
    ap.add_argument("partitions_dir")
    args = ap.parse_args(argv)
    bad, n = check_dir(args.partitions_dir)
    for name, problems in bad.items():
        for p in problems:
            print(f"BAD {Path(args.partitions_dir) / name}: {p}")
    n_bad = len([b for b in bad if b != MANIFEST])
    good = n - len([b for b, probs in bad.items() if b != MANIFEST and probs != ["not listed in the manifest"]])
    note = f"; {MANIFEST}: {bad[MANIFEST][0]}" if MANIFEST in bad else ""
    print(f"check: {good} of {n} files good, {n_bad} bad in {args.partitions_dir}{note}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
