#!/usr/bin/env bash
# Fetch into .whl/ (git-ignored) exactly the wheels that a lent GPU machine lacks for `make gpu-check`.
#
#   benchmarks/fetch_wheels.sh            # here, with network; then the GPU call carries .whl (device tool: carry)
#
# The GPU machine (see the device tool's KINDS.md) has Python 3.12, torch 2.11 + CUDA, Lightning 2.6.6, PyG 2.8,
# torchmetrics, h5py, xarray, pandas, pyarrow, scipy, mpi4py, pytest (+ timeout, xdist) ... and no network. What
# the check imports beyond that (found by an import audit of `gpu_check.py --cpu`, the CLI fits with DDP and
# DeepSpeed, and predict) is listed below; versions are those of this checkout's .venv (what `make test` passes
# with), for CPython 3.12 manylinux x86_64. DeepSpeed has no binary wheel on PyPI: it is built here from its sdist
# without ops (DS_BUILD_OPS=0, pure Python; ZeRO-2 with torch's AdamW needs no compiled op).
# `make gpu-check` installs them with `pip install --no-index --find-links .whl --no-deps .whl/*.whl`.
# tests/benchmarks/test_gpu_check.py fails when the check imports a distribution that is neither on the machine
# (benchmarks/gpu_machine_packages.txt) nor in PACKAGES below.
# Environment: VENV (default .venv), WHEEL_DIR (default .whl), WITH_WANDB=1 (add W&B, +21 MiB), WHEEL_LIMIT_MB
# (default 40: a device call carries at most 64 MiB together with the working tree, ~17 MiB today), WHEEL_PYTHON
# (default 3.12).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
DEST=${WHEEL_DIR:-$ROOT/.whl}
LIMIT_MB=${WHEEL_LIMIT_MB:-40}
PYV=${WHEEL_PYTHON:-3.12}           # the GPU machine's Python (another only to test the set elsewhere)
PY=$VENV/bin/python
[[ -x $PY ]] || { echo "fetch_wheels: no $PY (run make setup first)" >&2; exit 2; }

# what the GPU machine lacks (distribution names): the training CLI, DeepSpeed, the partition stage (Dask,
# netCDF4, real coastlines) and the inference writer
PACKAGES=(
    deepspeed hjson pydantic pydantic_core annotated-types typing-inspection
    jsonargparse docstring_parser typeshed_client
    netCDF4 cftime
    dask distributed tornado tblib zict partd locket
    global-land-mask cmocean
)
# W&B (offline logging) is 21 MiB more with its OpenTelemetry stack: only with WITH_WANDB=1. Without it the GPU
# check runs its fits with WANDB_MODE=disabled (W&B is the same on every device and tested on CPU and Slurm).
if [[ ${WITH_WANDB:-0} == 1 ]]; then
    PACKAGES+=(wandb cwevals distro sniffio platformdirs protobuf googleapis-common-protos importlib_metadata
        lazy-importer opentelemetry-api opentelemetry-sdk opentelemetry-semantic-conventions opentelemetry-proto
        opentelemetry-exporter-otlp-proto-http opentelemetry-exporter-otlp-proto-common
        opentelemetry-exporter-otlp-common opentelemetry-exporter-http-transport)
fi

pins=()
for p in "${PACKAGES[@]}"; do
    v=$("$PY" -c "import importlib.metadata as m, sys; print(m.version(sys.argv[1]))" "$p" 2>/dev/null) \
        || { echo "fetch_wheels: $p is not installed in $VENV (make setup)" >&2; exit 2; }
    pins+=("$p==$v")
done

tmp=$(mktemp -d "${DEST%/}.tmp.XXXX")
trap 'rm -rf "$tmp"' EXIT
binary=(); for pin in "${pins[@]}"; do [[ $pin == deepspeed==* ]] || binary+=("$pin"); done
platforms=()
for n in 17 27 28 31 34; do platforms+=(--platform "manylinux_2_${n}_x86_64"); done
echo "fetch_wheels: downloading ${#binary[@]} wheels for CPython $PYV x86_64" >&2
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version "$PYV" --implementation cp --abi "cp${PYV/./}" \
    --abi abi3 --abi none "${platforms[@]}" --platform manylinux2014_x86_64 --platform any -d "$tmp" "${binary[@]}"
ds=$(printf '%s\n' "${pins[@]}" | grep '^deepspeed==')
echo "fetch_wheels: building $ds without ops (DS_BUILD_OPS=0)" >&2
DS_BUILD_OPS=0 "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$tmp" "$ds" >"$tmp/deepspeed-build.log" 2>&1 \
    || { tail -20 "$tmp/deepspeed-build.log" >&2; exit 1; }
rm -f "$tmp/deepspeed-build.log"

count=$(ls "$tmp"/*.whl | wc -l)
[[ $count -eq ${#pins[@]} ]] || { echo "fetch_wheels: $count wheels for ${#pins[@]} packages" >&2; ls "$tmp" >&2; exit 1; }
total=$(du -cb "$tmp"/*.whl | tail -n 1 | cut -f1)
rm -rf "$DEST" && mv "$tmp" "$DEST" && trap - EXIT
(cd "$DEST" && ls -l --block-size=K ./*.whl | awk '{print $5, $9}' | sort -t K -k1 -n -r)
echo "fetch_wheels: $count wheels, $((total / 1024 / 1024)) MiB ($total bytes) in $DEST" >&2
if (( total > LIMIT_MB * 1024 * 1024 )); then
    echo "fetch_wheels: over the ${LIMIT_MB} MiB budget (WHEEL_LIMIT_MB)" >&2
    exit 1
fi
