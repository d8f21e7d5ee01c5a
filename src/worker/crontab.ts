/**
 * graphile-worker crontab (same syntax as a `crontab` file):
 *   ┌ minute ┬ hour ┬ day ┬ month ┬ weekday ┐ task identifier ?options
 */
export const crontab = [
  "17 3 * * * prune_sessions ?max=3",
  // Expired and revoked invitations, used reset tokens, mails sent a month ago.
  "41 * * * * prune_accounts ?max=3",
  // Safety net for the trigger-enqueued refreshes (and rolls "this month" over): every 15
  // minutes, under the same job key so it merges with a pending triggered refresh.
  "*/15 * * * * refresh_leaderboards ?max=1&jobKey=refresh_leaderboards&jobKeyMode=preserve_run_at",
].join("\n");
