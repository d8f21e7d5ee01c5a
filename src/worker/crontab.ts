/**
 * graphile-worker crontab (same syntax as a `crontab` file):
 *   ┌ minute ┬ hour ┬ day ┬ month ┬ weekday ┐ task identifier ?options
 */
export const crontab = [
  "17 3 * * * prune_sessions ?max=3",
].join("\n");
