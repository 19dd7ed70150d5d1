"""``oxygen-hpc check PARTITIONS_DIR``: verify every partition file against ``manifest.json``.

Per file: present, sha256 and size, schema version, every listed partition's group with the contract's datasets
and shapes, finite ``x``/``meta``/``edge_attr``, edge indices in range, ``owned`` count, and halos: the year's
full graph is the union of all its partitions' edges (each owned node keeps all its in-edges), and every owned
node's k-hop in-neighbourhood, with the in-edges of nodes closer than k, must be inside its partition.
Prints one line per problem, naming the file; exit status 1 if any file is bad.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from oxygen_contracts import schema
from oxygen_contracts.hashing import sha256_file
from oxygen_contracts.manifest import MANIFEST, ManifestError, PartitionManifest


def _shapes(n: int, e: int, f: int, m: int, d: int) -> dict:
    L = schema.SERIES_LEN
    return {"x": (n, f), "meta": (n, m), "series": (n, L), "series_mask": (n, L), "series_fold": (n, L),
            "y": (n,), "y_count": (n,), "fold": (n,), "nutrients": (n, 2), "nutrients_fold": (n,), "cell": (n,),
            "owned": (n,), "edge_index": (2, e), "edge_attr": (e, d)}


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


def check_file(root: Path, entry: dict, parts: list[dict], man: PartitionManifest | dict) -> list[str]:
    import h5py

    path = root / entry["file"]
    if not path.is_file():
        return ["missing"]
    problems = []
    if path.stat().st_size != entry["bytes"]:
        problems.append(f"size {path.stat().st_size} != manifest {entry['bytes']}")
    if sha256_file(path) != entry["sha256"]:
        problems.append("sha256 does not match the manifest")
    f_, m_, d_ = len(man["feature_names"]), len(man["meta_names"]), len(man["edge_feature_names"])
    groups = {}
    try:
        with h5py.File(path, "r") as f:
            if int(f.attrs.get("schema_version", -1)) != man["schema_version"]:
                problems.append(f"schema_version {f.attrs.get('schema_version')} != {man['schema_version']}")
            for p in parts:
                name = schema.zone_group(p["zone"])
                if name not in f:
                    problems.append(f"{name}: group missing")
                    continue
                g = f[name]
                for ds, shape in _shapes(p["n_nodes"], p["n_edges"], f_, m_, d_).items():
                    if ds not in g:
                        problems.append(f"{name}/{ds}: missing")
                    elif g[ds].shape != shape:
                        problems.append(f"{name}/{ds}: shape {g[ds].shape} != {shape}")
                if any(ds not in g or g[ds].shape != s for ds, s in
                       _shapes(p["n_nodes"], p["n_edges"], f_, m_, d_).items()):
                    continue
                for ds in ("x", "meta", "edge_attr"):
                    if not np.isfinite(g[ds][()]).all():
                        problems.append(f"{name}/{ds}: non-finite values")
                ei, owned, cell = g["edge_index"][()], g["owned"][()], g["cell"][()]
                if ei.size and (ei.min() < 0 or ei.max() >= p["n_nodes"]):
                    problems.append(f"{name}/edge_index: indices outside [0, {p['n_nodes']})")
                    continue
                if int(owned.sum()) != p["n_owned"]:
                    problems.append(f"{name}/owned: {int(owned.sum())} owned != manifest {p['n_owned']}")
                groups[p["zone"]] = (cell, owned, ei)
    except OSError as e:
        return problems + [f"cannot open as HDF5 ({str(e).splitlines()[0]})"]
    return problems + _check_halo(groups, int(man["layers"]))


def check_dir(root: str | Path) -> dict[str, list[str]]:
    """{file name: problems} for every bad file (empty dict = all good)."""
    root = Path(root)
    try:
        man = PartitionManifest.read(root, require_complete=False)
    except ManifestError as e:
        return {MANIFEST: [str(e)]}
    bad = {}
    for entry in man["files"]:
        parts = [p for p in man["partitions"] if p["year"] == entry["year"]]
        problems = check_file(root, entry, parts, man)
        if problems:
            bad[entry["file"]] = problems
    listed = {e["file"] for e in man["files"]}
    for p in sorted(root.glob("year=*.h5")):
        if p.name not in listed:
            bad[p.name] = ["not listed in the manifest"]
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="oxygen-hpc check", description="verify partitions against their manifest")
    ap.add_argument("partitions_dir")
    args = ap.parse_args(argv)
    bad = check_dir(args.partitions_dir)
    for name, problems in bad.items():
        for p in problems:
            print(f"BAD {Path(args.partitions_dir) / name}: {p}")
    try:
        n = len(PartitionManifest.read(args.partitions_dir, require_complete=False).files)
    except ManifestError:
        n = 0
    print(f"check: {n - len([b for b in bad if b != MANIFEST])} of {n} files good, {len(bad)} bad "
          f"in {args.partitions_dir}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
