"""``ingest_report.json``: per source and per file, values read / accepted / rejected by reason (reconciled)."""
from __future__ import annotations

from preprocessing.ingest.finalize import empty_counts
from preprocessing.schema import VARIABLES


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
    total, by_source, files, failed = empty_counts(), {}, [], []
    for r in recs:
        entry = {k: r[k] for k in ("source", "file", "chunk", "reader", "status", "error", "problems", "skipped")}
        if r["status"] == "ok":
            counts = results[r["chunk"]]["counts"]
            entry["counts"] = counts
            _add(total, counts)
            _add(by_source.setdefault(r["source"], empty_counts()), counts)
            bad = reconcile(counts)
            if bad:
                raise AssertionError(f"{r['file']}: counts do not reconcile for {bad}")
        else:
            failed.append({"file": r["file"], "source": r["source"], "error": r["error"]})
        files.append(entry)
    problems = [p for r in recs for p in r["problems"]]
    return {
        "totals": total,
        "sources": dict(sorted(by_source.items())),
        "files": sorted(files, key=lambda e: (e["source"], e["file"])),
        "failed_files": failed,
        "problems": problems,
        "unmatched_inputs": unmatched,
        "n_files": len(recs),
        "n_files_skipped_staging": sum(1 for r in recs if r.get("skipped")),
        "n_chunks_rewritten": n_rewritten,
    }
