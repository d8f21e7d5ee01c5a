/**
 * graphile-worker crontab (same syntax as a `crontab` file):
 *   ┌ minute ┬ hour ┬ day ┬ month ┬ weekday ┐ task identifier ?options
 */
export const crontab = [
  "17 3 * * * prune_sessions ?max=3",
  // Expired and revoked invitations, used reset tokens, mails sent a month ago.
  "41 * * * * prune_accounts ?max=3",
  // The network boards follow every write through triggers; this daily full recompute only
  // repairs what a bulk load that bypassed them left behind (same job key as an import's).
  "23 4 * * * refresh_leaderboards ?max=1&jobKey=refresh_leaderboards&jobKeyMode=preserve_run_at",
].join("\n");

/**
 * Citus mode (docs/CITUS.md): the same, plus the network boards' catch-up (on the cluster the
 * shards leave notes instead of writing the boards). Each run schedules the next a few seconds
 * later (src/worker/tasks/network_bests_catch_up.ts); this entry starts that chain and restarts
 * it after a failed run, under the same job key (an earlier pending run is kept).
 */
export const citusCrontab = [
  crontab,
  "* * * * * network_bests_catch_up ?max=1&jobKey=network_bests_catch_up&jobKeyMode=preserve_run_at",
].join("\n");
