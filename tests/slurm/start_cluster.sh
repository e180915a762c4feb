#!/usr/bin/env bash
# Start a single-node SLURM cluster for the tests: munged, slurmctld and
# slurmd on this machine, one node with two dummy GPUs, partitions "debug"
# (default) and "gpu". Needs root. Tried on Debian 12 with Slurm 22.05 and
# munge 0.5.15, without systemd.
#
# Usage: tests/slurm/start_cluster.sh [--install]
#   --install   install slurmctld, slurmd, slurm-client and munge with
#               apt-get when they are missing.
#
# The PIDs of the daemons this script starts are written to
# $TOPOGRAPH_SLURM_STATE/pids (default /run/topograph-slurm) and
# tests/slurm/stop_cluster.sh stops exactly those. If slurmctld already
# responds and node1 is up, that cluster is used and nothing is started. Exit status 0 means an
# idle node is up; any other status comes with a message on stderr.
set -euo pipefail

STATE=${TOPOGRAPH_SLURM_STATE:-/run/topograph-slurm}
CONF_DIR=/etc/slurm
# The Snakemake job-step executor does not pass SLURM_CONF on to the jobs,
# so the configuration must sit at the default path.
CONF=$CONF_DIR/slurm.conf
MARKER="# Written by tests/slurm/start_cluster.sh"
NODE=node1

fail() {
    echo "start_cluster: $*" >&2
    exit 1
}

wait_for() {
    # wait_for SECONDS COMMAND...: poll COMMAND every 0.5 s until it succeeds.
    local deadline=$((SECONDS + $1))
    shift
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

node_idle() {
    sinfo -h -n "$NODE" -o %t | grep -Eqx 'idle|mix|alloc'
}

cluster_is_up() {
    command -v sinfo >/dev/null && scontrol ping 2>/dev/null | grep -q UP && node_idle
}

record_pid() {
    # record_pid PIDFILE: append the PID a daemon wrote to the state file.
    wait_for 10 test -s "$1" || fail "no PID file $1; see the logs in /var/log/slurm"
    cat "$1" >>"$STATE/pids"
}

install=false
for argument in "$@"; do
    case $argument in
    --install) install=true ;;
    *) fail "unknown argument $argument; the only option is --install" ;;
    esac
done

if cluster_is_up; then
    echo "start_cluster: a SLURM cluster is already up; starting nothing"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || fail "must run as root to start munged, slurmctld and slurmd"

missing=()
for program in munged slurmctld slurmd sbatch; do
    command -v "$program" >/dev/null || missing+=("$program")
done
if ((${#missing[@]})); then
    $install || fail "missing ${missing[*]}; rerun with --install or install slurmctld slurmd slurm-client munge"
    command -v apt-get >/dev/null || fail "missing ${missing[*]} and no apt-get to install them"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        slurmctld slurmd slurm-client munge
fi

# An existing configuration that this script did not write belongs to a
# real cluster: leave it alone.
if [[ -e $CONF ]] && ! grep -qF "$MARKER" "$CONF"; then
    fail "$CONF exists and was not written by this script; not replacing it"
fi

# The node offers what slurmd detects, but at most 4000 MB: the tests' jobs
# need a few hundred MB each.
read -r cpus memory < <(slurmd -C | head -1 | sed -E 's/.*CPUs=([0-9]+).*RealMemory=([0-9]+).*/\1 \2/')
[[ $cpus =~ ^[0-9]+$ && $memory =~ ^[0-9]+$ ]] || fail "cannot read CPUs and RealMemory from slurmd -C"
memory=$((memory < 4000 ? memory : 4000))

# Dummy GPUs: gres.conf must name character devices, or slurmd drops the
# GPUs and the node stays INVAL ("gres/gpu count reported lower than
# configured"). Major 1, minor 3 are the numbers of /dev/null.
mkdir -p "$STATE"
: >"$STATE/pids"
for index in 0 1; do
    [[ -c $STATE/gpu$index ]] || mknod "$STATE/gpu$index" c 1 3 ||
        fail "mknod $STATE/gpu$index failed; this machine does not allow device nodes"
done

mkdir -p "$CONF_DIR" /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat >"$CONF" <<EOF
$MARKER for the test cluster.
# No slurmdbd (so no sacct), no cgroups, no systemd.
ClusterName=topograph-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to squeue and scontrol for 10 minutes, which
# the tests read after a run.
MinJobAge=600
# Without a default, a job that requests no memory takes the whole node.
DefMemPerCPU=1000
GresTypes=gpu
NodeName=$NODE NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$memory Gres=gpu:2
PartitionName=debug Nodes=$NODE Default=YES MaxTime=60 State=UP
PartitionName=gpu Nodes=$NODE MaxTime=60 State=UP
EOF
echo "NodeName=$NODE Name=gpu File=$STATE/gpu[0-1]" >"$CONF_DIR/gres.conf"

if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    install -d -o munge -g munge -m 0755 /run/munge
    runuser -u munge -- /usr/sbin/munged || fail "munged did not start"
    record_pid /run/munge/munged.pid
    wait_for 10 sh -c 'munge -n | unmunge' || fail "munge credentials do not verify"
fi

# -c: start without the jobs of an earlier test cluster.
rm -f /run/slurmctld.pid /run/slurmd.pid
slurmctld -c || fail "slurmctld did not start; see /var/log/slurm/slurmctld.log"
record_pid /run/slurmctld.pid
slurmd -N "$NODE" || fail "slurmd did not start; see /var/log/slurm/slurmd.log"
record_pid /run/slurmd.pid

wait_for 60 node_idle || fail "node $NODE did not become idle: $(sinfo -h -N -o '%N %t %E')"
echo "start_cluster: node $NODE is up with $cpus CPUs, $memory MB and 2 GPUs"
