import type { Task } from "graphile-worker";

/**
 * Refresh the network leaderboards (app_shared materialized views) and record when.
 * Enqueued by database triggers (job key `refresh_leaderboards`, so bursts collapse into one
 * job) and by the crontab as a safety net. The SQL function runs as the shared role.
 */
export const refreshLeaderboards: Task = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ rows: number }>("select app_shared.refresh_leaderboards() as rows");
  helpers.logger.info(`refreshed network leaderboards (${rows[0]?.rows ?? 0} rows)`);
};
