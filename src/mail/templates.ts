/**
 * The mails Ironclad sends, rendered from an outbox row (app_private.mail_outbox). The raw
 * one-time token exists only in the row's `secret` until the mail is sent, and in the mail.
 */
export type MailTemplate = "invitation" | "password_reset";

export interface OutboxMail {
  id: string;
  template: MailTemplate;
  recipient: string;
  params: Record<string, unknown>;
  secret: string | null;
}

export interface RenderedMail {
  to: string;
  subject: string;
  text: string;
}

/** The link a mail carries: the app's page for the action, with the token as `token`. */
export function actionLink(publicUrl: string, template: MailTemplate, token: string): string {
  const page = template === "invitation" ? "accept-invitation" : "reset-password";
  return `${publicUrl}/${page}?token=${encodeURIComponent(token)}`;
}

const ROLE_WORDS: Record<string, string> = {
  member: "a member",
  personal_trainer: "a personal trainer",
  coach: "a coach",
  gym_admin: "an admin",
};

export function renderMail(mail: OutboxMail, publicUrl: string): RenderedMail {
  if (!mail.secret) throw new Error(`mail ${mail.id} has no token to send`);
  const link = actionLink(publicUrl, mail.template, mail.secret);
  const expires = String(mail.params.expires_at ?? "");
  if (mail.template === "invitation") {
    const gym = String(mail.params.gym ?? "a gym");
    const role = ROLE_WORDS[String(mail.params.role)] ?? "a member";
    return {
      to: mail.recipient,
      subject: `You are invited to join ${gym} on Ironclad`,
      text: [
        `Hello ${String(mail.params.display_name ?? "")},`,
        "",
        `${gym} invites you to join as ${role}. Accept here (the link works once, until ${expires}):`,
        "",
        link,
        "",
        "New to Ironclad? You choose your password when you accept. Already have a login? Log in first, then open the link.",
        "If you did not expect this invitation, ignore this mail.",
      ].join("\n"),
    };
  }
  return {
    to: mail.recipient,
    subject: "Reset your Ironclad password",
    text: [
      "Someone (hopefully you) asked to reset the password of this Ironclad login.",
      `Choose a new one here (the link works once, until ${expires}); every session is then logged out:`,
      "",
      link,
      "",
      "If you did not ask for this, ignore this mail: your password stays as it is.",
    ].join("\n"),
  };
}
