import type { Server } from "node:http";
import express, { type Express, type RequestHandler } from "express";
import { postgraphile, type PostGraphileInstance } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import type { NodeGrafservBase } from "postgraphile/grafserv/node";
import { ClusterSubscriber } from "../db/citus-listen";
import { APP_ROLES, type AppRole } from "../roles";
import { attachWebsockets } from "../realtime/websocket-server";
import { makePreset, sharedInstanceParts, type PresetOptions } from "./preset";

/** The GraphQL endpoint mounted on an express app: built, and able to let go of its resources. */
export interface MountedGraphQL {
  /** Close every websocket (subscriptions); the HTTP server keeps answering until it is closed. */
  closeWebsockets(): Promise<void>;
  /** Release every role's PostGraphile instance and the shared LISTEN connection (after the HTTP server has drained). */
  release(): Promise<void>;
}

/** How long building each role's schema took (ms), for the start log and bench/role-schemas.ts. */
export type SchemaBuildTimes = Record<AppRole, number>;

/**
 * One PostGraphile instance per visitor role, each with the schema that role's grants allow
 * (src/graphql/preset.ts), built in parallel before this resolves (a broken database fails the
 * start, not the first request). Each request is answered by its role's instance: HTTP by the
 * verified claims the auth middleware (mounted in front by the caller) put on the request,
 * websockets by the socket's checked token. A request without claims goes to the anonymous
 * instance, whose context refuses it (only /graphiql, the page itself, needs none).
 */
export async function mountGraphQL(
  app: Express,
  server: Server,
  options: PresetOptions,
  plugins: GraphileConfig.Plugin[] = [],
): Promise<MountedGraphQL & { buildTimes: SchemaBuildTimes }> {
  // Citus: shard triggers NOTIFY on the workers; hear every node (src/db/citus-listen.ts).
  const shared = sharedInstanceParts(
    options,
    options.listenOnEveryNode ? await ClusterSubscriber.connect(options.authPool) : undefined,
  );
  const built: { role: AppRole; pgl: PostGraphileInstance; handler: RequestHandler; serv: NodeGrafservBase; ms: number }[] = [];
  const release = async () => {
    for (const { pgl } of built) await pgl.release();
    shared.pgSubscriber.release();
  };
  const results = await Promise.allSettled(
    APP_ROLES.map(async (role) => {
      const started = performance.now();
      const pgl = postgraphile({ extends: [makePreset(options, { role, ...shared })], plugins });
      // The express adaptor only calls `use` on what it is given: a router is enough, and is
      // a plain middleware we can choose per request.
      const router = express.Router();
      const serv = pgl.createServ(grafserv);
      const entry = { role, pgl, handler: router, serv, ms: 0 };
      built.push(entry);
      await serv.addTo(router as unknown as Express, null, false);
      await pgl.getSchemaResult();
      entry.ms = Math.round(performance.now() - started);
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await release();
    throw failed.reason;
  }
  const servs = Object.fromEntries(built.map((b) => [b.role, b.serv])) as Record<AppRole, NodeGrafservBase>;
  const handlers = new Map(built.map((b) => [b.role, b.handler]));
  app.use((req, res, next) => handlers.get(req.ironcladClaims?.role ?? "anonymous")!(req, res, next));
  const closeWebsockets = attachWebsockets(server, servs, "/graphql", async (socket, params) => {
    return (await shared.realtimeConnection(socket, params)).claims.role;
  });
  return {
    closeWebsockets,
    release,
    buildTimes: Object.fromEntries(built.map((b) => [b.role, b.ms])) as SchemaBuildTimes,
  };
}
