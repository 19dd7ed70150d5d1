#!/usr/bin/env bash
# Stop the dev Slurm started by slurm/dev/start.sh (one node or `--nodes N`): cancel its jobs, then stop exactly
# the daemons whose pid files start.sh wrote (every slurmd, slurmctld, munged), checking each pid still runs that
# program.
#   OXYGEN_HPC_SLURM_DIR   state directory (default /tmp/oxygen-hpc-slurm); SLURM_DEV_PURGE=1 also deletes it
set -uo pipefail

STATE=${OXYGEN_HPC_SLURM_DIR:-/tmp/oxygen-hpc-slurm}
export SLURM_CONF=$STATE/etc/slurm.conf
say() { echo "slurm-dev: $*" >&2; }

pid_of() {  # pid_of NAME [PIDFILE]: the pid from the pid file if that process is NAME, else nothing
    local f=${2:-$STATE/$1.pid} pid
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ -r /proc/$pid/comm && $(</proc/$pid/comm) == "$1" ]] && echo "$pid"
}

stop_one() {  # stop_one NAME [PIDFILE]
    local name=$1 file=${2:-$STATE/$1.pid} pid
    pid=$(pid_of "$name" "$file") || { say "$name not running"; rm -f "$file"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
        [[ -d /proc/$pid ]] || break
        sleep 0.2
    done
    if [[ -d /proc/$pid ]]; then say "$name ($pid) did not stop on TERM; killing"; kill -KILL "$pid" 2>/dev/null; fi
    rm -f "$file"
    say "stopped $name ($pid)"
}

if pid_of slurmctld >/dev/null && [[ -f $SLURM_CONF ]]; then
    jobs=$(squeue -h -o '%A' 2>/dev/null | sort -u)
    if [[ -n $jobs ]]; then
        say "cancelling jobs: $(echo $jobs)"
        # shellcheck disable=SC2086
        scancel $jobs 2>/dev/null
        for _ in $(seq 1 40); do
            [[ -z $(squeue -h -o '%A' 2>/dev/null) ]] && break
            sleep 0.5
        done
    fi
fi
nodes=("$STATE"/slurmd-*.pid)             # the nodes of `start.sh --nodes N`
[[ -e $STATE/slurmd.pid || ! -e ${nodes[0]} ]] && stop_one slurmd
for f in "${nodes[@]}"; do
    [[ -e $f ]] && stop_one slurmd "$f"
done
stop_one slurmctld
stop_one munged
if [[ ${SLURM_DEV_PURGE:-0} == 1 ]]; then rm -rf "$STATE"; say "removed $STATE"; fi
exit 0
