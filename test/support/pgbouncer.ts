import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { Client } from "pg";

/** Is a `pgbouncer` binary on PATH (or in /usr/sbin, where Debian puts it)? */
export function pgbouncerBinary(): string | null {
  const candidates = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin"];
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, "pgbouncer"))) return path.join(dir, "pgbouncer");
  }
  const which = spawnSync("sh", ["-c", "command -v pgbouncer"], { encoding: "utf8" });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface RunningPgbouncer {
  /** `url` with host/port replaced by pgbouncer's */
  url: string;
  port: number;
  stop(): Promise<void>;
  log(): string;
}

/**
 * Start PgBouncer in transaction mode on a free loopback port in front of the database `url`
 * points at (normally the authenticator's URL). Clients connect with `auth_type = trust` on
 * loopback; PgBouncer logs in to Postgres with the password from `url` (userlist.txt).
 * Refuses to run as root, as PgBouncer does, by dropping to `nobody` when we are root.
 */
export async function startPgbouncer(url: string, options: { poolSize?: number } = {}): Promise<RunningPgbouncer> {
  const binary = pgbouncerBinary();
  if (!binary) throw new Error("pgbouncer is not installed (apt-get install -y pgbouncer)");
  const target = new URL(url);
  const database = decodeURIComponent(target.pathname.slice(1));
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  const host = target.hostname === "localhost" ? "127.0.0.1" : target.hostname;
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "ironclad-pgbouncer-"));
  chmodSync(dir, 0o777);
  const logFile = path.join(dir, "pgbouncer.log");
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(path.join(dir, "userlist.txt"), `${quote(user)} ${quote(password)}\n`, { mode: 0o644 });
  writeFileSync(
    path.join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `${database} = host=${host} port=${target.port || 5432} dbname=${database}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${path.join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      `default_pool_size = ${options.poolSize ?? 8}`,
      "max_client_conn = 500",
      "ignore_startup_parameters = extra_float_digits,options,application_name",
      "server_reset_query =",
      `logfile = ${logFile}`,
      `pidfile = ${path.join(dir, "pgbouncer.pid")}`,
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  const args = [path.join(dir, "pgbouncer.ini")];
  if (userInfo().uid === 0) args.unshift("-u", "nobody");
  const child: ChildProcess = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const log = () => output + (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");

  const bouncerUrl = new URL(url);
  bouncerUrl.hostname = "127.0.0.1";
  bouncerUrl.port = String(port);
  // Wait until it answers a query through to Postgres.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited (${child.exitCode}): ${log()}`);
    const client = new Client({ connectionString: bouncerUrl.toString() });
    try {
      await client.connect();
      await client.query("select 1");
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => {});
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`pgbouncer did not come up: ${(error as Error).message}\n${log()}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: bouncerUrl.toString(),
    port,
    log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM"); // immediate shutdown
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
        clearTimeout(timer);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
