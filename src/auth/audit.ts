import { Kind, type DocumentNode } from "postgraphile/graphql";
import type { Pool } from "pg";
import type { Claims } from "./verify-token";

const SECRET_KEY = /pass|secret|token/i;

/**
 * Variables with the value of every key matching /pass|secret|token/i replaced, at any depth.
 * app_private.redact_secrets does the same in the database, which is the rule that counts;
 * redacting here as well keeps secrets out of the query parameters themselves (and so out of
 * any server-side statement log).
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, v]) => [key, SECRET_KEY.test(key) ? "[REDACTED]" : redactSecrets(v)]),
    );
  }
  return value;
}

/** The operation's name: the one asked for, or the document's single named operation. */
export function operationNameOf(operationName: string | null | undefined, document: DocumentNode | undefined): string | null {
  if (operationName) return operationName;
  const operations = document?.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION) ?? [];
  const only = operations.length === 1 ? operations[0] : undefined;
  return only && only.kind === Kind.OPERATION_DEFINITION ? (only.name?.value ?? null) : null;
}

/**
 * Record a platform-owner request in app_private.platform_audit_log (through the SECURITY
 * DEFINER function the authenticator may call). Runs before the request executes, outside
 * its transaction, so failed requests are recorded too; if recording fails the request is
 * refused (fail closed).
 */
export async function auditPlatformRequest(
  authPool: Pool,
  claims: Claims,
  request: { operationName: string | null; variables: unknown },
): Promise<void> {
  if (claims.role !== "platform_owner") return;
  await authPool.query("select app_hidden.record_platform_request($1, $2, $3, $4)", [
    claims.sessionId,
    claims.userId,
    request.operationName,
    JSON.stringify(redactSecrets(request.variables ?? {})),
  ]);
}
