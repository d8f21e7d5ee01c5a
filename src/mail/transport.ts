import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import nodemailer, { type Transporter } from "nodemailer";
import type { Config } from "../config";
import type { RenderedMail } from "./templates";

export interface Mailer {
  /** Deliver one mail; returns where it went (a file path for the development transport). */
  send(mail: RenderedMail & { id: string }): Promise<string>;
  /** One line for the start banner: where mail goes. */
  describe(): string;
}

/**
 * The real transport: SMTP (nodemailer) when SMTP_URL is set; otherwise nodemailer's JSON
 * transport, each delivered mail written as `<MAIL_DIR>/<time>-<outbox id>.json` (the demo and
 * the tests read mail there).
 */
export function createMailer(config: Pick<Config, "smtpUrl" | "mailDir" | "mailFrom">): Mailer {
  if (config.smtpUrl) {
    const transport: Transporter = nodemailer.createTransport(config.smtpUrl);
    return {
      async send(mail) {
        const info = await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
        return `smtp:${info.messageId}`;
      },
      describe: () => `SMTP (${new URL(config.smtpUrl!).host})`,
    };
  }
  const transport = nodemailer.createTransport({ jsonTransport: true });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from: config.mailFrom, to: mail.to, subject: mail.subject, text: mail.text });
      await mkdir(config.mailDir, { recursive: true });
      const file = path.join(config.mailDir, `${Date.now()}-${mail.id}.json`);
      await writeFile(file, `${info.message}\n`, { mode: 0o600 });
      return file;
    },
    describe: () => `files in ${config.mailDir}`,
  };
}
