#!/usr/bin/env bash
# npm run start:citus: the API (and graphile-worker) on the local 3-node Citus cluster.
# Starts the cluster with ../shared/citus/cluster.sh (as test:citus does; CITUS_CLUSTER
# overrides the path), then `npm start` in Citus mode against the coordinator: database
# `ironclad` on every node, migrated and placed (src/db/prepare.ts), secrets in DATA_DIR
# (default .data/citus). The demo data is loaded into an empty database (SEED=0: none).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/citus-cluster.sh
export CITUS=1
export ROOT_DATABASE_URL="${ROOT_DATABASE_URL:-postgres://postgres@127.0.0.1:${COORDINATOR_PORT}/postgres}"
export DATA_DIR="${DATA_DIR:-.data/citus}"
export SEED="${SEED:-1}"
node scripts/check-node.cjs
exec node --import tsx src/cli/start.ts "$@"
