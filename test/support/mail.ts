import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { Logger, runOnce } from "graphile-worker";
import { passwordResetRequest } from "../../src/worker/tasks/password_reset_request";
import { sendMail } from "../../src/worker/tasks/send_mail";
import { loadConfig } from "../../src/config";
import { testDb } from "./db";

/** Run the real graphile-worker tasks `password_reset_request` and `send_mail` for every queued job, once. */
export const quietLogger = new Logger(() => () => undefined);

export async function deliverMail(): Promise<void> {
  // Reset requests first (they write the outbox), then the mail they and everything else queued.
  await runOnce({
    connectionString: testDb().ownerUrl,
    taskList: { password_reset_request: passwordResetRequest },
    concurrency: 1,
    logger: quietLogger,
  });
  await runOnce({ connectionString: testDb().ownerUrl, taskList: { send_mail: sendMail }, concurrency: 1, logger: quietLogger });
}

export interface DeliveredMail {
  file: string;
  to: string;
  subject: string;
  text: string;
}

/** Every mail the development transport has written for `address` (oldest first). */
export async function mailsTo(address: string): Promise<DeliveredMail[]> {
  const dir = loadConfig().mailDir;
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json")).sort();
  const mails: DeliveredMail[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const m = JSON.parse(await readFile(file, "utf8")) as { to: { address: string }[]; subject: string; text: string };
    if (m.to.some((t) => t.address.toLowerCase() === address.toLowerCase()))
      mails.push({ file, to: address, subject: m.subject, text: m.text });
  }
  return mails;
}

/** The token in a mail's link (`…?token=<64 hex>`). */
export function tokenIn(mail: DeliveredMail): string {
  const match = /[?&]token=([0-9a-f]{64})\b/.exec(mail.text);
  if (!match) throw new Error(`no token link in mail to ${mail.to}: ${mail.text}`);
  return match[1]!;
}

/** Deliver queued mail, then the token of the newest mail to `address`. */
export async function latestToken(address: string): Promise<string> {
  await deliverMail();
  const mails = await mailsTo(address);
  if (!mails.length) throw new Error(`no mail to ${address}`);
  return tokenIn(mails[mails.length - 1]!);
}
