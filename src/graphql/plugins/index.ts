import { randomBytes } from "node:crypto";
import { isSafeError } from "postgraphile/grafast";
import { GraphQLError, getOperationAST } from "postgraphile/graphql";
import { DEFAULT_LIMITS } from "../../config";
import { errorBody } from "../error-body";
import {
  checkVariablePageSizes,
  expandLimitErrors,
  httpRefusal,
  makeDefaultPageSizer,
  makeLimitsRule,
  type QueryLimits,
} from "./limits";
import { loadTrustedDocuments, resolveTrusted } from "./trusted-documents";
import { PARSE_FAILED, makeErrorCodeRule } from "../validation-errors";

export interface IroncladPluginOptions {
  introspection: boolean;
  /** Depth/cost/page-size limits; unset fields take DEFAULT_LIMITS (src/config.ts). */
  limits?: Partial<Omit<QueryLimits, "introspection">>;
  /** Path of a trusted-documents allowlist (JSON); unset: any document is accepted. */
  trustedDocuments?: string;
}

const HTTP_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  406: "NOT_ACCEPTABLE",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  503: "SERVICE_UNAVAILABLE",
};

function jsonBuffer(statusCode: number, message: string, code: string, extra: Record<string, unknown> = {}) {
  const buffer = Buffer.from(JSON.stringify(errorBody(code, message, extra)), "utf8");
  return {
    type: "buffer" as const,
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8", "content-length": String(buffer.length) },
    buffer,
  };
}

type GrafservResult = Awaited<ReturnType<GraphileConfig.GrafservMiddleware["processRequest"]>>;

/**
 * grafserv answers HTTP-level refusals (bad JSON, wrong content type, body too large, …) as
 * text/plain. Rewrite them as the JSON error shape every other refusal uses, with a code, and
 * make sure nothing unexpected ever reaches the client with a stack trace.
 */
function jsonErrors(result: GrafservResult): GrafservResult {
  if (!result) return result;
  if ((result.type === "buffer" || result.type === "json") && (result.statusCode >= 400 || errorsOnly(result))) {
    return withCodes(result);
  }
  if (result.type !== "error") return result;
  const error = result.error as Error & { statusCode?: number; extensions?: Record<string, unknown> };
  const safe = error instanceof Error && isSafeError(error);
  const status =
    (typeof error?.extensions?.statusCode === "number" ? error.extensions.statusCode : undefined) ??
    (typeof error?.statusCode === "number" ? error.statusCode : undefined) ??
    result.statusCode;
  if (safe || (status >= 400 && status < 500)) {
    const code = typeof error?.extensions?.code === "string" ? error.extensions.code : (HTTP_CODES[status] ?? "BAD_REQUEST");
    const message = status === 413 ? "The request body is too large." : error.message;
    return jsonBuffer(status >= 400 && status < 500 ? status : 400, message, code);
  }
  const reference = randomBytes(5).toString("hex").toUpperCase();
  console.error(`grafserv: internal error ${reference}:`, error);
  return jsonBuffer(500, `An unexpected error occurred (reference ${reference}).`, "INTERNAL_SERVER_ERROR", { reference });
}

const ERRORS_ONLY = Buffer.from('{"errors":');

/**
 * A payload of errors and no data: grafserv's own refusals, and documents that did not parse
 * (graphql-js's parse errors never pass through maskError; legacy `application/json` clients
 * get them with status 200).
 */
function errorsOnly(result: Extract<NonNullable<GrafservResult>, { type: "buffer" | "json" }>): boolean {
  if (result.type === "json") {
    const json = result.json as { errors?: unknown; data?: unknown } | null;
    return typeof json === "object" && json !== null && Array.isArray(json.errors) && !("data" in json);
  }
  return result.buffer.subarray(0, ERRORS_ONLY.length).equals(ERRORS_ONLY) && !result.buffer.includes('"data":');
}

