#!/usr/bin/env bash
# `make gpu-check` (or `bash benchmarks/gpu_check.sh` where there is no make): on a lent GPU machine, which has torch
# with CUDA and no network, install the wheels that benchmarks/fetch_wheels.sh put in .whl/ (the device call carries
# .whl) and this checkout (editable, no dependencies), then run benchmarks/gpu_check.py (< 8 min on an H100).
# Figures: $OUT (the device tool's folder) or runs/gpu_check. Arguments are passed to gpu_check.py.
#   GPU_PYTHON  the interpreter with torch + CUDA   (default python3)
#   WHEELS      wheel folder                        (default .whl)
#   GPU_CHECK_TIMEOUT_S  hard stop for the check    (default 480; the check keeps to its own 440 s budget)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${GPU_PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
t0=$(date +%s)
if compgen -G "$WHEELS/*.whl" >/dev/null; then
    if ! "$PY" -m pip install -q --no-index --find-links "$WHEELS" --no-deps --no-compile "$WHEELS"/*.whl; then
        echo "gpu-check: cannot install into $("$PY" -c 'import sys; print(sys.prefix)'); using /tmp/site" >&2
        "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site "$WHEELS"/*.whl
        export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
    fi
else
    echo "gpu-check: no wheels in $WHEELS/ (run benchmarks/fetch_wheels.sh where there is network, carry .whl)" >&2
fi
if ! "$PY" -m pip install -q --no-index --no-deps --no-build-isolation --no-compile -e .; then
    echo "gpu-check: editable install failed: the package imports from here, but the CLI tests need the" \
         "oxygen-hpc command" >&2
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
echo "gpu-check: installed in $(( $(date +%s) - t0 )) s; $("$PY" -m pip --version)" >&2
PYTHONUNBUFFERED=1 exec timeout "${GPU_CHECK_TIMEOUT_S:-480}" "$PY" benchmarks/gpu_check.py "$@"
