"""Collect a sweep's results: ``DIR/report.csv``, ``DIR/report.md`` and a table printed best first.

Each run ``DIR/runs/<i>/`` has ``metrics.json`` (flat final metrics written by the program) and
``sweep_status.json`` (written by ``run-task``). A run's state is

* ``ok``       exit 0 and metrics.json present
* ``failed``   non-zero exit (its metrics, if any, are shown but it is not ranked)
* ``no-metrics`` exit 0 but no readable metrics.json, or the spec's metric missing from it
* ``running``  started, not finished (or killed without a chance to record its end)
* ``missing``  never started

Only ``ok`` runs with the spec's metric are ranked; every other run is listed below them, never dropped.
"""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from oxygen_hpc.sweep.plan import format_value
from oxygen_hpc.sweep.store import STATUS, load


def _read_json(path: Path) -> tuple[dict | None, str | None]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as e:
        return None, f"{path.name} unreadable: {e}"
    return (data, None) if isinstance(data, dict) else (None, f"{path.name} is not a JSON object")


def collect(sweep_dir: str | Path) -> tuple[dict, list[dict]]:
    data = load(sweep_dir)
    metric = (data.get("metric") or {}).get("name")
    rows = []
    for t in data["tasks"]:
        run = Path(t["run_dir"])
        status, serr = _read_json(run / STATUS)
        metrics, merr = _read_json(run / "metrics.json")
        row = {"index": t["index"], "state": "missing", "exit_code": None, "note": serr or merr or "",
               "params": t["overrides"], "metrics": metrics or {}}
        if status is not None:
            row["exit_code"] = status.get("exit_code")
            state = status.get("state")
            if state == "running":
                row["state"] = "running"
            elif state == "failed" or row["exit_code"] not in (0, None):
                row["state"] = "failed"
                row["note"] = status.get("error") or f"exit code {row['exit_code']}"
                if row["exit_code"] is not None and row["exit_code"] < 0:
                    row["note"] = f"killed by signal {-row['exit_code']}"
            elif metrics is None:
                row["state"], row["note"] = "no-metrics", merr or "no metrics.json"
            elif metric and not _number(metrics.get(metric)):
                row["state"], row["note"] = "no-metrics", f"metric '{metric}' missing or not a number"
            else:
                row["state"] = "ok"
        elif metrics is not None:  # a program run outside run-task (e.g. by hand) still counts
            row["state"] = "ok" if not metric or _number(metrics.get(metric)) else "no-metrics"
        rows.append(row)
    return data, rows


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def rank(data: dict, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """(ranked ok rows best first, every other row in index order)."""
    m = data.get("metric") or {}
    name, maximize = m.get("name"), m.get("goal", "minimize") == "maximize"
    ok = [r for r in rows if r["state"] == "ok"]
    if name:
        ok.sort(key=lambda r: (-r["metrics"][name] if maximize else r["metrics"][name], r["index"]))
    return ok, [r for r in rows if r["state"] != "ok"]


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return "" if v is None else format_value(v)


def table(data: dict, rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    params = data.get("parameters") or []
    mname = (data.get("metric") or {}).get("name")
    mcols = sorted({k for r in rows for k in r["metrics"]} - {mname})
    header = ["rank", "run", "state", *([mname] if mname else []), *mcols, *params, "note"]
    ok, rest = rank(data, rows)
    body = []
    for pos, r in enumerate(ok + rest, 1):
        vals = [str(pos) if r["state"] == "ok" else "-", str(r["index"]), r["state"]]
        vals += [_cell(r["metrics"].get(c)) for c in ([mname] if mname else []) + mcols]
        vals += [_cell(r["params"].get(p)) for p in params] + [r["note"]]
        body.append(vals)
    return header, body


def _md_escape(s: str) -> str:
    return s.replace("|", "\\|").replace("\n", "\\n")


def report(sweep_dir: str | Path) -> str:
    """Write report.csv and report.md and return the text to print."""
    sweep_dir = Path(sweep_dir)
    data, rows = collect(sweep_dir)
    header, body = table(data, rows)
    with open(sweep_dir / "report.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(body)
    m = data.get("metric") or {}
    counts = {s: sum(r["state"] == s for r in rows) for s in ("ok", "failed", "no-metrics", "running", "missing")}
    summary = f"sweep {data['name']}: {data['n']} runs, " + ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    if m.get("name"):
        summary += f"; ranked by {m['name']} ({m.get('goal', 'minimize')})"
    if data.get("mode") == "wandb":
        summary += f"; W&B sweep {data['wandb']['path']}: metrics are on the W&B server, states here are the agents'"
    md = [f"# Sweep `{data['name']}`", "", summary, "", "| " + " | ".join(map(_md_escape, header)) + " |",
          "|" + "---|" * len(header)]
    md += ["| " + " | ".join(map(_md_escape, r)) + " |" for r in body]
    bad = [r for r in rows if r["state"] != "ok"]
    if bad:
        md += ["", "## Runs without a result", ""]
        md += [f"- run {r['index']}: {r['state']}" + (f" ({_md_escape(r['note'])})" if r["note"] else "")
               for r in bad]
    (sweep_dir / "report.md").write_text("\n".join(md) + "\n")
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(header)]
    lines = [summary, "  ".join(h.ljust(w) for h, w in zip(header, widths))]
    lines += ["  ".join(c.replace("\n", "\\n").ljust(w) for c, w in zip(r, widths)) for r in body]
    if bad:
        lines.append("not ranked: " + ", ".join(f"run {r['index']} {r['state']}" for r in bad))
    lines.append(f"written: {sweep_dir / 'report.csv'}, {sweep_dir / 'report.md'}")
    return "\n".join(lines)
