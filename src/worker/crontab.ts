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
