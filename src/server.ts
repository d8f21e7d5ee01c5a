import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Pool } from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { DEFAULT_MAX_REQUEST_BYTES, makePreset } from "../graphile.config";
import type { QueryLimits } from "../plugins/limits";
import type { LoginBudget } from "./auth/login-guard";
import type { CredentialSettings, StatementTimeouts } from "./auth/pg-settings";
import { authMiddleware } from "./auth/middleware";
import { corsMiddleware } from "./http/cors";
import { attachWebsockets } from "./realtime/websocket-server";
import type { RoleNames } from "./db/roles";
import { expectedMigrationHash } from "./db/migration-files";
import { log } from "./observability/logger";
import { ObservabilityPlugin } from "./observability/graphql-plugin";
import { createMetrics, type Metrics } from "./observability/metrics";
import { requestLog } from "./observability/request-log";

export interface ApiOptions {
  /** Authenticator connection string (never the owner's). */
  authUrl: string;
  roles: RoleNames;
  jwtSecret: string;
  jwtAudience: string;
  port: number;
  graphiql: boolean;
  introspection: boolean;
  host?: string;
  /** Depth/cost/page-size limits (defaults in plugins/limits.ts). */
  limits?: Partial<Omit<QueryLimits, "introspection">>;
  /** Largest request body in bytes (default 102400) → 413 PAYLOAD_TOO_LARGE. */
  maxRequestBytes?: number;
  /** Per-role statement_timeout (default 15 s, anonymous 5 s). */
  statementTimeouts?: StatementTimeouts;
  /** Trusted-documents allowlist file (TRUSTED_DOCUMENTS). */
  trustedDocuments?: string;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS); empty/unset = CORS off. */
  corsOrigins?: string[];
  /** Pool size (default 10). */
  poolSize?: number;
  /** bcrypt cost and token lifetimes the database applies (defaults: cost 10, 900 s, 14 days). */
  credentials?: Partial<CredentialSettings>;
  /** Per-client-address budget of credential-checking requests (default 100 per 900 s). */
  loginBudget?: LoginBudget;
  /** How often an open websocket re-checks its session, in ms (REALTIME_SESSION_CHECK_MS, default 60 000). */
  realtimeSessionCheckMs?: number;
  /** Express `trust proxy` setting, for the client address behind a proxy (default: not trusted). */
  trustProxy?: string;
  /** How long close() waits for in-flight requests before cutting their connections (default 10 s). */
  shutdownTimeoutMs?: number;
  /** Development: rebuild the schema when notified (see graphile.config.ts, `npm run dev`). */
  watch?: boolean;
}

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  metrics: Metrics;
  /** Stop accepting, answer in-flight requests (up to shutdownTimeoutMs), then release the pools. */
  close(): Promise<void>;
}

export const JWT_ISSUER = "ironclad";

/** TRUST_PROXY as express wants it: a hop count, true/false, or addresses/subnets. */
function trustProxyValue(value: string): number | boolean | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}

