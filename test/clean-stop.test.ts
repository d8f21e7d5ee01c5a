import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../src/db/embedded";

/**
 * Clean stops (issue 11, item 4) and CLI commands while the server runs (item 6), on a real
 * `npm start` with its own embedded Postgres in a temporary DATA_DIR — slow, so it is the only
 * suite that starts one, and it reuses the cluster for the second signal:
 *  - SIGTERM to the top process (npm) with a request in flight: the request is answered, then
 *    no process of the tree is left, nothing listens on PORT, the postmaster is gone;
 *  - while it runs, `npm run db:backup` reaches the same embedded server (no second postmaster,
 *    the server keeps serving);
 *  - SIGINT (Ctrl+C, i.e. to npm's process group as a terminal does): the same.
 */
jest.setTimeout(900_000);

const root = path.resolve(__dirname, "..");
let dataDir: string;
const started: ChildProcess[] = [];

function env(port: number): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    SEED: "0",
    LOG_LEVEL: "warn",
    WORKER: "1",
  };
  for (const key of ["DATABASE_URL", "AUTH_DATABASE_URL", "ROOT_DATABASE_URL", "JWT_SECRET", "NODE_ENV"]) delete e[key];
  // npm itself must run on this Node (24): put it first on PATH.
  e.PATH = `${path.dirname(process.execPath)}:${e.PATH ?? ""}`;
  return e;
}

/** Every live (non-zombie) descendant of `pid`, from /proc. */
function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z") parent.set(Number(entry), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, ppid] of parent)
      if (ppid === p) {
        out.push(child);
        walk(child);
      }
  };
  walk(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number, output: () => string) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function npmStart(port: number) {
  const child = spawn("npm", ["start"], { cwd: root, env: env(port), stdio: ["ignore", "pipe", "pipe"], detached: true });
  started.push(child);
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const ready = async () => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${output}`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200;
    } catch {
      return false;
    }
  };
  await until("npm start to be ready", ready, 600_000, () => output);
  return { child, exited, output: () => output };
}

function postmasterPid(): number {
  return Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
}

/** A GraphQL request whose body is still arriving: headers now, the rest on `finish()`. */
function slowRequest(port: number) {
  const body = JSON.stringify({ query: "{ __typename }" });
  const socket = net.connect(port, "127.0.0.1");
  let response = "";
  socket.on("data", (c) => (response += c.toString()));
  const done = new Promise<string>((resolve, reject) => {
    socket.on("end", () => resolve(response));
    socket.on("error", reject);
  });
  const opened = new Promise<void>((resolve) =>
    socket.once("connect", () => {
      socket.write(
        `POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
      );
      resolve();
    }),
  );
  return { opened, finish: () => (socket.end(body.slice(5)), done) };
}

async function stopAndCheck(signal: NodeJS.Signals, run: Awaited<ReturnType<typeof npmStart>>, port: number) {
  const tree = descendants(run.child.pid!);
  const postmaster = postmasterPid();
  expect(tree).toContain(postmaster); // the embedded Postgres is part of what npm start spawned
  const request = slowRequest(port);
  await request.opened;
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the server has the request's headers
  // SIGTERM (a supervisor, `kill`): to the top process only, npm — which dies without forwarding
  // it (npm 11); the app notices it was orphaned. SIGINT is Ctrl+C: the terminal signals the
  // whole foreground process group (npm alone ignores SIGINT, expecting exactly that).
  process.kill(signal === "SIGINT" ? -run.child.pid! : run.child.pid!, signal);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const response = await request.finish();
  expect(response).toMatch(/^HTTP\/1\.1 200/);
  expect(response).toContain('"__typename":"Query"');
  // npm's own exit status follows its conventions (killed by SIGTERM, 130 after Ctrl+C); what
  // matters is below: nothing of it is left.
  await run.exited;
  await until(
    "every process of npm start to exit",
    () => tree.every((pid) => !alive(pid)),
    30_000,
    () => `left: ${tree.filter(alive).join(", ")}\n${run.output()}`,
  );
  expect(await listening(port)).toBe(false);
  expect(alive(postmaster)).toBe(false);
  expect(existsSync(path.join(dataDir, "pg", "postmaster.pid"))).toBe(false);
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "ironclad-stop-"));
});

afterAll(async () => {
  // Only if a test failed half-way: end what this suite started (its own process groups).
  for (const child of started) {
    child.stdout?.destroy();
    child.stderr?.destroy();
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await rm(dataDir, { recursive: true, force: true });
});

it("SIGTERM to npm start answers the request in flight and leaves no process, port or postmaster; a CLI command meanwhile uses the same server", async () => {
  const port = await freePort();
  const run = await npmStart(port);
  const postmaster = postmasterPid();

  // A CLI command on the same DATA_DIR connects to the running server instead of starting a second.
  const file = path.join(dataDir, "while-running.backup.gz");
  const cli = spawnSync("npm", ["run", "db:backup", "--", file], { cwd: root, env: env(0), encoding: "utf8" });
  expect(`${cli.stdout}${cli.stderr}`).toMatch(/already running \(pid \d+, port \d+/);
  expect(cli.status).toBe(0);
  expect(existsSync(file)).toBe(true);
  expect(postmasterPid()).toBe(postmaster);
  expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
  // A second `npm start` on the same DATA_DIR says why not, and does not touch the first.
  const second = spawnSync("npm", ["start"], { cwd: root, env: env(await freePort()), encoding: "utf8" });
  expect(second.status).toBe(1);
  expect(`${second.stdout}${second.stderr}`).toMatch(/already running \(pid \d+, port \d+\).*stop it first/);
  expect(postmasterPid()).toBe(postmaster);

  await stopAndCheck("SIGTERM", run, port);
});

it("SIGINT (Ctrl+C) to npm start stops everything too", async () => {
  const port = await freePort();
  const run = await npmStart(port);
  await stopAndCheck("SIGINT", run, port);
});
