import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Metrics, Outcome } from "./metrics";
import { log } from "./logger";

declare module "http" {
  interface IncomingMessage {
    /** The request id: X-Request-Id if the client sent a sane one, else generated. Echoed back. */
    ironcladRequestId?: string;
    /** The GraphQL operation name (set by the observability plugin once the body is parsed). */
    ironcladOperation?: string | null;
    /** extensions.code of every error in the GraphQL response (set by the observability plugin). */
    ironcladErrorCodes?: string[];
  }
}

/** Accept a caller's request id only if it is short and printable (it is echoed and logged). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function outcomeOf(status: number, errorCodes: readonly string[]): Outcome {
  if (status >= 500) return "server_error";
  if (status >= 400) return "client_error";
  return errorCodes.length > 0 ? "graphql_error" : "ok";
}

/**
 * One JSON line per request, written when the response is finished (or the client went away):
 * request id, method, path, status, duration, role and tenant (from the verified token, when
 * there was one), GraphQL operation name and error codes. GraphQL requests also feed the
 * request-duration histogram. Never logs headers, variables or bodies.
 */
export function requestLog(metrics: Metrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    const offered = req.get("x-request-id");
    const id = offered && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    req.ironcladRequestId = id;
    res.setHeader("X-Request-Id", id);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const claims = req.ironcladClaims;
      const errorCodes = req.ironcladErrorCodes ?? [];
      const status = res.writableFinished ? res.statusCode : 499;
      const graphql = req.path === "/graphql" || req.originalUrl.startsWith("/graphql");
      const outcome = outcomeOf(status, errorCodes);
      if (graphql) metrics.observeRequest(req.ironcladOperation ?? null, outcome, seconds);
      const line = {
        reqId: id,
        method: req.method,
        path: req.path,
        status,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        role: claims?.role ?? null,
        tenant: claims?.tenantId ?? null,
        operation: req.ironcladOperation ?? null,
        errorCodes,
        outcome,
      };
      if (status >= 500) log.error(line, "request");
      else log.info(line, "request");
    };
    res.on("finish", finish);
    res.on("close", finish);
    next();
  };
}
