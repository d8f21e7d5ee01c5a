import type { IncomingHttpHeaders, Server } from "node:http";
import type { Context, ServerOptions } from "graphql-ws";
import { useServer, type Extra } from "graphql-ws/use/ws";
import { makeGraphQLWSConfig, normalizeConnectionParams } from "postgraphile/grafserv";
import type { NodeGrafservBase } from "postgraphile/grafserv/node";
import { GraphQLError } from "postgraphile/graphql";
import { WebSocketServer } from "ws";
import type { AppRole } from "../roles";
import type { RealtimeSocket } from "./connection";

type WsOptions = ServerOptions<Record<string, unknown> | undefined, Extra>;
type WsContext = Context<Record<string, unknown> | undefined, Extra>;

/**
 * graphql-ws on `path` of the HTTP server, executing through grafserv (same schemas, plugins,
 * limits and context as HTTP). Each socket is served by its role's instance: `roleOf` checks
 * the socket's token (connectionParams.authorization) once, and every operation of the socket
 * goes to that role's schema. Wired here with static imports instead of grafserv's own upgrade
 * handler, which loads `ws` with a dynamic import() (refused inside jest's VM). Any other
 * upgrade request is refused. Returns the function that closes every socket.
 */
export function attachWebsockets(
  server: Server,
  servs: Record<AppRole, NodeGrafservBase>,
  path: string,
  roleOf: (socket: RealtimeSocket, params: IncomingHttpHeaders | undefined) => Promise<AppRole>,
): () => Promise<void> {
  const configs = new Map(Object.entries(servs).map(([role, serv]) => [role as AppRole, makeGraphQLWSConfig(serv) as WsOptions]));
  const roles = new WeakMap<object, AppRole>();
  const configOf = (ctx: WsContext) => configs.get(roles.get(ctx.extra.socket) ?? "anonymous")!;
  const options: WsOptions = {
    async onSubscribe(ctx, id, payload) {
      let role: AppRole;
      try {
        role = await roleOf(ctx.extra.socket, normalizeConnectionParams(ctx.connectionParams));
      } catch (error) {
        // The token was refused (the socket is being closed with 4401): as grafserv answers a
        // context that throws.
        return [new GraphQLError((error as Error).message, { originalError: error as Error })];
      }
      roles.set(ctx.extra.socket, role);
      return configs.get(role)!.onSubscribe!(ctx, id, payload);
    },
    onError: (ctx, id, payload, errors) => configOf(ctx).onError!(ctx, id, payload, errors),
    onNext: (ctx, id, payload, args, result) => configOf(ctx).onNext!(ctx, id, payload, args, result),
    execute: (args) => configs.get("anonymous")!.execute!(args),
    subscribe: (args) => configs.get("anonymous")!.subscribe!(args),
  };
  const wss = new WebSocketServer({ noServer: true });
  const graphqlWs = useServer(options, wss);
  const onUpgrade: Parameters<Server["on"]>[1] = (req, socket, head) => {
    const url = req.url ?? "";
    const pathname = url.split("?", 1)[0];
    if (pathname !== path) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  };
  server.on("upgrade", onUpgrade);
  return async () => {
    server.off("upgrade", onUpgrade);
    // Close every socket politely (1001); one whose peer never answers is cut after a second.
    const cut = setTimeout(() => {
      for (const socket of wss.clients) socket.terminate();
    }, 1_000);
    try {
      await graphqlWs.dispose();
    } finally {
      clearTimeout(cut);
    }
  };
}
