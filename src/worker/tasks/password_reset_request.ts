import type { Task } from "graphile-worker";

/**
 * The worker's half of `requestPasswordReset` (queued by app_public.request_password_reset with
 * payload `{ email }`): look the address up, and if it names an enabled login, write a one-time
 * reset link to the outbox (app_private.process_password_reset_request), which `send_mail`
 * then delivers. Done here, not in the request, so the request answers alike for every address.
 */
export const passwordResetRequest: Task = async (payload, helpers) => {
  const email = (payload as { email?: unknown } | null)?.email;
  if (typeof email !== "string") throw new Error("password_reset_request needs { email }");
  await helpers.query("select app_private.process_password_reset_request($1)", [email]);
};
