"""Ingest benchmark: per format, reader rows/s per core and bytes/s beside a plain read of the same bytes; the
full stage task per chunk; end-to-end ``oxygen-hpc ingest`` with 1 and 2 workers; peak RSS per worker for N and
4N files.

Builds (once, in ``--workdir``) the synthetic set of ``configs/synthetic/bench.yaml`` with ``oxygen-hpc synth``
(scale 0.65: ~11 M (cast, level) rows, all five formats). Then, per format, chunk by chunk as ingest groups them
and with the order of the three measurements rotated from one chunk to the next (2 shared cores: noise lands on
all three alike), it times

  (a) reader   the format's reader alone (``read``/``iter_read``), every file of the chunk;
  (b) stage    ``stage_chunk``: route + read + common QC + staged Parquet + cast summary;
  (c) plain    the same bytes read plainly: netCDF4 reading every variable into numpy (netCDF), or
               ``pyarrow.csv.read_csv`` of the whole file, single-threaded (CSV).

Rates are per core: everything runs in this one process, single-threaded; "cpu" rates divide by the process's CPU
seconds (robust to other load on the machine), "wall" by elapsed seconds. The files are read once beforehand so
all three meet the page cache alike, and all three run once, untimed, on the first file (lazy imports and first
calls are not charged to the first chunk). ``--repeat N`` runs each chunk's three measurements N times (order
rotated) and keeps the fastest of each: on a shared machine the minimum is the least disturbed figure.
``--formats wod,glodap`` measures only those sources.

    .venv/bin/python benchmarks/ingest.py --workdir /tmp/ibench --out results.json
    .venv/bin/python benchmarks/ingest.py --workdir /tmp/ibench --formats wod,glodap --repeat 3 --no-e2e --mem-files 0
    .venv/bin/python benchmarks/ingest.py --workdir /tmp/ib-small --scale 0.02 --no-e2e --mem-files 5   # quick
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCES = ("wod", "glodap", "cchdo", "argo", "geotraces")


def synth(workdir: Path, config: str, scale: float | None) -> Path:
    out = workdir / "set"
    if (out / "summary.json").exists():
        return out
    cmd = [str(REPO / ".venv/bin/oxygen-hpc"), "synth", "--config", config, "--out", str(out), "--quiet"]
    if scale is not None:
        cmd += ["--scale", str(scale)]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return out


# -- plain reads -------------------------------------------------------------------------------------------------

def plain_netcdf(path: str) -> int:
    import netCDF4

    n = 0
    with netCDF4.Dataset(path) as ds:
        for v in ds.variables.values():
            n += v[:].nbytes
    return n


def _csv_layout(path: str) -> tuple[int, int]:
    """(lines before the column-names line, lines after it that are not data) for exchange-style headers."""
    skip = 0
    with open(path, "rb") as fh:
        for line in fh:
            s = line.strip()
            if s.startswith((b"#", b"//")) or (skip == 0 and s.count(b",") < 2 and s.count(b"\t") < 2):
                skip += 1
                continue
            break
        units = fh.readline()
    # a CCHDO units line starts with commas (no value under EXPOCODE)
    return skip, int(units.startswith(b","))


def plain_csv(path: str) -> int:
    import pyarrow.csv as pacsv

    skip, after = _csv_layout(path)
    t = pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False, skip_rows=skip,
                                                            skip_rows_after_names=after),
                       parse_options=pacsv.ParseOptions(invalid_row_handler=lambda r: "skip"))
    return t.nbytes


# -- per-format measurement --------------------------------------------------------------------------------------

class Clock:
    """Sums, over chunks, the fastest of the ``repeat`` runs of each chunk (wall and CPU seconds)."""

    def __init__(self):
        self.wall = self.cpu = 0.0
        self._best = None

    @contextlib.contextmanager
    def __call__(self):
        w, c = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            run = (time.process_time() - c, time.perf_counter() - w)
            self._best = run if self._best is None else min(self._best, run)

    def next_chunk(self):
        if self._best is not None:
            self.cpu += self._best[0]
            self.wall += self._best[1]
        self._best = None


def measure_format(label: str, chunks, cfg, scratch: Path, repeat: int = 1) -> dict:
    import pyarrow.parquet as pq

    from preprocessing.ingest.stage import _iter_frames, stage_chunk
    from preprocessing.readers.registry import route

    netcdf = label.startswith(("wod_ragged", "argo", "cchdo_netcdf"))
    plain = plain_netcdf if netcdf else plain_csv
    clocks = {k: Clock() for k in ("reader", "stage", "plain")}
    rows = {"reader": 0, "stage": 0}
    nbytes = sum(f.size for c in chunks for f in c.files)
    n_files = sum(len(c.files) for c in chunks)
    for c in chunks:                          # page cache: every measurement meets the same warm bytes
        for f in c.files:
            Path(f.path).read_bytes()
    mods = {f.path: route(f.source, f.path) for c in chunks for f in c.files}

    def run_plain(c):
        with clocks["plain"]():
            for f in c.files:
                plain(f.path)

    def run_reader(c, count=True):
        with clocks["reader"]():
            for f in c.files:
                for r, _, _ in _iter_frames(mods[f.path], f.path, cfg):
                    rows["reader"] += len(r) if count else 0

    def run_stage(c, count=True):
        store = scratch / "stage"
        with clocks["stage"]():
            rec = stage_chunk(c, str(store), cfg)
        p = store / "_staging" / f"{rec['chunk']}.parquet"
        rows["stage"] += (pq.ParquetFile(p).metadata.num_rows if p.exists() else 0) if count else 0
        shutil.rmtree(store, ignore_errors=True)

    # warm-up, untimed: one-time costs (lazy imports, first calls) are not charged to the first chunk
    first = dataclasses.replace(chunks[0], files=chunks[0].files[:1])
    run_plain(first), run_reader(first, False), run_stage(first, False)
    for ck in clocks.values():
        ck._best = None
    order = [run_plain, run_reader, run_stage]
    for i, c in enumerate(chunks):
        for k in range(repeat):
            for fn in order[(i + k) % 3:] + order[:(i + k) % 3]:
                fn(c) if fn is run_plain else fn(c, k == 0)
        for ck in clocks.values():
            ck.next_chunk()
    out = {"format": label, "files": n_files, "chunks": len(chunks), "bytes": nbytes, "rows": rows["reader"],
           "rows_staged": rows["stage"]}
    for k, ck in clocks.items():
        n = rows["reader"]
        out[k] = {"wall_s": round(ck.wall, 3), "cpu_s": round(ck.cpu, 3),
                  "rows_per_s_wall": n / ck.wall if ck.wall else None, "rows_per_s_cpu": n / ck.cpu if ck.cpu else None,
                  "MB_per_s_wall": nbytes / 1e6 / ck.wall if ck.wall else None,
                  "MB_per_s_cpu": nbytes / 1e6 / ck.cpu if ck.cpu else None}
    for k in ("reader", "stage"):
        out[f"{k}/plain_cpu"] = clocks["plain"].cpu / clocks[k].cpu if clocks[k].cpu else None
        out[f"{k}/plain_wall"] = clocks["plain"].wall / clocks[k].wall if clocks[k].wall else None
    return out


def per_format(set_dir: Path, scratch: Path, limit_mb: float | None, only: list[str], repeat: int = 1) -> list[dict]:
    from preprocessing.ingest.config import IngestConfig
    from preprocessing.ingest.discover import discover, make_chunks
    from preprocessing.readers.registry import route

    cfg = IngestConfig()
    results = []
    for src in SOURCES:
        if only and src not in only:
            continue
        files, _ = discover({src: [str(set_dir / src)]})
        by_reader: dict[str, list] = {}
        for f in files:
            mod = route(src, f.path)
            if mod is not None:
                by_reader.setdefault(mod.__name__.rsplit(".", 1)[-1], []).append(f)
        for label, fs in by_reader.items():
            if limit_mb:
                keep, tot = [], 0
                for f in fs:
                    if keep and tot + f.size > limit_mb * 1e6:
                        break
                    keep.append(f)
                    tot += f.size
                fs = keep
            print(f"[{label}] {len(fs)} files, {sum(f.size for f in fs) / 1e6:.0f} MB ...", flush=True)
            r = measure_format(label, make_chunks(fs), cfg, scratch, repeat)
            print(_fmt_row(r), flush=True)
            results.append(r)
    return results


# -- end-to-end and memory (a subprocess running the `oxygen-hpc ingest` code path) ---------------------------------

def _peak_rss_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _ingest_child(argv: list[str]) -> int:
    """`ingest.py _ingest RESULT.json <oxygen-hpc ingest args>`: run the CLI and record each worker's peak RSS."""
    import preprocessing.ingest.pipeline as pl
    from preprocessing.ingest.cli import main

    peaks: dict = {}
    orig = pl.open_client

    @contextlib.contextmanager
    def spy(*a, **k):
        with orig(*a, **k) as client:
            yield client
            peaks.update(client.run(_peak_rss_kib))

    pl.open_client = spy
    rc = main(argv[1:])
    Path(argv[0]).write_text(json.dumps({"rc": rc, "worker_peak_rss_kib": peaks}))
    return rc


