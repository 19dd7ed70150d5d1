#!/usr/bin/env bash
# Stop the one-node dev Slurm started by slurm/dev/start.sh: cancel its jobs, then stop exactly the daemons
# whose pid files start.sh wrote (slurmd, slurmctld, munged), checking each pid still runs that program.
#   OXYGEN_HPC_SLURM_DIR   state directory (default /tmp/oxygen-hpc-slurm); SLURM_DEV_PURGE=1 also deletes it
set -uo pipefail

STATE=${OXYGEN_HPC_SLURM_DIR:-/tmp/oxygen-hpc-slurm}
export SLURM_CONF=$STATE/etc/slurm.conf
say() { echo "slurm-dev: $*" >&2; }

pid_of() {  # pid_of NAME: the pid from NAME's pid file if that process is NAME, else nothing
    local f=$STATE/$1.pid pid
    [[ -s $f ]] || return 1
    pid=$(<"$f")
    [[ -r /proc/$pid/comm && $(</proc/$pid/comm) == "$1" ]] && echo "$pid"
}

stop_one() {
    local name=$1 pid
    pid=$(pid_of "$name") || { say "$name not running"; rm -f "$STATE/$name.pid"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 50); do
        [[ -d /proc/$pid ]] || break
        sleep 0.2
    done
    if [[ -d /proc/$pid ]]; then say "$name ($pid) did not stop on TERM; killing"; kill -KILL "$pid" 2>/dev/null; fi
    rm -f "$STATE/$name.pid"
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
stop_one slurmd
stop_one slurmctld
stop_one munged
if [[ ${SLURM_DEV_PURGE:-0} == 1 ]]; then rm -rf "$STATE"; say "removed $STATE"; fi
exit 0
