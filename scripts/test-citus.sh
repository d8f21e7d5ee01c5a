#!/usr/bin/env bash
# npm run test:citus [-- jest args]: the Citus suites (test/citus/) against a local 3-node
# Citus cluster. Starts the cluster with ../shared/citus/cluster.sh (builds Citus on first use;
# CITUS_CLUSTER overrides the script's path), then runs jest with CITUS=1 against the
# coordinator: test/support/global-setup.ts makes the database on every node, migrates and
# places the tables (src/db/citus.ts). REQUIRE_CITUS=1: a suite that cannot run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# The cluster script lives beside the repository (../shared/citus); a clone elsewhere (CI's
# clean clone) finds the machine's copy under /work/shared.
CLUSTER="${CITUS_CLUSTER:-}"
if [ -z "$CLUSTER" ]; then
  for candidate in "$(cd .. && pwd)/shared/citus/cluster.sh" /work/shared/citus/cluster.sh; do
    if [ -x "$candidate" ]; then CLUSTER="$candidate"; break; fi
  done
fi
[ -x "$CLUSTER" ] || { echo "test:citus: no cluster script at $CLUSTER (set CITUS_CLUSTER)" >&2; exit 2; }
PORT="${CITUS_PORTS:-9700 9701 9702}"; PORT="${PORT%% *}"
"$CLUSTER" start >&2
export CITUS=1 REQUIRE_CITUS=1
export TEST_DATABASE_URL="${CITUS_DATABASE_URL:-postgres://postgres@127.0.0.1:${PORT}/postgres}"
export CITUS_SHARD_COUNT="${CITUS_SHARD_COUNT:-8}"
node scripts/check-node.cjs
export GRAPHILE_ENV="${GRAPHILE_ENV:-development}"
exec npx jest test/citus "$@"