def run_ingest(sources: dict[str, list[str]], store: Path, workers: int, scratch: Path) -> dict:
    import pyarrow.parquet as pq

    shutil.rmtree(store, ignore_errors=True)
    res = scratch / f"ingest_{store.name}.json"
    cmd = [sys.executable, __file__, "_ingest", str(res), "--out", str(store), "--workers", str(workers)]
    for s, paths in sources.items():
        cmd += [f"--source={s}={p}" for p in paths]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    wall = time.perf_counter() - t0
    if p.returncode != 0 and not res.exists():
        raise RuntimeError(f"ingest failed: {p.stderr[-2000:]}")
    info = json.loads(res.read_text())
    staged = [q for q in (store / "_staging").glob("*.parquet") if not q.name.endswith(".casts.parquet")]
    rows = sum(pq.ParquetFile(q).metadata.num_rows for q in staged)
    peaks = sorted(v / 1024 for v in info["worker_peak_rss_kib"].values())
    return {"workers": workers, "wall_s": round(wall, 2), "rows": rows, "rows_per_s": rows / wall,
            "worker_peak_rss_mib": [round(x, 1) for x in peaks], "summary": p.stdout.strip().splitlines()[0]}


def end_to_end(set_dir: Path, scratch: Path, workers: list[int]) -> list[dict]:
    sources = {s: [str(set_dir / s)] for s in SOURCES}
    out = []
    for w in workers:
        r = run_ingest(sources, scratch / f"store_w{w}", w, scratch)
        shutil.rmtree(scratch / f"store_w{w}", ignore_errors=True)
        print(f"e2e workers={w}: {r['wall_s']:.1f} s, {r['rows']:,} rows, {r['rows_per_s']:,.0f} rows/s, "
              f"peak RSS/worker {r['worker_peak_rss_mib']} MiB", flush=True)
        out.append(r)
    return out


