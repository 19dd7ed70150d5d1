#!/usr/bin/env bash
# Preprocess on Slurm: `oxygen-hpc ingest` then `oxygen-hpc partition`, with Dask workers in one of two modes.
#
#   MODE=jobs (default): Dask workers are Slurm jobs submitted by dask-jobqueue (SLURMCluster, configs/cluster/
#     slurm.yaml: cores, memory, walltime, job_extra_directives, local_directory, worker lifetime). Run this script
#     where jobs can be submitted: a login node, or as a small 1-core job (`sbatch --cpus-per-task=1 ...`).
#       CONFIG=configs/preprocess/demo.yaml CLUSTER=configs/cluster/slurm.yaml bash slurm/preprocess.sh
#   MODE=allocation: everything inside this one allocation: a LocalCluster with one worker per allocated CPU.
#       CONFIG=configs/preprocess/demo.yaml MODE=allocation sbatch --cpus-per-task=32 --mem=128G slurm/preprocess.sh
#
# Environment: CONFIG (required), MODE, CLUSTER (MODE=jobs), STAGES (default "ingest partition"),
#   OXYGEN_HPC_BIN (default: oxygen-hpc from PATH), WORKER_MEMORY (MODE=allocation, default: the allocation's
#   memory / workers). Each stage is idempotent: a re-run skips inputs and years already done.
#SBATCH --job-name=oxygen-preprocess
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=16
#SBATCH --mem=64G
#SBATCH --time=12:00:00
#SBATCH --output=oxygen-preprocess-%j.out
set -euo pipefail

: "${CONFIG:?CONFIG is not set (a configs/preprocess/*.yaml)}"
MODE=${MODE:-jobs}
STAGES=${STAGES:-ingest partition}
OXY=${OXYGEN_HPC_BIN:-oxygen-hpc}

case "$MODE" in
  jobs)
    CLUSTER=${CLUSTER:-configs/cluster/slurm.yaml}
    ;;
  allocation)
    workers=${SLURM_CPUS_PER_TASK:-$(nproc)}
    mem_mb=${SLURM_MEM_PER_NODE:-$(( $(awk '/MemAvailable/ {print $2}' /proc/meminfo) / 1024 ))}
    WORKER_MEMORY=${WORKER_MEMORY:-$(( mem_mb * 9 / 10 / workers ))MiB}
    CLUSTER=$(mktemp --suffix=.yaml)
    trap 'rm -f "$CLUSTER"' EXIT
    printf 'kind: local\nlocal:\n  n_workers: %s\n  threads_per_worker: 1\n  memory_limit: %s\n' \
        "$workers" "$WORKER_MEMORY" > "$CLUSTER"
    ;;
  *)
    echo "slurm/preprocess.sh: MODE must be jobs or allocation, got '$MODE'" >&2
    exit 2
    ;;
esac

echo "== $(date -Is) preprocess: config=$CONFIG mode=$MODE cluster=$CLUSTER stages=$STAGES"
for stage in $STAGES; do
  case "$stage" in
    ingest) "$OXY" ingest --config "$CONFIG" --cluster "$CLUSTER" ;;
    partition) "$OXY" partition --config "$CONFIG" --cluster "$CLUSTER" --no-progress ;;
    *) echo "slurm/preprocess.sh: unknown stage '$stage' (ingest, partition)" >&2; exit 2 ;;
  esac
done
echo "== $(date -Is) preprocess done"
