import type { IncomingMessage } from "node:http";
import type { Pool } from "pg";
import { GraphQLError, type ExecutionResult, type ValidationContext, type ValidationRule } from "postgraphile/graphql";
import { countCredentialFields, selectedOperation } from "./secret-arguments";

declare module "http" {
  interface IncomingMessage {
    /** HMAC of the client address (src/auth/client-address.ts), set by the auth middleware. */
    ironcladClientKey?: Buffer;
  }
}

export interface LoginBudget {
  /** Credential-checking requests one client address may make per window (LOGIN_ADDRESS_BUDGET). */
  attempts: number;
  /** Window length in seconds (LOGIN_ADDRESS_WINDOW_SECONDS). */
  windowSeconds: number;
}

/** The most credential-checking fields one request may contain. */
export const MAX_CREDENTIAL_FIELDS = 1;

/**
 * Validation rule: an operation with more than one credential-checking root field (20
 * aliased `authenticate`s would try 20 passwords for the price of one request) is refused
 * with CREDENTIAL_FIELDS_EXCEEDED before anything runs.
 */
export function makeCredentialFieldsRule(): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const n = countCredentialFields(context.getSchema(), context.getDocument(), operation);
      if (n > MAX_CREDENTIAL_FIELDS) {
        context.reportError(
          new GraphQLError(
            `A request may contain at most ${MAX_CREDENTIAL_FIELDS} credential-checking field (login, refresh, password change or reset); this one has ${n}.`,
            { nodes: [operation], extensions: { code: "CREDENTIAL_FIELDS_EXCEEDED", limit: MAX_CREDENTIAL_FIELDS } },
          ),
        );
      }
    },
  });
}

interface PgErrorLike {
  code?: unknown;
  detail?: unknown;
}

function detailField(error: unknown, name: string): string | undefined {
  const detail = (error as PgErrorLike | undefined)?.detail;
  if (typeof detail !== "string") return undefined;
  return new RegExp(`(?:^|\\s)${name}=([0-9a-f]+)(?:\\s|$)`).exec(detail)?.[1];
}

/**
 * Around the execution of any operation with a credential-checking field:
 *  - before: spend one unit of the client address's budget in Postgres
 *    (app_hidden.spend_login_budget); over budget → LOGIN_RATE_LIMITED with retryAfter;
 *  - after: the database's refusals roll back their own transaction, so what they must leave
 *    behind is written here, in a transaction of its own: a refused login (IC003/IC005 with a
 *    `login_key` DETAIL) counts toward the account's lock; a retired refresh token presented
 *    again (IC006 with `reuse`) revokes its session. IC005 gets its `retryAfter` (seconds).
 */
export function makeLoginGuard(authPool: Pool, budget: LoginBudget) {
  return async function execute(
    next: () => unknown,
    args: {
      schema: Parameters<typeof countCredentialFields>[0];
      document: Parameters<typeof countCredentialFields>[1];
      operationName?: string | null;
      requestContext?: { expressv4?: { req?: IncomingMessage } };
    },
  ): Promise<unknown> {
    const operation = selectedOperation(args.document, args.operationName);
    const fields = operation ? countCredentialFields(args.schema, args.document, operation) : 0;
    if (fields === 0) return next();

    const key = args.requestContext?.expressv4?.req?.ironcladClientKey;
    if (!key) {
      return {
        errors: [
          new GraphQLError("Could not identify the client for a credential check.", { extensions: { code: "AUTH_UNAVAILABLE" } }),
        ],
      };
    }
    const { rows } = await authPool.query<{ wait: number }>("select app_hidden.spend_login_budget($1, $2, $3) as wait", [
      key,
      budget.attempts,
      budget.windowSeconds,
    ]);
    const wait = rows[0]?.wait ?? 0;
    if (wait > 0) {
      return {
        errors: [
          new GraphQLError("Too many credential checks from this address; try again later.", {
            extensions: { code: "LOGIN_RATE_LIMITED", retryAfter: wait },
          }),
        ],
      };
    }

    const result = (await next()) as ExecutionResult | AsyncIterable<unknown>;
    if (!result || typeof result !== "object" || !("errors" in result) || !result.errors) return result;
    const errors: GraphQLError[] = [];
    for (const error of result.errors) {
      const original = error.originalError as PgErrorLike | undefined;
      const code = original?.code;
      const loginKey = detailField(original, "login_key");
      if ((code === "IC003" || code === "IC005") && loginKey) {
        await authPool.query("select app_hidden.record_login_failure($1)", [Buffer.from(loginKey, "hex")]);
      }
      const reuse = detailField(original, "reuse");
      if (code === "IC006" && reuse) {
        await authPool.query("select app_hidden.revoke_reused_refresh_token($1)", [Buffer.from(reuse, "hex")]);
      }
      if (code === "IC005") {
        const retryAfter = Number(/retry_after=(\d+)/.exec(String(original?.detail))?.[1] ?? 1);
        errors.push(
          new GraphQLError(error.message, {
            nodes: error.nodes,
            source: error.source,
            positions: error.positions,
            path: error.path,
            extensions: { code: "IC005", retryAfter },
          }),
        );
      } else {
        errors.push(error);
      }
    }
    return { ...result, errors };
  };
}
