#!/usr/bin/env bash
# Start a development Slurm (munged + slurmctld + slurmd) on this machine, for development and tests.
#
#   eval "$(slurm/dev/start.sh | tail -n 1)"      # then sinfo, sbatch, srun ... work
#   eval "$(slurm/dev/start.sh --nodes 2 | tail -n 1)"   # two nodes on this host (multi-node jobs)
#   slurm/dev/stop.sh                              # stops exactly what this script started
#
# Debian/Ubuntu, run as root, no systemd needed (the daemons are started directly), no cgroups
# (proctrack/linuxproc, task/none). Everything lives in one state directory:
#   OXYGEN_HPC_SLURM_DIR   state directory               (default /tmp/oxygen-hpc-slurm)
#   SLURM_DEV_CTLD_PORT    slurmctld port                (default 6817)
#   SLURM_DEV_SLURMD_PORT  slurmd port (node i: +i-1)    (default 6818)
#   SLURM_DEV_NODES        nodes, like --nodes           (default 1)
#   SLURM_DEV_KEEP_STATE=1 keep the controller's job state from a previous start (default: start clean)
# --nodes 1: one node named after this host (`hostname -s`). --nodes N > 1: N nodes <host>-n1 ... <host>-nN, each
# its own slurmd (`slurmd -N <name>`, Slurm's multiple-slurmd mode) on port SLURM_DEV_SLURMD_PORT + i - 1, all
# at 127.0.0.1; each node is given all of this machine's CPUs (they share them) and 1/N of its memory.
# Idempotent: if the cluster in that directory is already up with the same number of nodes, it only prints the
# export line; up with another number of nodes, it stops with an error (stop it first, or use another directory).
# The last line of stdout is always `export SLURM_CONF=...`.
set -euo pipefail

NODES=${SLURM_DEV_NODES:-1}
while [[ $# -gt 0 ]]; do
    case $1 in
        --nodes) NODES=${2:?--nodes needs a number}; shift 2 ;;
        --nodes=*) NODES=${1#--nodes=}; shift ;;
        -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
        *) echo "slurm-dev: error: unknown argument '$1' (--nodes N)" >&2; exit 2 ;;
    esac
done
[[ $NODES =~ ^[1-9][0-9]*$ ]] || { echo "slurm-dev: error: --nodes must be a positive number, got '$NODES'" >&2; exit 2; }

STATE=${OXYGEN_HPC_SLURM_DIR:-/tmp/oxygen-hpc-slurm}
CTLD_PORT=${SLURM_DEV_CTLD_PORT:-6817}
SLURMD_PORT=${SLURM_DEV_SLURMD_PORT:-6818}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF=$STATE/etc/slurm.conf
HOST=$(hostname -s)
export SLURM_CONF=$CONF

say() { echo "slurm-dev: $*" >&2; }
die() { say "error: $*"; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the dev cluster runs its daemons as root)"

# node names and their slurmd pid files: one node keeps the historical names (host, slurmd.pid)
names=()
if [[ $NODES -eq 1 ]]; then
    names=("$HOST")
else
    for i in $(seq 1 "$NODES"); do names+=("$HOST-n$i"); done
fi
slurmd_pidfile() { if [[ $NODES -eq 1 ]]; then echo "$STATE/slurmd.pid"; else echo "$STATE/slurmd-$1.pid"; fi; }

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

all_slurmd_alive() {
    local n
    for n in "${names[@]}"; do alive slurmd "$(slurmd_pidfile "$n")" || return 1; done
}

any_slurmd_alive() {
    local f
    for f in "$STATE"/slurmd.pid "$STATE"/slurmd-*.pid; do [[ -e $f ]] && alive slurmd "$f" && return 0; done
    return 1
}

# node states, one per line ("name state")
node_states() { sinfo -h -N -o '%N %t' 2>/dev/null | sort -u; }

