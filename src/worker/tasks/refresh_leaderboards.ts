import type { Task } from "graphile-worker";

/**
 * Recompute the network leaderboards (app_shared.network_best_*) in full and record when.
 * A repair: triggers keep the boards current as results are written. Run daily by the
 * crontab and enqueued after a tenant import or a restore (job key `refresh_leaderboards`).
 * The SQL function runs as the shared role.
 */
export const refreshLeaderboards: Task = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ rows: number }>("select app_shared.refresh_leaderboards() as rows");
  helpers.logger.info(`refreshed network leaderboards (${rows[0]?.rows ?? 0} rows)`);
};
