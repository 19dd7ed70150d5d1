#!/usr/bin/env bash
# Predict every ocean cell of every year on Slurm: one MPI rank per GPU (mpi4py under srun --mpi=pmi2); ranks split
# the years, each year's o2_YYYY.nc is written by exactly one rank. Resubmitting (or --requeue after a timeout)
# skips the years already finished with the same checkpoints and partitions.
#
#   CONFIG=configs/infer/demo.yaml CHECKPOINT=runs/oxy-1/checkpoints/last.ckpt OUT=reconstruction sbatch slurm/infer.sh
#   CHECKPOINT="runs/a/last.ckpt runs/b/last.ckpt runs/c/last.ckpt" sbatch slurm/infer.sh      # ensemble -> o2_std
#   sbatch slurm/infer.sh "runs/my run/last.ckpt" runs/b/last.ckpt       # checkpoints as arguments: any path
#   DEVICE=cpu sbatch --gpus-per-node=0 --ntasks-per-node=16 --cpus-per-task=2 slurm/infer.sh  # CPU nodes
#
# Environment (exported by sbatch from the submitting shell):
#   CONFIG      inference YAML (oxygen_hpc.inference.config)       default configs/infer/demo.yaml
#   CHECKPOINT  checkpoint(s): one per line; or one existing path (spaces and all); else several separated by
#               spaces. Script arguments, if any, are the checkpoints instead.  default: the config's checkpoints
#   OUT         output folder of o2_YYYY.nc                        default: the config's out
#   PARTITIONS  partitions folder                                  default: the config's partitions
#   YEARS       A:B                                                default: every year of the partitions
#   DEVICE      cpu | cuda | auto                                  default auto
#   PRECISION   fp32 | bf16                                        default: the config's
#   MPI         srun MPI plugin                                    default pmi2
#   OXYGEN_HPC_BIN  the oxygen-hpc command                         default: from PATH
#
# Years are the unit of work: more ranks than years leaves ranks idle (104 years -> at most 104 useful ranks).
#SBATCH --job-name=oxygen-predict
#SBATCH --nodes=1
#SBATCH --ntasks-per-node=4
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=01:00:00
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --output=oxygen-predict-%j.out
set -euo pipefail

CONFIG=${CONFIG:-configs/infer/demo.yaml}
DEVICE=${DEVICE:-auto}
MPI=${MPI:-pmi2}
OXY=${OXYGEN_HPC_BIN:-oxygen-hpc}
args=(predict --config "$CONFIG" --device "$DEVICE")
ckpts=("$@")                                           # arguments: each one path, whatever it holds
if [[ ${#ckpts[@]} -eq 0 && -n ${CHECKPOINT:-} ]]; then
  if [[ $CHECKPOINT == *$'\n'* ]]; then                 # one per line
    while IFS= read -r line; do [[ -z $line ]] || ckpts+=("$line"); done <<< "$CHECKPOINT"
  elif [[ -e $CHECKPOINT ]]; then                       # one path with spaces
    ckpts=("$CHECKPOINT")
  else                                                  # several, separated by spaces
    read -r -a ckpts <<< "$CHECKPOINT"
  fi
fi
if [[ ${#ckpts[@]} -gt 0 ]]; then args+=(--checkpoint "${ckpts[@]}"); fi
[[ -n ${OUT:-} ]] && args+=(--out "$OUT")
[[ -n ${PARTITIONS:-} ]] && args+=(--partitions "$PARTITIONS")
[[ -n ${YEARS:-} ]] && args+=(--years "$YEARS")
[[ -n ${PRECISION:-} ]] && args+=(--precision "$PRECISION")
# one torch thread per allocated CPU of the task; readers are in-process (num_workers in the config to change it)
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-1}
args+=(--threads "${SLURM_CPUS_PER_TASK:-1}")

echo "== $(date -Is) job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-$(hostname)}:" \
     "${SLURM_NTASKS:-1} ranks, config $CONFIG"
srun --mpi="$MPI" --kill-on-bad-exit=1 "$OXY" "${args[@]}"
echo "== $(date -Is) done"
