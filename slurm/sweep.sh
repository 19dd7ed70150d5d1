#!/usr/bin/env bash
# One array task of a sweep. Submitted by `oxygen-hpc sweep SPEC --submit`, i.e. one
#   sbatch --array=0-(N-1)%K --output=DIR/logs/%A_%a.out slurm/sweep.sh      with SWEEP_DIR=DIR exported.
# The task's command is an argv list in $SWEEP_DIR/sweep.json; `run-task` executes it without a shell and records
# its exit status in DIR/runs/<i>/sweep_status.json. Resources: add sbatch flags after `--` on the sweep command
# line or in the spec's `sbatch:` list (e.g. --gpus-per-node=1 --cpus-per-task=8 --time=04:00:00).
# The package ships this file as oxygen_hpc/sweep/sweep.sh (a symlink here, copied into wheels); that copy is
# what --submit passes to sbatch.
# B:SIGUSR1 goes to this batch step (run-task, exec'd below), which forwards it to the program (Lightning requeue).
#SBATCH --job-name=sweep
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=1
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --signal=B:SIGUSR1@90
set -euo pipefail
: "${SWEEP_DIR:?SWEEP_DIR is not set (submit with: oxygen-hpc sweep SPEC --submit)}"
: "${SLURM_ARRAY_TASK_ID:?not an array task (submit with sbatch --array=...)}"
echo "sweep task ${SLURM_ARRAY_TASK_ID} of job ${SLURM_ARRAY_JOB_ID:-?} on $(hostname) at $(date -Is)"
exec "${OXYGEN_HPC_BIN:-oxygen-hpc}" sweep run-task "$SWEEP_DIR" "$SLURM_ARRAY_TASK_ID"
