import type { Task } from "graphile-worker";
import { loadConfig } from "../../config";
import { renderMail, type OutboxMail } from "../../mail/templates";
import { createMailer, type Mailer } from "../../mail/transport";

let mailer: { key: string; mailer: Mailer } | undefined;
function currentMailer(): { mailer: Mailer; publicUrl: string } {
  const config = loadConfig();
  const key = `${config.smtpUrl ?? ""}|${config.mailDir}|${config.mailFrom}`;
  if (mailer?.key !== key) mailer = { key, mailer: createMailer(config) };
  return { mailer: mailer.mailer, publicUrl: config.publicUrl };
}

/**
 * Send one outbox mail (enqueued by the outbox's insert trigger, payload `{ id }`): render it,
 * deliver it, mark it sent (which erases its token). A failure is recorded on the row and
 * thrown, so graphile-worker retries with backoff. A mail already sent is skipped.
 */
export const sendMail: Task = async (payload, helpers) => {
  const id = (payload as { id?: unknown } | null)?.id;
  if (typeof id !== "string") throw new Error("send_mail needs { id }");
  const { rows } = await helpers.query<OutboxMail>(
    "select id, template, recipient::text as recipient, params, secret from app_private.take_mail($1) where id is not null",
    [id],
  );
  const mail = rows[0];
  if (!mail) return;
  const { mailer: transport, publicUrl } = currentMailer();
  try {
    const where = await transport.send({ id: mail.id, ...renderMail(mail, publicUrl) });
    await helpers.query("select app_private.finish_mail($1, null)", [mail.id]);
    helpers.logger.info(`sent ${mail.template} mail ${mail.id} → ${where}`);
  } catch (error) {
    await helpers.query("select app_private.finish_mail($1, $2)", [mail.id, String(error)]);
    throw error;
  }
};