def memory(set_dir: Path, scratch: Path, n: int, srcs: list[str]) -> list[dict]:
    """Ingest N and 4N files of a source (1 worker): peak RSS per worker must not grow with the file count."""
    from preprocessing.ingest.discover import expand

    out = []
    for src in srcs:
        files = expand(str(set_dir / src))
        for k in (n, 4 * n):
            if k > len(files):
                print(f"memory {src}: only {len(files)} files, skipping N={k}")
                continue
            d = scratch / f"mem_{src}_{k}"
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir(parents=True)
            for i, f in enumerate(files[:k]):      # flat folder of links: chunks group up to 200 files
                (d / f"{i:06d}_{Path(f).name}").symlink_to(f)
            r = run_ingest({src: [str(d)]}, scratch / f"mem_store_{src}_{k}", 1, scratch)
            shutil.rmtree(scratch / f"mem_store_{src}_{k}", ignore_errors=True)
            shutil.rmtree(d, ignore_errors=True)
            r.update(source=src, files=k, bytes=sum(os.path.getsize(f) for f in files[:k]))
            print(f"memory {src}: {k} files ({r['bytes'] / 1e6:.0f} MB, {r['rows']:,} rows): peak RSS/worker "
                  f"{r['worker_peak_rss_mib']} MiB", flush=True)
            out.append(r)
    return out


