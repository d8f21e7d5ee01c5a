#!/usr/bin/env bash
# npm run test:citus [-- jest args]: the Citus suites (test/citus/) against a local 3-node
# Citus cluster. Starts the cluster with ../shared/citus/cluster.sh (builds Citus on first use;
# CITUS_CLUSTER overrides the script's path), then runs jest with CITUS=1 against the
# coordinator: test/support/global-setup.ts makes the database on every node, migrates and
# places the tables (src/db/citus.ts). REQUIRE_CITUS=1: a suite that cannot run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/citus-cluster.sh
export CITUS=1 REQUIRE_CITUS=1
export TEST_DATABASE_URL="${CITUS_DATABASE_URL:-postgres://postgres@127.0.0.1:${COORDINATOR_PORT}/postgres}"
export CITUS_SHARD_COUNT="${CITUS_SHARD_COUNT:-8}"
node scripts/check-node.cjs
export GRAPHILE_ENV="${GRAPHILE_ENV:-development}"
# Besides test/citus/: the suites of the guarantee, on the cluster with the demo data.
SUITES=(test/citus test/isolation.test.ts test/permissions.test.ts test/plan-limits.test.ts test/bookings.test.ts
  test/audit.test.ts test/fuzz-isolation.test.ts)
for arg in "$@"; do # named files (npm run test:citus -- test/x.test.ts) replace the list; options add to it
  case "$arg" in -*) ;; *) SUITES=() ;; esac
done
exec npx jest "${SUITES[@]}" "$@"
