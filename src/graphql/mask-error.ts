import { randomBytes } from "node:crypto";
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError } from "postgraphile/graphql";
import { codedDocumentError } from "./validation-errors";
import { log } from "../observability/logger";

/**
 * What a client may learn from a failed operation. Errors Postgres raises for a reason the
 * caller can act on (a policy refused the write, a check failed, one of our functions said
 * no) keep their message and carry the SQLSTATE as `extensions.code`; we never forward
 * `detail`, which can quote row values. Everything else is masked with a reference that is
 * logged next to the real error.
 *
 * Codes a client can rely on (see README "Errors"):
 *   IC001..IC099  raised by Ironclad's own SQL (named in migrations)
 *   42501         forbidden: row-level security or a missing grant refused the operation
 *   23505 23503 23514 23502  unique / reference / check / not-null violations
 *   22xxx         invalid input (bad uuid, number out of range, …)
 *   57014         statement timeout
 *   40001 40P01   serialization failure / deadlock: retry
 */
const PASSTHROUGH_CLASSES = ["IC", "22", "23"];
const PASSTHROUGH_CODES = new Set(["42501", "57014", "40001", "40P01", "P0001"]);

const NOTHING_MATCHED =
  /^No values were (updated|deleted) in collection '[a-z0-9_]+' because no values you can (update|delete) were found matching these criteria\.$/;

/** 08xxx connection exceptions, 57P01-57P03 (admin shutdown / crash / cannot connect now), or the driver's own. */
function connectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (
    typeof code === "string" &&
    (code.startsWith("08") || /^57P0[123]$/.test(code) || /^E(CONNREFUSED|CONNRESET|PIPE)$/.test(code))
  ) {
    return true;
  }
  return /^Connection terminated|^Client has encountered a connection error|^connect ECONNREFUSED/.test(
    String((error as Error)?.message),
  );
}

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  constraint?: unknown;
  severity?: unknown;
}

function isPgError(error: unknown): error is PgErrorLike & { code: string } {
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as PgErrorLike).code === "string" &&
    /^[0-9A-Z]{5}$/.test((error as PgErrorLike).code as string) &&
    typeof (error as PgErrorLike).severity === "string"
  );
}

export function publicPgError(code: string): boolean {
  return PASSTHROUGH_CODES.has(code) || PASSTHROUGH_CLASSES.some((c) => code.startsWith(c));
}

/**
 * maskError for this server: with introspection off, graphql-js's "Did you mean …?" hints
 * (e.g. on a variable's misspelt enum value) are dropped too.
 */
export function makeMaskError(options: { suggestions: boolean }): (error: GraphQLError) => GraphQLError {
  return (error) => maskError(error, options.suggestions);
}

export function maskError(error: GraphQLError, suggestions = true): GraphQLError {
  const original = error.originalError;
  if (!original) {
    // Parse/validation/variable errors: about the document the client sent.
    return codedDocumentError(error, suggestions);
  }
  if (original instanceof GraphQLError) return error;
  if (isPgError(original) && publicPgError(original.code)) {
    const extensions: Record<string, unknown> = { code: original.code };
    if (typeof original.constraint === "string") extensions.constraint = original.constraint;
    return new GraphQLError(String(original.message), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: original,
      extensions,
    });
  }
  if (connectionLost(original)) {
    // The database went away mid-request (restart, failover, killed backend): retryable.
    log.error({ err: original, code: "DATABASE_UNAVAILABLE" }, "graphql: database connection lost");
    return new GraphQLError("The database connection was interrupted; please retry.", {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { code: "DATABASE_UNAVAILABLE" },
    });
  }
  if (NOTHING_MATCHED.test(String(original.message))) {
    // PostGraphile's update/delete that matched no row the caller may touch (a row of another
    // gym looks exactly like a row that does not exist). The message names only the table.
    return new GraphQLError(String(original.message), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { code: "NOT_FOUND" },
    });
  }
  if (isSafeError(original)) {
    // Grafast's own "this input is wrong" errors (e.g. an undecodable node id).
    return new GraphQLError(original.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: { code: "BAD_REQUEST", ...original.extensions },
    });
  }
  const reference = randomBytes(5).toString("hex").toUpperCase();
  log.error({ reference, err: original }, `graphql: internal error ${reference}`);
  return new GraphQLError(`An unexpected error occurred (reference ${reference}).`, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { code: "INTERNAL_SERVER_ERROR", reference },
  });
}
