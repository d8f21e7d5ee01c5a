# Sourced by test-citus.sh and start-citus.sh: find the cluster script, start the local 3-node
# cluster, and set COORDINATOR_PORT. The script lives beside the repository (../shared/citus);
# a clone elsewhere (CI's clean clone) finds the machine's copy under /work/shared;
# CITUS_CLUSTER overrides both.
CLUSTER="${CITUS_CLUSTER:-}"
if [ -z "$CLUSTER" ]; then
  for candidate in "$(cd .. && pwd)/shared/citus/cluster.sh" /work/shared/citus/cluster.sh; do
    if [ -x "$candidate" ]; then CLUSTER="$candidate"; break; fi
  done
fi
[ -x "$CLUSTER" ] || { echo "citus: no cluster script at ${CLUSTER:-../shared/citus/cluster.sh} (set CITUS_CLUSTER)" >&2; exit 2; }
COORDINATOR_PORT="${CITUS_PORTS:-9700 9701 9702}"; COORDINATOR_PORT="${COORDINATOR_PORT%% *}"
"$CLUSTER" start >&2
