/**
 * HTTP scenarios with autocannon: the API (PostGraphile, as `npm start` runs it) vs the floor
 * (bench/floor.ts), each in its own child process, 50 connections, tokens of many gyms and
 * roles, rounds interleaved (floor, API, API variant, floor, …) so machine noise hits all.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import autocannon from "autocannon";
import type { ProcessStats } from "./api-server";
import { serverCpuMs } from "./cpu";
import { tokenFor, type GymPeople, type Person } from "./identities";
import { OPERATIONS, type Operation } from "./operations";
import { summarize, type Summary } from "./stats";

export interface Child {
  name: string;
  url: string;
  stats(): Promise<ProcessStats>;
  stop(): Promise<void>;
}

/** Fork a bench server (api-server.ts or floor.ts) under tsx; resolves once it listens. */
export async function startChild(name: string, script: string, env: Record<string, string>, cpu?: number): Promise<Child> {
  const child: ChildProcess = fork(path.join(__dirname, script), [], {
    execArgv: ["--import", "tsx"],
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  if (cpu !== undefined && child.pid) {
    // Pin the server to one core, leaving the other to the load generator (as in the figures).
    fork("/usr/bin/taskset", [], {
      execPath: "/usr/bin/taskset",
      execArgv: ["-p", "-c", String(cpu), String(child.pid)],
      stdio: "ignore",
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
    child.on("message", (m: { port?: number }) => m.port && resolve(m.port));
  });
  child.removeAllListeners("exit");
  const ask = <T>(msg: string, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off("message", on);
          resolve(m[key] as T);
        }
      };
      child.on("message", on);
      child.send(msg);
    });
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    stats: () => ask<ProcessStats>("stats", "stats"),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.send("stop");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

export interface Caller {
  token: string;
  variables: Record<string, unknown>;
}

/** Per operation: a token and variables for each sampled gym's person of the right role. */
export function callersFor(
  op: Operation,
  gyms: (GymPeople & { classId: string; workoutId: string })[],
  secret: string,
): Caller[] {
  return gyms.map((g) => {
    const who: Person = op.role === "coach" ? g.coach : g.member;
    return { token: tokenFor(who, secret), variables: { t: g.tenantId, c: g.classId, w: g.workoutId } };
  });
}

export interface LoadFigures {
  server: string;
  op: string;
  rps: number;
  latency: Summary;
  errors: number;
  non2xx: number;
  graphqlErrors: number;
  process: ProcessStats;
  requests: number;
  /** CPU the database server used during the round (null: not a local server). */
  dbCpuMs: number | null;
}

export async function load(
  target: Child,
  op: Operation,
  callers: Caller[],
  seconds: number,
  connections = 50,
  postmaster: number | null = null,
): Promise<LoadFigures> {
  const opName = op.document.match(/^(?:query|mutation) (\w+)/)![1]!;
  let i = 0;
  let graphqlErrors = 0;
  const latencies: number[] = [];
  await target.stats(); // reset the child's counters
  const dbBefore = serverCpuMs(postmaster);
  const result = await runAutocannon(
    {
      url: `${target.url}/graphql`,
      connections,
      duration: seconds,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => {
            const c = callers[i++ % callers.length]!;
            return {
              ...req,
              headers: { "content-type": "application/json", authorization: `Bearer ${c.token}` },
              body: JSON.stringify({ query: op.document, operationName: opName, variables: c.variables }),
            };
          },
          onResponse: (_status, body) => {
            if (body.includes('"errors"')) graphqlErrors++;
          },
        },
      ],
    },
    latencies,
  );
  const dbAfter = serverCpuMs(postmaster);
  return {
    server: target.name,
    op: op.name,
    rps: Math.round((result.requests.total / seconds) * 10) / 10,
    latency: summarize(latencies),
    errors: result.errors,
    non2xx: result.non2xx,
    graphqlErrors,
    process: await target.stats(),
    requests: result.requests.total,
    dbCpuMs: dbBefore === null || dbAfter === null ? null : Math.round(dbAfter - dbBefore),
  };
}

/** autocannon, collecting every response time (ms) into `latencies` for exact percentiles. */
export function runAutocannon(options: autocannon.Options, latencies: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    instance.on("response", (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
}

/** One request per caller through `target`; throws on the first error (the workload must be valid). */
export async function smoke(target: Child, op: Operation, callers: Caller[]): Promise<void> {
  const opName = op.document.match(/^(?:query|mutation) (\w+)/)![1]!;
  for (const c of callers) {
    const res = await fetch(`${target.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${c.token}` },
      body: JSON.stringify({ query: op.document, operationName: opName, variables: c.variables }),
    });
    const text = await res.text();
    if (res.status !== 200 || text.includes('"errors"'))
      throw new Error(`${target.name} ${op.name}: ${res.status} ${text.slice(0, 400)}`);
  }
}

export { OPERATIONS };
