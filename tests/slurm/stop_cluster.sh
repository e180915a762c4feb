#!/usr/bin/env bash
# Stop the daemons that tests/slurm/start_cluster.sh started, by the PIDs it
# recorded, newest first. Daemons it did not start are left running.
set -uo pipefail

STATE=${TOPOGRAPH_SLURM_STATE:-/run/topograph-slurm}
PIDS=$STATE/pids

[[ -s $PIDS ]] || exit 0

for pid in $(tac "$PIDS"); do
    kill "$pid" 2>/dev/null || continue
    # slurmctld saves its state on SIGTERM; give each daemon 10 s.
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "stop_cluster: PID $pid did not exit on SIGTERM; sending SIGKILL" >&2
        kill -9 "$pid" 2>/dev/null
    fi
done
rm -f "$PIDS"
echo "stop_cluster: stopped the test cluster"
