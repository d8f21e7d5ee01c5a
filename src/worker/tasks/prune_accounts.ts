import type { Task } from "graphile-worker";

/** Hourly: delete invitations expired or revoked a day ago, used/expired reset tokens, old sent mails. */
export const pruneAccounts: Task = async (_payload, helpers) => {
  const { rows } = await helpers.query<{ invitations: number; resets: number; mails: number }>(
    `select app_private.prune_invitations() as invitations, app_private.prune_password_resets() as resets,
            app_private.prune_mail_outbox() as mails`,
  );
  const r = rows[0]!;
  helpers.logger.info(`pruned ${r.invitations} invitations, ${r.resets} reset tokens, ${r.mails} sent mails`);
};
