import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Pool } from "pg";
import { authMiddleware } from "./auth/middleware";
import { cachedTokenVerifier, JWT_ISSUER } from "./auth/verify-token";
import { DEFAULT_MAX_REQUEST_BYTES, DEFAULT_POOL_SIZE, DEFAULT_SHUTDOWN_TIMEOUT_MS, DEFAULT_TOKEN_CACHE_SIZE } from "./config";
import { errorBody } from "./graphql/error-body";
import type { PresetOptions } from "./graphql/preset";
import { mountGraphQL } from "./graphql/serve";
import { corsMiddleware } from "./http/cors";
import type { RoleNames } from "./db/roles";
import { expectedMigrationHash } from "./db/migration-files";
import { log } from "./observability/logger";
import { ObservabilityPlugin } from "./observability/graphql-plugin";
import { createMetrics, type Metrics } from "./observability/metrics";
import { requestLog } from "./observability/request-log";

/**
 * startApi's options: the GraphQL API's (PresetOptions, the one options type, minus the pool
 * startApi opens itself) and the HTTP server's own. Unset fields take src/config.ts's defaults.
 */
export type ApiOptions = Omit<PresetOptions, "authPool"> & {
  /** Authenticator connection string (never the owner's). */
  authUrl: string;
  port: number;
  host?: string;
  /** Origins allowed to call the API from a browser (CORS_ORIGINS); empty/unset = CORS off. */
  corsOrigins?: string[];
  /** Connections in the authenticator pool. */
  poolSize?: number;
  /** Express `trust proxy` setting, for the client address behind a proxy (default: not trusted). */
  trustProxy?: string;
  /** How long close() waits for in-flight requests before cutting their connections. */
  shutdownTimeoutMs?: number;
  /** Verified tokens kept until their expiry (LRU bound; 0 = verify every request). */
  tokenCacheSize?: number;
};

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  metrics: Metrics;
  /** Stop accepting, answer in-flight requests (up to shutdownTimeoutMs), then release the pools. */
  close(): Promise<void>;
}

/** TRUST_PROXY as express wants it: a hop count, true/false, or addresses/subnets. */
function trustProxyValue(value: string): number | boolean | string {
  if (/^\d+$/.test(value)) return Number(value);
  if (value === "true" || value === "false") return value === "true";
  return value;
}

/** express + PostGraphile: /graphql, /graphiql (Ruru), /healthz, /readyz and /metrics. */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const authPool = new Pool({
    connectionString: options.authUrl,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    idleTimeoutMillis: 30_000,
  });
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
      res.status(413).json(errorBody("PAYLOAD_TOO_LARGE", "The request body is too large.", { limit: maxRequestBytes }));
      return;
    }
    next();
  });

  const tokenOptions = { secret: options.jwtSecret, audience: options.jwtAudience, issuer: JWT_ISSUER };
  const tokenCacheSize = options.tokenCacheSize ?? DEFAULT_TOKEN_CACHE_SIZE;
  app.use(
    "/graphql",
    authMiddleware({
      ...tokenOptions,
      authPool,
      verify: tokenCacheSize > 0 ? cachedTokenVerifier(tokenCacheSize) : undefined,
      // The session check moves into the transaction only where the adaptor performs it.
      sessionCheckInTransaction:
        options.transactions?.oneRoundTrip !== false && options.transactions?.sessionCheckInTransaction !== false,
    }),
  );

  const server = createHttpServer(app);
  // The preset reads its own fields of the options; the HTTP-only ones pass through unread.
  const graphql = await mountGraphQL(app, server, { ...options, authPool, maxRequestBytes }, [ObservabilityPlugin]);
  log.info({ schemaBuildMs: graphql.buildTimes }, "graphql: one schema per role built");
  // Anything that still escapes (express body errors, bugs): JSON, no stack trace.
  app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = (error as { status?: unknown }).status;
    if (typeof status === "number" && status >= 400 && status < 500) {
      res.status(status).json(errorBody("BAD_REQUEST", "The request could not be read."));
      return;
    }
    log.error({ reqId: _req.ironcladRequestId, err: error }, "http: unhandled error");
    if (!res.headersSent) {
      res.status(500).json(errorBody("INTERNAL_SERVER_ERROR", "An unexpected error occurred."));
    }
  });
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
        await graphql.closeWebsockets();
        const drained = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timeout = options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
        clearTimeout(timer);
        server.closeAllConnections();
        await drained;
        await graphql.release();
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
