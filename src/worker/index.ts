import { run, type Runner, type TaskList } from "graphile-worker";
import { citusCrontab, crontab } from "./crontab";
import { networkBestsCatchUp } from "./tasks/network_bests_catch_up";
import { passwordResetRequest } from "./tasks/password_reset_request";
import { pruneAccounts } from "./tasks/prune_accounts";
import { pruneSessions } from "./tasks/prune_sessions";
import { refreshLeaderboards } from "./tasks/refresh_leaderboards";
import { sendMail } from "./tasks/send_mail";

/** Every task the worker knows, by identifier. One file per task in ./tasks. */
export const taskList: TaskList = {
  network_bests_catch_up: networkBestsCatchUp,
  password_reset_request: passwordResetRequest,
  prune_accounts: pruneAccounts,
  prune_sessions: pruneSessions,
  refresh_leaderboards: refreshLeaderboards,
  send_mail: sendMail,
};

/**
 * Start graphile-worker against the owner connection (jobs run as the owner, never as a
 * visitor). `citus`: the database is in Citus mode (docs/CITUS.md), whose crontab also keeps
 * the network boards caught up.
 */
export async function startWorker(ownerUrl: string, options: { concurrency?: number; citus?: boolean } = {}): Promise<Runner> {
  return run({
    connectionString: ownerUrl,
    concurrency: options.concurrency ?? 2,
    noHandleSignals: true,
    pollInterval: 1000,
    taskList,
    crontab: options.citus ? citusCrontab : crontab,
  });
}
