import type { IncomingMessage } from "node:http";
import { selectedOperation } from "../auth/secret-arguments";

/**
 * Tells the request log (src/observability/request-log.ts) what Grafast knows and express does
 * not: the operation name of the document being executed, and the `extensions.code` of every
 * error the response carries (after masking).
 */
function requestOf(requestContext: Partial<Grafast.RequestContext> | undefined): IncomingMessage | undefined {
  return requestContext?.expressv4?.req ?? requestContext?.node?.req;
}

function codesOf(errors: readonly { extensions?: Record<string, unknown> | null }[] | undefined): string[] {
  return (errors ?? []).map((e) => (typeof e.extensions?.code === "string" ? e.extensions.code : "UNKNOWN"));
}

export const ObservabilityPlugin: GraphileConfig.Plugin = {
  name: "IroncladObservabilityPlugin",
  version: "0.1.0",
  description: "Operation name and error codes of each GraphQL request, for the request log and metrics",
  // Outermost: see the response after every other plugin (limits' JSON errors) has shaped it.
  before: ["IroncladLimitsPlugin"],
  grafserv: {
    middleware: {
      processGraphQLRequestBody(next, event) {
        const req = requestOf(event.request?.requestContext);
        if (req) {
          const named = typeof event.body.operationName === "string" ? event.body.operationName : null;
          const fromQuery =
            typeof event.body.query === "string"
              ? /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(event.body.query)?.[1]
              : undefined;
          req.ironcladOperation = named ?? fromQuery ?? null;
        }
        return next();
      },
      async processRequest(next, event) {
        const result = await next();
        const req = requestOf(event.requestDigest.requestContext);
        if (req && result) {
          let body: unknown;
          if (result.type === "json") body = result.json;
          else if (
            result.type === "buffer" &&
            result.buffer.includes('"errors"') &&
            /json/.test(String(result.headers["content-type"] ?? ""))
          ) {
            try {
              body = JSON.parse(result.buffer.toString("utf8"));
            } catch {
              // not JSON after all: no codes to report
            }
          }
          const errors = (body as { errors?: unknown } | undefined)?.errors;
          if (Array.isArray(errors)) req.ironcladErrorCodes = codesOf(errors as { extensions?: Record<string, unknown> }[]);
        }
        return result;
      },
    },
  },
  grafast: {
    middleware: {
      execute(next, event) {
        const req = requestOf(event.args.requestContext);
        if (req)
          req.ironcladOperation =
            selectedOperation(event.args.document, event.args.operationName)?.name?.value ?? req.ironcladOperation ?? null;
        return next();
      },
    },
  },
};
