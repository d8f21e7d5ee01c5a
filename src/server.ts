import { createServer as createHttpServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import { Pool } from "pg";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { makePreset } from "../graphile.config";
import { authMiddleware } from "./auth/middleware";
import type { RoleNames } from "./db/roles";

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
}

export interface RunningApi {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export const JWT_ISSUER = "ironclad";

/** express + PostGraphile: /graphql, /graphiql (Ruru) and /healthz. */
export async function startApi(options: ApiOptions): Promise<RunningApi> {
  const authPool = new Pool({ connectionString: options.authUrl, max: 10, idleTimeoutMillis: 30_000 });
  // A dropped idle connection (server restart, killed backend) must not crash the process.
  authPool.on("error", (error) => console.error("pg pool: idle client error:", error.message));

  const app = express();
  app.disable("x-powered-by");

  app.get("/healthz", async (_req, res) => {
    try {
      await authPool.query("select 1");
      res.json({ status: "ok" });
    } catch (error) {
      res.status(503).json({ status: "unavailable", error: (error as Error).message });
    }
  });

  const tokenOptions = { secret: options.jwtSecret, audience: options.jwtAudience, issuer: JWT_ISSUER };
  app.use("/graphql", authMiddleware({ ...tokenOptions, authPool }));

  const pgl = postgraphile(
    makePreset({
      authPool,
      roles: options.roles,
      jwtSecret: options.jwtSecret,
      jwtAudience: options.jwtAudience,
      jwtIssuer: JWT_ISSUER,
      graphiql: options.graphiql,
      introspection: options.introspection,
    }),
  );
  const server = createHttpServer(app);
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server);
  // Build the schema now, so a broken database fails the start instead of the first request.
  await pgl.getSchemaResult();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    port,
    server,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await pgl.release();
      await authPool.end();
    },
  };
}
