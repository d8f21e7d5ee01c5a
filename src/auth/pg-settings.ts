import type { RoleNames } from "../db/roles";
import type { Claims } from "./verify-token";

/**
 * Claims → the transaction-local settings PostGraphile applies with set_config(…, true) at
 * the start of the request's transaction. Built from a fixed list of claims, never empty:
 * `role` is always set, so a request never runs as the pool's login role.
 */
export function pgSettingsFor(claims: Claims, roles: RoleNames): Record<string, string> {
  return {
    role: roles.visitor[claims.role],
    "jwt.claims.role": claims.role,
    "jwt.claims.user_id": claims.userId ?? "",
    "jwt.claims.tenant_id": claims.tenantId ?? "",
    "jwt.claims.session_id": claims.sessionId ?? "",
  };
}