write_config() {
    local cpus mem mem_node lines="" i port
    cpus=$(nproc --all)
    # RealMemory in MiB, a little under the total so slurmd does not drain the node for "low memory"
    mem=$(free -m | awk '/^Mem:/ {print int($2 * 0.95)}')
    mem_node=$((mem / NODES))
    local pid spool log
    if [[ $NODES -eq 1 ]]; then
        pid=$STATE/slurmd.pid spool=$STATE/spool log=$STATE/log/slurmd.log
        lines="NodeName=$HOST NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN"
    else
        pid=$STATE/slurmd-%n.pid spool=$STATE/spool/%n log=$STATE/log/slurmd-%n.log
        for i in $(seq 1 "$NODES"); do
            port=$((SLURMD_PORT + i - 1))
            lines+="NodeName=${names[$((i - 1))]} NodeHostname=$HOST NodeAddr=127.0.0.1 Port=$port CPUs=$cpus"
            lines+=" RealMemory=$mem_node State=UNKNOWN"
            [[ $i -lt $NODES ]] && lines+=$'\n'
        done
    fi
    sed -e "s|@STATE@|$STATE|g" -e "s|@NODE@|$HOST|g" -e "s|@CPUS@|$cpus|g" \
        -e "s|@MEMPERCPU@|$((mem_node / cpus))|g" -e "s|@CTLD_PORT@|$CTLD_PORT|g" \
        -e "s|@SLURMD_PORT@|$SLURMD_PORT|g" -e "s|@USER@|root|g" \
        -e "s|@SLURMD_PID@|$pid|g" -e "s|@SLURMD_SPOOL@|$spool|g" -e "s|@SLURMD_LOG@|$log|g" \
        "$HERE/slurm.conf.in" | NODE_LINES=$lines awk '$0 == "@NODE_LINES@" {print ENVIRON["NODE_LINES"]; next} {print}' \
        >"$CONF.tmp"
    mv "$CONF.tmp" "$CONF"
}

mkdir -p "$STATE"/{etc,log,munge,ctld,spool}
chmod 755 "$STATE" "$STATE/munge"
exec 9>"$STATE/start.lock"
# Two sessions starting at once: the second waits, then finds the cluster up. The daemons are started with
# 9>&- (so they do not hold the lock) and with stdio detached (so a caller capturing our output is not blocked).
flock 9

install_packages

running_nodes=$( [[ -s $STATE/nodes ]] && cat "$STATE/nodes" || echo 1 )
if alive slurmctld "$STATE/slurmctld.pid" && any_slurmd_alive && [[ $running_nodes != "$NODES" ]]; then
    die "a $running_nodes-node cluster is running in $STATE; stop it first (OXYGEN_HPC_SLURM_DIR=$STATE" \
        "slurm/dev/stop.sh) or start this one in another OXYGEN_HPC_SLURM_DIR with other ports"
fi

if alive munged "$STATE/munged.pid" && alive slurmctld "$STATE/slurmctld.pid" && all_slurmd_alive \
        && [[ -f $CONF ]]; then
    say "already running in $STATE ($(node_states | tr '\n' ' '))"
    echo "export SLURM_CONF=$CONF"
    exit 0
fi

write_config
echo "$NODES" >"$STATE/nodes"

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

for n in "${names[@]}"; do
    alive slurmd "$(slurmd_pidfile "$n")" && continue
    if [[ $NODES -eq 1 ]]; then
        slurmd -f "$CONF" 9>&- </dev/null >>"$STATE/log/slurmd.out" 2>&1 \
            || die "slurmd failed, see $STATE/log/slurmd.log"
    else
        mkdir -p "$STATE/spool/$n"
        slurmd -f "$CONF" -N "$n" 9>&- </dev/null >>"$STATE/log/slurmd-$n.out" 2>&1 \
            || die "slurmd -N $n failed, see $STATE/log/slurmd-$n.log"
    fi
done

# Wait until every node is idle (slurmctld needs a moment to register each slurmd).
ready=0
for _ in $(seq 1 120); do
    states=$(node_states || true)
    up=0
    while read -r name st; do
        case $st in
            idle|mix|alloc) up=$((up + 1)) ;;
            drain*|down*) scontrol update nodename="$name" state=resume >/dev/null 2>&1 || true ;;
        esac
    done <<<"$states"
    if [[ $up -eq $NODES ]]; then ready=1; break; fi
    sleep 0.5
done
[[ $ready -eq 1 ]] || die "nodes not idle after 60 s ($(echo "$states" | tr '\n' ' ')), see $STATE/log/slurmctld.log and slurmd*.log"
say "started in $STATE: $NODES node(s) $(echo "${names[*]}" | tr ' ' ','), $(nproc --all) CPUs each, partition debug"
echo "export SLURM_CONF=$CONF"
