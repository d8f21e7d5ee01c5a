import { DEFAULT_CREDENTIAL_SETTINGS, DEFAULT_STATEMENT_TIMEOUTS } from "../config";
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

/** Credential settings the database reads per transaction (see 450-login-throttle / 500-sessions-and-auth). */
export interface CredentialSettings {
  /** bcrypt cost of new hashes and of the stand-in check for unknown accounts (BCRYPT_COST). */
  bcryptCost: number;
  /** Access-token lifetime in seconds, ≤ 900 (ACCESS_TOKEN_TTL). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in seconds (REFRESH_TOKEN_TTL). */
  refreshTokenTtlSeconds: number;
}

export type RequestSettings = StatementTimeouts & CredentialSettings;

/**
 * `statement_timeout` is set per request and per role, transaction-locally like the claims
 * (so it is safe behind a transaction-mode pooler and never leaks to the next request on the
 * connection). A query that runs too long fails with SQLSTATE 57014.
 */
export function pgSettingsFor(
  claims: Claims & { membershipVersion?: number | null },
  roles: RoleNames,
  settings: Partial<RequestSettings> = {},
): Record<string, string> {
  const s: RequestSettings = { ...DEFAULT_STATEMENT_TIMEOUTS, ...DEFAULT_CREDENTIAL_SETTINGS, ...settings };
  const timeout = claims.role === "anonymous" ? s.anonymousStatementTimeoutMs : s.statementTimeoutMs;
  return {
    role: roles.visitor[claims.role],
    statement_timeout: `${timeout}ms`,
    "jwt.claims.role": claims.role,
    "jwt.claims.user_id": claims.userId ?? "",
    "jwt.claims.tenant_id": claims.tenantId ?? "",
    "jwt.claims.session_id": claims.sessionId ?? "",
    "jwt.claims.membership_id": claims.membershipId ?? "",
    // Read only by the session check in the transaction's first round trip (session-guard.ts).
    "jwt.claims.membership_version": claims.membershipVersion == null ? "" : String(claims.membershipVersion),
    "ironclad.bcrypt_cost": String(s.bcryptCost),
    "ironclad.access_token_ttl": String(s.accessTokenTtlSeconds),
    "ironclad.refresh_token_ttl": String(s.refreshTokenTtlSeconds),
  };
}