/** A JSON error payload grafserv built itself (415, 405, bad JSON, …) or a document that did not parse: give each error a code. */
function withCodes(result: Extract<NonNullable<GrafservResult>, { type: "buffer" | "json" }>): GrafservResult {
  let payload: unknown;
  try {
    payload = result.type === "json" ? result.json : JSON.parse(result.buffer.toString("utf8"));
  } catch {
    return result;
  }
  const errors = (payload as { errors?: unknown })?.errors;
  if (!Array.isArray(errors)) return result;
  const fallback = HTTP_CODES[result.statusCode] ?? "BAD_REQUEST";
  const expanded = expandLimitErrors(errors as { message?: unknown; extensions?: Record<string, unknown> }[]);
  (payload as { errors: unknown[] }).errors = expanded;
  for (const error of expanded) {
    const { statusCode: _drop, ...rest } = error.extensions ?? {};
    const code = typeof error.message === "string" && error.message.startsWith("Syntax Error:") ? PARSE_FAILED : fallback;
    error.extensions = { code, ...rest };
  }
  const buffer = Buffer.from(JSON.stringify(payload), "utf8");
  return {
    type: "buffer",
    statusCode: result.statusCode,
    headers: { ...result.headers, "content-length": String(buffer.length) },
    buffer,
  };
}

/** Ironclad's own PostGraphile plugins, in the order they apply. */
export function ironcladPlugins(options: IroncladPluginOptions): GraphileConfig.Plugin[] {
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...options.limits, introspection: options.introspection };
  const trusted = options.trustedDocuments ? loadTrustedDocuments(options.trustedDocuments) : null;
  const defaultPageSizer = makeDefaultPageSizer(limits);

  const limitsPlugin: GraphileConfig.Plugin = {
    name: "IroncladLimitsPlugin",
    version: "0.1.0",
    description: "Depth, cost and page-size limits; introspection switch; JSON errors for HTTP-level refusals",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          // Limits first: a document over a limit is refused before graphql-js's own rules
          // (some of which are quadratic) walk it. Then every other rule's errors get a code.
          event.validationRules.unshift(makeLimitsRule(limits), makeErrorCodeRule({ suggestions: options.introspection }));
          return next();
        },
        processRequest(next) {
          const result = next();
          if (result && typeof (result as PromiseLike<GrafservResult>).then === "function") {
            return (result as Promise<GrafservResult>).then(jsonErrors, (error: unknown) =>
              jsonErrors({ type: "error", statusCode: 500, headers: {}, error: error as Error }),
            );
          }
          return jsonErrors(result as GrafservResult);
        },
        processGraphQLRequestBody(next, event) {
          if (trusted) {
            const doc = resolveTrusted(trusted, event.body);
            if (doc === null) {
              throw httpRefusal(
                400,
                "DOCUMENT_NOT_TRUSTED",
                "This server only runs trusted documents; the request's document (or id) is not on the allowlist.",
              );
            }
            event.body.query = doc;
          }
          return next();
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          const { args } = event;
          const operation = getOperationAST(args.document, args.operationName ?? undefined);
          if (operation?.operation === "subscription") {
            // graphql-ws subscribes through `subscribe`; `execute` with a subscription is HTTP.
            return {
              errors: [
                new GraphQLError("Subscriptions are served over websockets (graphql-ws protocol at /graphql), not over HTTP.", {
                  nodes: operation,
                  extensions: { code: "SUBSCRIPTION_NEEDS_WEBSOCKET" },
                }),
              ],
            };
          }
          const errors = checkVariablePageSizes(args.schema, args.document, args.operationName, args.variableValues, limits);
          if (errors.length > 0) return { errors: errors as GraphQLError[] };
          args.document = defaultPageSizer(args.schema, args.document);
          return next();
        },
        subscribe(next, event) {
          // Websocket subscriptions: the same page-size checks and default page size.
          const { args } = event;
          const errors = checkVariablePageSizes(args.schema, args.document, args.operationName, args.variableValues, limits);
          if (errors.length > 0) return { errors: errors as GraphQLError[] };
          args.document = defaultPageSizer(args.schema, args.document);
          return next();
        },
      },
    },
  };
  return [limitsPlugin];
}
