"""``ingest_report.json``: per source and per file, values read / accepted / rejected by reason (reconciled)."""
from __future__ import annotations

from preprocessing.ingest.finalize import empty_counts
from oxygen_contracts.schema import VARIABLES


def _add(into: dict, counts: dict) -> None:
    for v in VARIABLES:
        a, b = into[v], counts[v]
        a["read"] += b["read"]
        a["accepted"] += b["accepted"]
        for r, n in b["rejected"].items():
            a["rejected"][r] = a["rejected"].get(r, 0) + n


def reconcile(counts: dict) -> list[str]:
    """Variables whose read != accepted + Σ rejected (must be empty)."""
    return [v for v, c in counts.items() if c["read"] != c["accepted"] + sum(c["rejected"].values())]


def build_report(recs: list[dict], results: dict, unmatched: list[str], n_rewritten: int) -> dict:
    """``recs``: staging records of every chunk; ``results``: chunk -> {"files", "counts": {file: counts}}."""
    total, by_source, files, failed = empty_counts(), {}, [], []
    for rec in recs:
        per_file = results[rec["chunk"]]["counts"]
        for f in rec["files"]:
            entry = {k: f[k] for k in ("source", "file", "reader", "status", "error", "problems")}
            entry.update(chunk=rec["chunk"], skipped=rec.get("skipped", False))
            if f["status"] == "ok":
                counts = per_file.get(f["file"], empty_counts())
                entry["counts"] = counts
                _add(total, counts)
                _add(by_source.setdefault(f["source"], empty_counts()), counts)
                bad = reconcile(counts)
                if bad:
                    raise AssertionError(f"{f['file']}: counts do not reconcile for {bad}")
            else:
                failed.append({"file": f["file"], "source": f["source"], "error": f["error"]})
            files.append(entry)
    problems = [p for rec in recs for f in rec["files"] for p in f["problems"]]
    return {
        "totals": total,
        "sources": dict(sorted(by_source.items())),
        "files": sorted(files, key=lambda e: (e["source"], e["file"])),
        "failed_files": failed,
        "problems": problems,
        "unmatched_inputs": unmatched,
        "n_files": len(files),
        "n_chunks": len(recs),
        "n_files_skipped_staging": sum(len(rec["files"]) for rec in recs if rec.get("skipped")),
        "n_chunks_rewritten": n_rewritten,
    }
