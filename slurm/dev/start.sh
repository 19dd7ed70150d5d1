#!/usr/bin/env bash
# Start a one-node Slurm (munged + slurmctld + slurmd) on this machine, for development and tests.
#
#   eval "$(slurm/dev/start.sh | tail -n 1)"      # then sinfo, sbatch, srun ... work
#   slurm/dev/stop.sh                              # stops exactly what this script started
#
# Debian/Ubuntu, run as root, no systemd needed (the daemons are started directly), no cgroups
# (proctrack/linuxproc, task/none). Everything lives in one state directory:
#   OXYGEN_HPC_SLURM_DIR   state directory               (default /tmp/oxygen-hpc-slurm)
#   SLURM_DEV_CTLD_PORT    slurmctld port                (default 6817)
#   SLURM_DEV_SLURMD_PORT  slurmd port                   (default 6818)
#   SLURM_DEV_KEEP_STATE=1 keep the controller's job state from a previous start (default: start clean)
# Idempotent: if the cluster in that directory is already up, it only prints the export line.
# The last line of stdout is always `export SLURM_CONF=...`.
set -euo pipefail

STATE=${OXYGEN_HPC_SLURM_DIR:-/tmp/oxygen-hpc-slurm}
CTLD_PORT=${SLURM_DEV_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_DEV_SLURMD_PORT:-6818}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF=$STATE/etc/slurm.conf
export SLURM_CONF=$CONF

say() { echo "slurm-dev: $*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the dev cluster runs its daemons as root)"

install_packages() {
    local missing=()
    command -v munged >/dev/null || missing+=(munge)
    command -v slurmctld >/dev/null || missing+=(slurmctld)
    command -v slurmd >/dev/null || missing+=(slurmd)
    command -v sbatch >/dev/null || missing+=(slurm-client)
    [[ ${#missing[@]} -eq 0 ]] && return 0
    say "installing ${missing[*]}"
    # Keep the packages' init scripts from starting system-wide daemons (the Docker policy-rc.d idiom).
    local policy=/usr/sbin/policy-rc.d created=0
    if [[ ! -e $policy ]]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; created=1; fi
    local apt=(apt-get -y -q -o DPkg::Lock::Timeout=300 install --no-install-recommends "${missing[@]}")
    if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" >"$STATE/log/apt.log" 2>&1; then
        say "package install failed; running apt-get update once"
        apt-get -q -o DPkg::Lock::Timeout=300 update >>"$STATE/log/apt.log" 2>&1
        DEBIAN_FRONTEND=noninteractive "${apt[@]}" >>"$STATE/log/apt.log" 2>&1 \
            || { [[ $created -eq 1 ]] && rm -f "$policy"; die "apt-get install failed, see $STATE/log/apt.log"; }
    fi
    [[ $created -eq 1 ]] && rm -f "$policy"
    return 0
}

# alive NAME PIDFILE: the pid in PIDFILE is running and is the program NAME (guards against reused pids)
alive() {
    local pid
    [[ -s $2 ]] || return 1
    pid=$(<"$2")
    [[ -r /proc/$pid/comm && $(</proc/$pid/comm) == "$1" ]]
}

node_state() { sinfo -h -N -o '%t' 2>/dev/null | head -n 1; }

write_config() {
    local node cpus mem
    node=$(hostname -s)
    cpus=$(nproc --all)
    # RealMemory in MiB, a little under the total so slurmd does not drain the node for "low memory"
    mem=$(free -m | awk '/^Mem:/ {print int($2 * 0.95)}')
    local slurm_user=root
    sed -e "s|@STATE@|$STATE|g" -e "s|@NODE@|$node|g" -e "s|@CPUS@|$cpus|g" -e "s|@MEM@|$mem|g" \
        -e "s|@MEMPERCPU@|$((mem / cpus))|g" -e "s|@CTLD_PORT@|$CTLD_PORT|g" \
        -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" -e "s|@USER@|$slurm_user|g" \
        "$HERE/slurm.conf.in" >"$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
}

mkdir -p "$STATE"/{etc,log,munge,ctld,spool}
chmod 755 "$STATE" "$STATE/munge"
exec 9>"$STATE/start.lock"
# Two sessions starting at once: the second waits, then finds the cluster up. The daemons are started with
# 9>&- (so they do not hold the lock) and with stdio detached (so a caller capturing our output is not blocked).
flock 9

install_packages

if alive munged "$STATE/munged.pid" && alive slurmctld "$STATE/slurmctld.pid" \
        && alive slurmd "$STATE/slurmd.pid" && [[ -f $CONF ]]; then
    say "already running in $STATE (node $(node_state))"
    echo "export SLURM_CONF=$CONF"
    exit 0
fi

write_config

if ! alive munged "$STATE/munged.pid"; then
    if [[ ! -s $STATE/munge/munge.key ]]; then
        dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    fi
    chmod 400 "$STATE/munge/munge.key"
    rm -f "$STATE/munge/munge.socket.2"
    munged --force --key-file="$STATE/munge/munge.key" --socket="$STATE/munge/munge.socket.2" \
        --pid-file="$STATE/munged.pid" --log-file="$STATE/log/munged.log" \
        --seed-file="$STATE/munge/munged.seed" 9>&- </dev/null >>"$STATE/log/munged.out" 2>&1 \
        || die "munged failed, see $STATE/log/munged.log"
fi

if ! alive slurmctld "$STATE/slurmctld.pid"; then
    clean=(-c)
    [[ ${SLURM_DEV_KEEP_STATE:-0} == 1 ]] && clean=()
    slurmctld -f "$CONF" "${clean[@]}" 9>&- </dev/null >>"$STATE/log/slurmctld.out" 2>&1 \
        || die "slurmctld failed, see $STATE/log/slurmctld.log"
fi

if ! alive slurmd "$STATE/slurmd.pid"; then
    slurmd -f "$CONF" 9>&- </dev/null >>"$STATE/log/slurmd.out" 2>&1 \
        || die "slurmd failed, see $STATE/log/slurmd.log"
fi

# Wait until the node is idle (slurmctld needs a moment to register slurmd).
for _ in $(seq 1 120); do
    st=$(node_state || true)
    case $st in
        idle|mix|alloc) break ;;
        drain*|down*) scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
done
[[ $st == idle || $st == mix || $st == alloc ]] \
    || die "node not idle after 60 s (state '${st:-none}'), see $STATE/log/slurmctld.log and slurmd.log"
say "started in $STATE: node $(hostname -s) $(nproc --all) CPUs, partition debug, state $st"
echo "export SLURM_CONF=$CONF"