# -- report ------------------------------------------------------------------------------------------------------

HEAD = (f"{'format':<15}{'files':>6}{'MB':>7}{'rows':>11} | {'reader rows/s':>13}{'MB/s':>6} | "
        f"{'stage rows/s':>12}{'MB/s':>6} | {'plain rows/s':>12}{'MB/s':>6} | {'a/c':>5}{'b/c':>6}")


def _fmt_row(r: dict) -> str:
    def rate(k):
        return f"{r[k]['rows_per_s_cpu']:>13,.0f}{r[k]['MB_per_s_cpu']:>6.1f}"

    return (f"{r['format']:<15}{r['files']:>6}{r['bytes'] / 1e6:>7.0f}{r['rows']:>11,} | {rate('reader')} | "
            f"{rate('stage')[1:]} | {rate('plain')[1:]} | {r['reader/plain_cpu']:>5.2f}{r['stage/plain_cpu']:>6.2f}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", default=None, help="where the synthetic set and scratch go (default: a temp dir)")
    ap.add_argument("--config", default=str(REPO / "configs/synthetic/bench.yaml"))
    ap.add_argument("--scale", type=float, default=None, help="override the config's scale")
    ap.add_argument("--formats", default="", help="comma-separated sources to measure (default: all)")
    ap.add_argument("--limit-mb", type=float, default=None, help="per format, measure at most this many MB")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each chunk's three measurements this many times and keep the fastest of each")
    ap.add_argument("--workers", default="1,2", help="end-to-end ingest worker counts")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end-to-end ingest")
    ap.add_argument("--mem-files", type=int, default=200, help="N for the N vs 4N memory runs (0: skip)")
    ap.add_argument("--mem-sources", default="argo,cchdo")
    ap.add_argument("--out", default=None, help="write the figures as JSON here")
    args = ap.parse_args(argv)

    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import pyarrow

    pyarrow.set_cpu_count(1)
    tmp = None
    if args.workdir is None:
        import tempfile

        tmp = tempfile.mkdtemp(prefix="ingest-bench-")
    workdir = Path(args.workdir or tmp).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = workdir / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    t0 = time.perf_counter()
    set_dir = synth(workdir, args.config, args.scale)
    result = {"set": str(set_dir), "config": args.config, "scale": args.scale, "cpu_count": os.cpu_count()}
    print(HEAD + "\n(rates per core: rows or bytes per CPU-second of one process; a/c, b/c = rate / plain rate)")
    result["repeat"] = args.repeat
    result["formats"] = per_format(set_dir, scratch, args.limit_mb, [s for s in args.formats.split(",") if s],
                                   args.repeat)
    result["total_rows"] = sum(r["rows"] for r in result["formats"])
    if not args.no_e2e:
        result["end_to_end"] = end_to_end(set_dir, scratch, [int(w) for w in args.workers.split(",")])
    if args.mem_files:
        result["memory"] = memory(set_dir, scratch, args.mem_files, args.mem_sources.split(","))
    result["bench_wall_s"] = round(time.perf_counter() - t0, 1)
    print("\n" + HEAD)
    for r in result["formats"]:
        print(_fmt_row(r))
    print(f"total rows measured: {result['total_rows']:,}")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
        print(f"results: {args.out}")
    shutil.rmtree(scratch, ignore_errors=True)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_ingest":
        sys.exit(_ingest_child(sys.argv[2:]))
    sys.exit(main())
