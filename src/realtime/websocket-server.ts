import type { Server } from "node:http";
import { useServer } from "graphql-ws/use/ws";
import { makeGraphQLWSConfig } from "postgraphile/grafserv";
import type { NodeGrafservBase } from "postgraphile/grafserv/node";
import { WebSocketServer } from "ws";

/**
 * graphql-ws on `path` of the HTTP server, executing through grafserv (same schema, plugins,
 * limits and context as HTTP). Wired here with static imports instead of grafserv's own
 * upgrade handler, which loads `ws` with a dynamic import() (refused inside jest's VM).
 * Any other upgrade request is refused. Returns the function that closes every socket.
 */
export function attachWebsockets(server: Server, serv: NodeGrafservBase, path: string): () => Promise<void> {
  const wss = new WebSocketServer({ noServer: true });
  const graphqlWs = useServer(makeGraphQLWSConfig(serv) as Parameters<typeof useServer>[0], wss);
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
