import type { Task } from "graphile-worker";

/** Daily: delete sessions revoked (or expired past any token's life) over a week ago. */
export const pruneSessions: Task = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ pruned: number }>("select app_private.prune_sessions() as pruned");
  helpers.logger.info(`pruned ${rows[0]?.pruned ?? 0} dead sessions`);
};