/** express + PostGraphile: /graphql, /graphiql (Ruru), /healthz, /readyz and /metrics. */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const authPool = new Pool({ connectionString: options.authUrl, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  // A dropped idle connection (server restart, killed backend) must not crash the process.
  authPool.on("error", (error) => log.warn({ err: error }, "pg pool: idle client error"));
  // …and neither must one that dies while checked out (between two queries of a request): the
  // pool only listens on idle clients, and an unhandled 'error' event would end the process.
  // The request in flight gets its own error; the broken client is discarded on release.
  authPool.on("connect", (client) => {
    client.on("error", (error) => log.warn({ err: error }, "pg pool: client error"));
  });

  const metrics = createMetrics();
  metrics.watchPool("api", authPool);
  metrics.watchLeaderboards(() => leaderboardAgeSeconds(authPool, options.roles));
  const expectedHash = await expectedMigrationHash();

  const app = express();
  app.disable("x-powered-by");
  app.use(requestLog(metrics));
  if (options.trustProxy !== undefined) app.set("trust proxy", trustProxyValue(options.trustProxy));
  const corsHandler = corsMiddleware(options.corsOrigins ?? []);
  if (corsHandler) app.use(corsHandler);

  // Liveness: the process answers. Says nothing about the database (that is /readyz).
  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  // Readiness: the database answers and has every committed migration. Never error text: the
  // reason goes to the log (with the request id), the body names only which check failed.
  app.get("/readyz", async (req, res) => {
    const checks: Record<string, "ok" | "unavailable" | "behind"> = { database: "ok", migrations: "ok" };
    try {
      const { rows } = await authPool.query<{ hash: string | null }>("select app_hidden.latest_migration_hash() as hash");
      if (rows[0]?.hash !== expectedHash) checks.migrations = "behind";
    } catch (error) {
      checks.database = "unavailable";
      checks.migrations = "unavailable";
      log.warn({ reqId: req.ironcladRequestId, err: error }, "readyz: database check failed");
    }
    const ready = Object.values(checks).every((c) => c === "ok");
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "unavailable", checks });
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("content-type", metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  // Refuse an oversized body before reading it when its length is declared; grafserv's own
  // maxRequestLength catches chunked bodies.
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  app.use("/graphql", (req, res, next) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > maxRequestBytes) {
      res.setHeader("connection", "close");
      res.status(413).json({
        errors: [{ message: "The request body is too large.", extensions: { code: "PAYLOAD_TOO_LARGE", limit: maxRequestBytes } }],
      });
      return;
    }
    next();
  });

  const tokenOptions = { secret: options.jwtSecret, audience: options.jwtAudience, issuer: JWT_ISSUER };
  app.use("/graphql", authMiddleware({ ...tokenOptions, authPool }));

  const pgl = postgraphile({
    extends: [makePreset({
      authPool,
      roles: options.roles,
      jwtSecret: options.jwtSecret,
      jwtAudience: options.jwtAudience,
      jwtIssuer: JWT_ISSUER,
      graphiql: options.graphiql,
      introspection: options.introspection,
      limits: options.limits,
      maxRequestBytes,
      statementTimeouts: options.statementTimeouts,
      trustedDocuments: options.trustedDocuments,
      credentials: options.credentials,
      loginBudget: options.loginBudget,
      watch: options.watch,
      realtimeSessionCheckMs: options.realtimeSessionCheckMs,
    })],
    plugins: [ObservabilityPlugin],
  });
  const server = createHttpServer(app);
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server, false);
  const closeWebsockets = attachWebsockets(server, serv, "/graphql"); // subscriptions (src/realtime)
  // Anything that still escapes (express body errors, bugs): JSON, no stack trace.
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json({ errors: [{ message: "The request could not be read.", extensions: { code: "BAD_REQUEST" } }] });
      return;
    }
    log.error({ reqId: _req.ironcladRequestId, err: error }, "http: unhandled error");
    if (!res.headersSent) {
      res.status(500).json({ errors: [{ message: "An unexpected error occurred.", extensions: { code: "INTERNAL_SERVER_ERROR" } }] });
    }
  });
  // Build the schema now, so a broken database fails the start instead of the first request.
  await pgl.getSchemaResult();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://localhost:${port}`,
    port,
    server,
    metrics,
    close() {
      closing ??= (async () => {
        // Stop accepting; idle keep-alive sockets go now, requests in flight are answered
        // (server.close waits for them) unless they outlast the shutdown timeout.
        await closeWebsockets();
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timeout = options.shutdownTimeoutMs ?? 10_000;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
        clearTimeout(timer);
        server.closeAllConnections();
        await drained;
        await pgl.release();
        // The pg service's LISTEN client (subscriptions) holds a pool connection until released.
        for (const service of pgl.getResolvedPreset().pgServices ?? []) await service.release?.();
        await authPool.end();
      })();
      return closing;
    },
  };
}

/** Seconds since the network leaderboards were refreshed (null: never), read as the platform owner role. */
async function leaderboardAgeSeconds(pool: Pool, roles: RoleNames): Promise<number | null> {
  const client = await pool.connect();
  try {
    await client.query("begin read only");
    await client.query(`set local role "${roles.visitor.platform_owner.replace(/"/g, '""')}"`);
    const { rows } = await client.query<{ age: number | null }>(
      "select extract(epoch from now() - app_shared.leaderboard_refreshed_at())::float8 as age",
    );
    return rows[0]?.age ?? null;
  } finally {
    await client.query("rollback").catch(() => undefined);
    client.release();
  }
}
