import type { Runner } from "graphile-worker";
import type { Pool } from "pg";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Prometheus metrics, served as text at GET /metrics (src/server.ts). One registry per API
 * instance, so two servers in one process (tests) never share counters.
 *
 * Label values a client controls (the operation name) are bounded: only names that look like
 * GraphQL names, and at most MAX_OPERATION_LABELS distinct ones per process; the rest count
 * as "other". An attacker cannot blow up the series count by inventing names.
 */
export const MAX_OPERATION_LABELS = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

export type Outcome = "ok" | "graphql_error" | "client_error" | "server_error";

export interface Metrics {
  registry: Registry;
  observeRequest(operation: string | null, outcome: Outcome, seconds: number): void;
  watchPool(name: string, pool: Pool): void;
  watchWorker(runner: Runner, tasks: readonly string[]): void;
  /** Seconds since the network leaderboards were last refreshed (read on scrape). */
  watchLeaderboards(read: () => Promise<number | null>): void;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "ironclad_process_" });
  const seen = new Set<string>();
  const label = (operation: string | null): string => {
    if (!operation) return "anonymous";
    if (!OPERATION_NAME.test(operation)) return "other";
    if (seen.has(operation)) return operation;
    if (seen.size >= MAX_OPERATION_LABELS) return "other";
    seen.add(operation);
    return operation;
  };

  const duration = new Histogram({
    name: "ironclad_http_request_duration_seconds",
    help: "GraphQL request duration by operation name and outcome (ok, graphql_error, client_error, server_error).",
    labelNames: ["operation", "outcome"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const pools = new Map<string, Pool>();
  new Gauge({
    name: "ironclad_db_pool_connections",
    help: "Connections of each database pool by state (total, idle, waiting clients).",
    labelNames: ["pool", "state"] as const,
    registers: [registry],
    collect() {
      for (const [name, pool] of pools) {
        this.set({ pool: name, state: "total" }, pool.totalCount);
        this.set({ pool: name, state: "idle" }, pool.idleCount);
        this.set({ pool: name, state: "waiting" }, pool.waitingCount);
      }
    },
  });

  const jobs = new Counter({
    name: "ironclad_worker_jobs_total",
    help: "graphile-worker jobs finished in this process, by task and result (success, failure).",
    labelNames: ["task", "result"] as const,
    registers: [registry],
  });

  let leaderboardAge: (() => Promise<number | null>) | undefined;
  new Gauge({
    name: "ironclad_leaderboard_staleness_seconds",
    help: "Seconds since the network leaderboards were last recomputed in full (the daily repair; the boards follow every write as it commits; -1: never).",
    registers: [registry],
    async collect() {
      if (!leaderboardAge) return;
      try {
        const age = await leaderboardAge();
        this.set(age ?? -1);
      } catch {
        // A scrape must not fail because the database is away; /readyz reports that.
      }
    },
  });

  return {
    registry,
    observeRequest(operation, outcome, seconds) {
      duration.observe({ operation: label(operation), outcome }, seconds);
    },
    watchPool(name, pool) {
      pools.set(name, pool);
    },
    watchWorker(runner, tasks) {
      runner.events.on("job:success", ({ job }) => jobs.inc({ task: job.task_identifier, result: "success" }));
      runner.events.on("job:failed", ({ job }) => jobs.inc({ task: job.task_identifier, result: "failure" }));
      // Initialise the series so a dashboard sees 0, not "no data", before the first job.
      for (const task of tasks) {
        jobs.inc({ task, result: "success" }, 0);
        jobs.inc({ task, result: "failure" }, 0);
      }
    },
    watchLeaderboards(read) {
      leaderboardAge = read;
    },
  };
}
