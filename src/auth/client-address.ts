import { createHmac } from "node:crypto";
import type { Request } from "express";

/**
 * The key a client address is budgeted under (app_private.login_address_budget): an HMAC of
 * the address with the server's secret, so the database never holds addresses in clear and
 * nobody without the secret can tell which address a row is. `req.ip` honours TRUST_PROXY.
 */
export function clientAddressKey(req: Request, secret: string): Buffer {
  const address = req.ip ?? req.socket.remoteAddress ?? "unknown";
  return createHmac("sha256", secret).update(`login-budget:${address}`).digest();
}
