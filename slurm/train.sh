#!/usr/bin/env bash
# Train OxyGenerator on Slurm: one task per device, Lightning DDP launched by srun, auto-requeue before the walltime.
#
#   CONFIG=configs/train/oxygenerator.yaml RUN_DIR=runs/oxy-1 sbatch slurm/train.sh
#   sbatch --nodes=4 --gpus-per-node=8 --ntasks-per-node=8 slurm/train.sh       # flags override the defaults below
#   ACCELERATOR=cpu sbatch --nodes=1 --ntasks-per-node=2 --gpus-per-node=0 --cpus-per-task=1 slurm/train.sh
#
# Environment (exported by sbatch from the submitting shell):
#   CONFIG       train config (LightningCLI YAML)           default configs/train/oxygenerator.yaml
#   RUN_DIR      checkpoints, W&B run id, logs               default runs/<job name>-<job id> (stable on requeue)
#   ACCELERATOR  gpu | cpu                                   default gpu
#   DEVICES      devices per node                            default the tasks per node
#   OXYGEN_HPC_BIN, OXYGEN_HPC_PYTHON  the oxygen-hpc command and python to use (default: from PATH)
#
# Logs: #SBATCH lines cannot expand variables, so Slurm writes to ./oxygen-fit-<jobid>.out in the submit directory
# and this script copies everything (with tee, appending across requeues) to $RUN_DIR/logs/train-<jobid>.out.
# To have Slurm write there directly: sbatch --output="$RUN_DIR/logs/%j.out" (the directory must exist).
#
# Requeue: --signal=SIGUSR1@90 makes Slurm signal the ranks 90 s before the time limit; after the current step all
# ranks write the checkpoint together and rank 0 runs `scontrol requeue` (oxygen_hpc/training/requeue.py); the job
# restarts with the same id, RUN_DIR and W&B run.
#SBATCH --job-name=oxygen-fit
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=24:00:00
#SBATCH --signal=SIGUSR1@90
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=oxygen-fit-%j.out
set -euo pipefail

CONFIG=${CONFIG:-configs/train/oxygenerator.yaml}
ACCELERATOR=${ACCELERATOR:-gpu}
RUN_DIR=${RUN_DIR:-runs/${SLURM_JOB_NAME:-fit}-${SLURM_JOB_ID:-local}}
tasks=${SLURM_NTASKS_PER_NODE:-${SLURM_TASKS_PER_NODE:-1}}
tasks=${tasks%%(*}
tasks=${tasks%%,*}
DEVICES=${DEVICES:-$tasks}
NNODES=${SLURM_NNODES:-1}
PY=${OXYGEN_HPC_PYTHON:-python}
OXY=${OXYGEN_HPC_BIN:-oxygen-hpc}
export CONFIG RUN_DIR ACCELERATOR DEVICES

mkdir -p "$RUN_DIR/logs"
exec > >(tee -a "$RUN_DIR/logs/train-${SLURM_JOB_ID:-local}.out") 2>&1
tee_pid=$!
# On exit let tee drain before Slurm ends the job step (else the last lines, the error ones, can be lost).
trap 'exec >&- 2>&-; for _ in $(seq 50); do kill -0 "$tee_pid" 2>/dev/null || break; sleep 0.1; done' EXIT
echo "== $(date -Is) job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-$(hostname)}:" \
     "$NNODES node(s) x $tasks task(s), devices=$DEVICES, accelerator=$ACCELERATOR, config=$CONFIG, run_dir=$RUN_DIR"

# Fail in seconds on a wrong layout (instead of hanging at "Initializing distributed" until the walltime).
"$PY" -m oxygen_hpc.training.layout --config "$CONFIG" --run-dir "$RUN_DIR" --accelerator "$ACCELERATOR" \
    --devices "$DEVICES"

# srun does not inherit --cpus-per-task from sbatch since Slurm 22.05.
[[ -n ${SLURM_CPUS_PER_TASK:-} ]] && export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK
# DDP's rendezvous host: the first node of the job at the address Slurm itself reaches it by (NodeAddr; on most
# clusters its host name). Lightning would take the first node *name*, which need not resolve (the dev cluster's
# two nodes on one host, clusters whose node names are not DNS names). An exported MASTER_ADDR wins.
if [[ -z ${MASTER_ADDR:-} && -n ${SLURM_JOB_NODELIST:-} ]] && command -v scontrol >/dev/null; then
    first=$(scontrol show hostnames "$SLURM_JOB_NODELIST" 2>/dev/null | head -n 1 || true)
    addr=$(scontrol show node "$first" 2>/dev/null | grep -o 'NodeAddr=[^ ]*' | head -n 1 | cut -d= -f2 || true)
    if [[ -n ${addr:-$first} ]]; then export MASTER_ADDR=${addr:-$first}; fi
fi
extra=()
[[ $ACCELERATOR == cpu ]] && extra+=(--trainer.accelerator=cpu)
srun --kill-on-bad-exit=1 "$OXY" fit --config "$CONFIG" --trainer.num_nodes="$NNODES" \
    --trainer.devices="$DEVICES" --trainer.default_root_dir="$RUN_DIR" "${extra[@]}" "$@"
