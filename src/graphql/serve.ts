import type { Server } from "node:http";
import type { Express } from "express";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/express/v4";
import { attachWebsockets } from "../realtime/websocket-server";
import { makePreset, type PresetOptions } from "./preset";

/** The GraphQL endpoint mounted on an express app: built, and able to let go of its resources. */
export interface MountedGraphQL {
  /** Close every websocket (subscriptions); the HTTP server keeps answering until it is closed. */
  closeWebsockets(): Promise<void>;
  /** Release PostGraphile and its pg service (after the HTTP server has drained). */
  release(): Promise<void>;
}

/**
 * PostGraphile through grafserv on `app` (/graphql, /graphiql) and graphql-ws on `server`'s
 * upgrades of /graphql. The schema is built before this resolves, so a broken database fails
 * the start instead of the first request. The caller mounts the auth middleware in front.
 */
export async function mountGraphQL(
  app: Express,
  server: Server,
  options: PresetOptions,
  plugins: GraphileConfig.Plugin[] = [],
): Promise<MountedGraphQL> {
  const pgl = postgraphile({ extends: [makePreset(options)], plugins });
  const serv = pgl.createServ(grafserv);
  await serv.addTo(app, server, false);
  const closeWebsockets = attachWebsockets(server, serv, "/graphql");
  try {
    await pgl.getSchemaResult();
  } catch (error) {
    await closeWebsockets();
    await pgl.release();
    throw error;
  }
  return {
    closeWebsockets,
    async release() {
      await pgl.release();
      // The pg service's LISTEN client (subscriptions) holds a pool connection until released.
      for (const service of pgl.getResolvedPreset().pgServices ?? []) await service.release?.();
    },
  };
}
