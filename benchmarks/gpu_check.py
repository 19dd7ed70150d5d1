"""`make gpu-check`: the GPU path of oxygen_hpc checked and measured on one GPU in one command (< 8 min, H100).

1. the environment (device, versions; an mpi4py that cannot load MPI is hidden, see ``hide_unusable_mpi4py``);
2. training throughput on one 1° zone-year partition (45,000 nodes, 300,000 edges, 3 % labelled): labelled nodes/s
   and peak GPU memory, fp32 and bf16, whole partition and ``fit_subgraph``, the step as ``fit`` runs it
   (``benchmarks/gpu_step.py``);
3. ``pytest -m gpu`` in a child process (fit through the CLI with DDP bf16 and DeepSpeed ZeRO-2 bf16, a DeepSpeed
   checkpoint loaded for predict, a deterministic mid-epoch resume, predict fp32 vs bf16, the deterministic
   aggregate), while this process builds the 1° x 33-level partitions of step 4;
4. inference throughput at 1° x 33 WOA levels (``Predictor`` end to end, NetCDF writing included), fp32 and bf16,
   and the 1.5e8-cell century extrapolated (target: under 60 s on one H100).
Within ``--budget-s`` (440 s): the tests get what is left but 90 s kept for step 4; a phase with no time left is
skipped and reported. Prints one table and writes ``gpu_check.json`` (again after every phase, so a cut-off run
keeps what it measured), ``gpu_tests.log`` and ``gpu_tests.xml`` to ``--out`` (default ``$OUT``, else
``runs/gpu_check``).

    bash benchmarks/gpu_check.sh                                # on a GPU machine (make gpu-check): wheels + this
    .venv/bin/python benchmarks/gpu_check.py --cpu --out /tmp/x # tiny inputs on this CPU; pytest only collects
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "benchmarks"), str(REPO)]
GPU_SIZES = dict(nodes=45_000, edges=300_000, steps=10, warmup=3, res=1.0, levels=33, years=2, rows=20_000, workers=8)
CPU_SIZES = dict(nodes=2_000, edges=12_000, steps=2, warmup=1, res=15.0, levels=4, years=1, rows=500, workers=0)


def environment(device: torch.device) -> dict:
    env = {"python": platform.python_version(), "torch": torch.__version__, "cuda": torch.version.cuda,
           "device": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or "cpu"}
    if device.type == "cuda":
        env["gpu_memory_gib"] = round(torch.cuda.get_device_properties(device).total_memory / 2**30, 1)
    import importlib.metadata as md

    for dist in ("pytorch-lightning", "torch-geometric", "torchmetrics", "deepspeed", "wandb", "netCDF4", "h5py",
                 "dask", "jsonargparse", "mpi4py"):
        try:
            env[dist] = md.version(dist)            # not imported: the check imports only what it runs
        except md.PackageNotFoundError:
            env[dist] = "missing"
    return env


def hide_unusable_mpi4py(work: Path) -> str:
    """Lightning probes ``from mpi4py import MPI`` when it builds a Trainer; mpi4py >= 4 raises RuntimeError (not
    ImportError, which Lightning expects) where no MPI library can be loaded, and every Trainer fails. If that is
    so here, put a stand-in ``mpi4py`` that raises ImportError first on the path of this run and its children."""
    r = subprocess.run([sys.executable, "-c", "from mpi4py import MPI"], capture_output=True, text=True, timeout=120)
    if r.returncode == 0:
        return "ok"
    if "No module named 'mpi4py'" in r.stderr:
        return "absent"
    shim = work / "mpi4py_shim"
    (shim / "mpi4py").mkdir(parents=True, exist_ok=True)
    (shim / "mpi4py" / "__init__.py").write_text(
        'raise ImportError("mpi4py hidden by benchmarks/gpu_check.py: it cannot load an MPI library here")\n')
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")]))
    sys.path.insert(0, str(shim))
    reason = (r.stderr.strip().splitlines() or ["?"])[-1]
    return f"unusable, hidden for this check ({reason[:120]})"


def gpu_test_files() -> list[str]:
    """Every test module that has a test marked gpu."""
    return sorted(str(p.relative_to(REPO)) for p in (REPO / "tests").rglob("test_*.py")
                  if "mark.gpu" in p.read_text(errors="replace"))


def start_tests(out: Path, cpu: bool) -> tuple[subprocess.Popen, list[str], float]:
    """``pytest -m gpu`` in a child process (the partitions of the inference phase are built meanwhile)."""
    files = gpu_test_files()
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-p", "no:cacheprovider", "-q", "-rfE",
           f"--junitxml={out / 'gpu_tests.xml'}", *files]
    if cpu:                          # no CUDA here: check that the gpu tests import and collect
        cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-p", "no:cacheprovider", "-q", "--collect-only", *files]
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    if not cpu:
        env["DS_ACCELERATOR"] = "cuda"          # DeepSpeed's choice, not left to detection
    if importlib.util.find_spec("wandb") is None:   # not carried by default (fetch_wheels.sh WITH_WANDB=1)
        env["WANDB_MODE"] = "disabled"
    log = open(out / "gpu_tests.log", "w")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    log.close()
    return proc, files, time.perf_counter()


def finish_tests(started: tuple[subprocess.Popen, list[str], float], out: Path, timeout: float) -> dict:
    proc, files, t0 = started
    try:
        rc = proc.wait(timeout=max(timeout, 1.0))
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)                  # pytest and the fits it started
        proc.wait()
        rc = -1
        with open(out / "gpu_tests.log", "a") as f:
            f.write(f"\n[gpu_check] pytest stopped after {time.perf_counter() - t0:.0f} s (budget)\n")
    log = (out / "gpu_tests.log").read_text(errors="replace")
    counts = {k: int(n) for n, k in re.findall(
        r"(\d+)(?:/\d+)? (passed|failed|errors?|skipped|deselected|tests? collected)", log)}
    res = {"files": files, "returncode": rc, "seconds": time.perf_counter() - t0, "counts": counts,
           "failures": re.findall(r"^(?:FAILED|ERROR) (\S+)", log, re.M)}
    print(f"tests: rc {rc}, {counts}, {res['seconds']:.0f} s" + (f"; failed: {res['failures']}" if res["failures"]
                                                                  else ""), flush=True)
    return res


def table(report: dict) -> str:
    lines = [f"gpu-check on {report['env'].get('device')} | torch {report['env'].get('torch')} | "
             f"{'CPU mode (tiny inputs)' if report['cpu_mode'] else 'GPU'} | {report.get('wall_s', 0):.0f} s"]
    fmt = "{:<10} {:<28} {:>18} {:>20}"
    lines.append(fmt.format("section", "case", "figure", "detail"))
    for r in report.get("train", {}).get("rows", []):
        lines.append(fmt.format("train", f"{r['graph']} {r['precision']}", f"{r['labelled_per_s']:,.0f} lab/s",
                                f"peak {r['peak_mb']:,.0f} MB"))
    inf = report.get("infer", {})
    for r in inf.get("rows", []):
        lines.append(fmt.format("infer", f"{inf['grid'][:18]} {r['precision']}", f"{r['cells_per_s']:,.0f} cells/s",
                                f"century {r['century_s']:,.0f} s"))
    t = report.get("tests", {})
    if t:
        lines.append(fmt.format("tests", "pytest -m gpu" + (" (collect)" if report["cpu_mode"] else ""),
                                ", ".join(f"{v} {k}" for k, v in t["counts"].items()) or f"rc {t['returncode']}",
                                f"{t['seconds']:.0f} s"))
    for phase, err in report.get("errors", {}).items():
        lines.append(fmt.format(phase, "ERROR", err.splitlines()[-1][:60], ""))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", action="store_true", help="tiny inputs on the CPU (make test runs this)")
    ap.add_argument("--out", default=os.environ.get("OUT") or str(REPO / "runs" / "gpu_check"))
    ap.add_argument("--work", default="/tmp/oxygen_gpu_check", help="partitions and scratch (reused)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["train", "infer", "tests"])
    ap.add_argument("--budget-s", type=float, default=440.0,
                    help="seconds for the whole check: the tests get what is left; a phase without time is skipped")
    a = ap.parse_args(argv)
    t_start = time.perf_counter()
    out, work = Path(a.out), Path(a.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    if not a.cpu and not torch.cuda.is_available():
        print("gpu_check: torch.cuda.is_available() is False; use --cpu on a machine without a GPU", file=sys.stderr)
        return 2
    device = torch.device("cpu") if a.cpu else torch.device("cuda", 0)
    if a.cpu:
        torch.set_num_threads(1)
    sizes = argparse.Namespace(**(CPU_SIZES if a.cpu else GPU_SIZES))
    mpi = hide_unusable_mpi4py(work)
    report: dict = {"cpu_mode": a.cpu, "env": {**environment(device), "mpi4py": mpi}, "sizes": vars(sizes),
                    "errors": {}}
    print("environment: " + json.dumps(report["env"]), flush=True)

    def save():
        report["wall_s"] = time.perf_counter() - t_start
        (out / "gpu_check.json").write_text(json.dumps(report, indent=1))

    from gpu_step import infer_build, infer_rows, train_rows

    def phase(name: str, fn, min_left: float = 60.0):
        """Run one phase unless skipped or out of time; a failure is recorded and the check goes on."""
        if name in a.skip:
            return None
        if a.budget_s - (time.perf_counter() - t_start) < min_left:
            report["errors"][name] = f"skipped: less than {min_left:.0f} s of the {a.budget_s:.0f} s budget left"
            return None
        try:
            return fn()
        except Exception:                                       # noqa: BLE001 — report it, go on
            report["errors"][name] = traceback.format_exc()
            print(f"{name} failed:\n{report['errors'][name]}", file=sys.stderr, flush=True)
            return None
        finally:
            if device.type == "cuda":
                torch.cuda.empty_cache()
            save()

    report["train"] = phase("train", lambda: {"rows": train_rows(sizes, device, REPO)}) or {}
    tests = phase("tests", lambda: start_tests(out, a.cpu))      # runs while the inference partitions are built
    built = phase("infer", lambda: infer_build(sizes, work), min_left=120.0)
    if tests is not None:
        reserve = 90.0 if built is not None else 10.0          # the inference measurement after the tests
        report["tests"] = finish_tests(tests, out, a.budget_s - (time.perf_counter() - t_start) - reserve)
        save()
    if built is not None:
        report["infer"] = phase("infer", lambda: infer_rows(sizes, device, built), min_left=30.0) or {}
    save()
    print("\n" + table(report) + f"\n-> {out / 'gpu_check.json'}", flush=True)
    tests = report.get("tests", {})
    ok = not report["errors"] and (not tests or tests.get("returncode") == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
