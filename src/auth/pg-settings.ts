import type { RoleNames } from "../db/roles";
import type { Claims } from "./verify-token";

/**
 * Claims → the transaction-local settings PostGraphile applies with set_config(…, true) at
 * the start of the request's transaction. Built from a fixed list of claims, never empty:
 * `role` is always set, so a request never runs as the pool's login role.
 */
export interface StatementTimeouts {
  /** ms for every logged-in role */
  statementTimeoutMs: number;
  /** ms for anonymous requests */
  anonymousStatementTimeoutMs: number;
}

export const DEFAULT_STATEMENT_TIMEOUTS: StatementTimeouts = { statementTimeoutMs: 15_000, anonymousStatementTimeoutMs: 5_000 };

/**
 * `statement_timeout` is set per request and per role, transaction-locally like the claims
 * (so it is safe behind a transaction-mode pooler and never leaks to the next request on the
 * connection). A query that runs too long fails with SQLSTATE 57014.
 */
export function pgSettingsFor(
  claims: Claims,
  roles: RoleNames,
  timeouts: StatementTimeouts = DEFAULT_STATEMENT_TIMEOUTS,
): Record<string, string> {
  const timeout = claims.role === "anonymous" ? timeouts.anonymousStatementTimeoutMs : timeouts.statementTimeoutMs;
  return {
    role: roles.visitor[claims.role],
    statement_timeout: `${timeout}ms`,
    "jwt.claims.role": claims.role,
    "jwt.claims.user_id": claims.userId ?? "",
    "jwt.claims.tenant_id": claims.tenantId ?? "",
    "jwt.claims.session_id": claims.sessionId ?? "",
  };
}
