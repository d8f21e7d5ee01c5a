import type { Task } from "graphile-worker";

/** How soon after one run of network_bests_catch_up the next one is due (the boards' lag on the cluster). */
export const NETWORK_BESTS_CATCH_UP_SECONDS = 5;

/** The job key of every run: one pending run at a time, whoever enqueued it (this task, the crontab). */
export const NETWORK_BESTS_CATCH_UP_KEY = "network_bests_catch_up";

/**
 * Citus mode only (docs/CITUS.md): bring the network boards (app_shared.network_best_*, local
 * on the coordinator) up to date with the notes the shards' triggers left in
 * app_private.network_bests_pending (migrations/citus.sql). On one node the boards follow every
 * write in its own transaction and this task is never enqueued.
 *
 * Each run schedules the next one NETWORK_BESTS_CATCH_UP_SECONDS later under the same job key,
 * so the boards trail the shards by about that much; the crontab (src/worker/crontab.ts, Citus
 * mode) enqueues it every minute as well, which starts the chain when the worker starts and
 * restarts it after a run that failed.
 */
export const networkBestsCatchUp: Task = async (_payload, helpers) => {
  try {
    const { rows } = await helpers.query<{ notes: number; oldest_ms: number | null }>(
      "select notes, round(extract(epoch from oldest) * 1000)::integer as oldest_ms from app_private.network_bests_catch_up()",
    );
    const { notes = 0, oldest_ms = null } = rows[0] ?? {};
    if (notes > 0) helpers.logger.info(`network boards caught up: ${notes} note(s), oldest ${oldest_ms ?? 0} ms`);
  } finally {
    await helpers.addJob(
      "network_bests_catch_up",
      {},
      {
        jobKey: NETWORK_BESTS_CATCH_UP_KEY,
        jobKeyMode: "preserve_run_at",
        runAt: new Date(Date.now() + NETWORK_BESTS_CATCH_UP_SECONDS * 1000),
        maxAttempts: 1,
      },
    );
  }
};
