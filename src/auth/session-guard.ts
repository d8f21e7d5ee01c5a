import type { Pool } from "pg";
import { isAsyncIterable, SafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import type { PreambleGuard } from "../db/pg-adaptor";
import { AuthError } from "./errors";
import { assertSessionValid } from "./middleware";

declare module "http" {
  interface IncomingMessage {
    /** Set by the auth middleware when it left the session check to the transaction. */
    ironcladSessionDeferred?: boolean;
  }
}

/**
 * The session check of src/auth/middleware.ts, folded into the transaction's first round trip
 * (src/db/pg-adaptor.ts): before any setting is applied, as the login role, Postgres answers
 * app_hidden.session_is_valid for the claims the settings carry. An ended session's
 * transaction is rolled back before the operation's first query; its request answers 401
 * SESSION_INVALID (SessionRefusalPlugin below), exactly as when the middleware refuses it.
 * Checked in every transaction, never cached: a logout is effective at once. An operation that
 * opened no transaction at all (`{ __typename }`, a plan-time error) is checked after it ran,
 * with the door's query, before anything is answered (sessionInTransactionPlugin).
 */
const SESSION_INVALID = new AuthError(
  "SESSION_INVALID",
  "The session has ended (logged out, membership removed or changed, or user disabled).",
);

export const sessionGuard: PreambleGuard = {
  expression(settings, literal) {
    const role = settings["jwt.claims.role"];
    if (role === undefined || role === "anonymous") return null;
    const value = (key: string) => {
      const v = settings[key];
      return literal(v === undefined || v === "" ? null : v);
    };
    return (
      `app_hidden.session_is_valid(${value("jwt.claims.session_id")}::uuid, ${value("jwt.claims.user_id")}::uuid, ` +
      `${value("jwt.claims.tenant_id")}::uuid, ${value("jwt.claims.membership_id")}::uuid, ` +
      `${value("jwt.claims.membership_version")}::integer, ${value("jwt.claims.role")})`
    );
  },
  refused: () => new SafeError(SESSION_INVALID.message, { code: SESSION_INVALID.code }),
  answered(pgSettings) {
    checked.add(pgSettings);
  },
};

/** The pgSettings objects (one per request) whose session a transaction's preamble checked. */
const checked = new WeakSet<object>();

function refusedByGuard(payload: unknown): boolean {
  const errors = (payload as { errors?: { extensions?: { code?: unknown } }[] } | null)?.errors;
  return Array.isArray(errors) && errors.some((e) => e?.extensions?.code === SESSION_INVALID.code);
}

/**
 * With the check in the transaction: an operation whose session no preamble checked is checked
 * after execution, and a GraphQL response in which any check refused the session becomes the
 * door's answer: HTTP 401 with the AuthError body, no data (not even fields that needed no
 * query).
 */
export const sessionInTransactionPlugin = (authPool: Pool): GraphileConfig.Plugin => ({
  name: "IroncladSessionInTransactionPlugin",
  version: "0.1.0",
  description: "An ended session found inside the transaction answers 401 SESSION_INVALID, as at the door",
  grafast: {
    middleware: {
      execute(next, event) {
        const req = event.args.requestContext?.expressv4?.req;
        const claims = req?.ironcladClaims;
        if (!req?.ironcladSessionDeferred || !claims) return next();
        return (async () => {
          const result = await next();
          const pgSettings = (event.args.contextValue as { pgSettings?: object } | undefined)?.pgSettings;
          if (isAsyncIterable(result) || (pgSettings && checked.has(pgSettings))) return result;
          try {
            await assertSessionValid(authPool, claims);
          } catch (error) {
            if (!(error instanceof AuthError)) throw error;
            return { errors: [new GraphQLError(error.message, { originalError: sessionGuard.refused() })] };
          }
          return result;
        })() as ReturnType<typeof next>;
      },
    },
  },
  grafserv: {
    middleware: {
      async processRequest(next) {
        const result = await next();
        if (result === null) return result;
        let refused = false;
        if (result.type === "json") refused = refusedByGuard(result.json);
        else if (result.type === "buffer" && result.buffer.includes(SESSION_INVALID.code)) {
          try {
            refused = refusedByGuard(JSON.parse(result.buffer.toString("utf8")));
          } catch {
            refused = false;
          }
        }
        if (!refused) return result;
        const buffer = Buffer.from(JSON.stringify(SESSION_INVALID.toJSON()), "utf8");
        return {
          type: "buffer",
          statusCode: SESSION_INVALID.status,
          headers: { "content-type": "application/json; charset=utf-8", "content-length": String(buffer.length) },
          buffer,
        };
      },
    },
  },
});
