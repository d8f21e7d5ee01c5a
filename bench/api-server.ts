/**
 * The API as a child process of the bench (forked with tsx), so the load generator never
 * shares its event loop. Env: BENCH_AUTH_URL, BENCH_DATABASE_NAME, BENCH_JWT_SECRET,
 * BENCH_POOL_SIZE (default 10), BENCH_WORKER_URL (run graphile-worker in this process, as
 * `npm start` does by default), BENCH_TRANSACTIONS (`stock`: PostGraphile's adaptor and the
 * session check at the door; `one-trip`: one round trip, check at the door; unset: the
 * server's default, one round trip with the check inside), BENCH_TOKEN_CACHE (entries; 0 =
 * off; unset: the server's default). Reports its port over IPC, then answers "stats" with what it
 * saw since the last ask: GC pauses (count, total, longest) and event-loop delay.
 */
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import type { Runner } from "graphile-worker";
import type { TransactionOptions } from "../src/graphql/preset";
import { roleNamesFor } from "../src/db/roles";
import { startApi } from "../src/server";
import { startWorker } from "../src/worker";

export interface ProcessStats {
  gcCount: number;
  gcTotalMs: number;
  gcMaxMs: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssMb: number;
  /** CPU (user + system) the process used since the last ask. */
  cpuMs: number;
}

/** GC and event-loop instrumentation shared by the API and the floor children. */
export function instrument(): () => ProcessStats {
  let gc = { count: 0, total: 0, max: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.total += e.duration;
      gc.max = Math.max(gc.max, e.duration);
    }
  }).observe({ entryTypes: ["gc"] });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    const s: ProcessStats = {
      gcCount: gc.count,
      gcTotalMs: Math.round(gc.total),
      gcMaxMs: Math.round(gc.max * 10) / 10,
      loopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
      loopDelayMaxMs: Math.round(loop.max / 1e5) / 10,
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
      cpuMs: Math.round((used.user + used.system) / 1000),
    };
    cpu = process.cpuUsage();
    gc = { count: 0, total: 0, max: 0 };
    loop.reset();
    return s;
  };
}

function transactionsFromEnv(value: string | undefined): TransactionOptions | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "stock") return { oneRoundTrip: false };
  if (value === "one-trip") return { oneRoundTrip: true, sessionCheckInTransaction: false };
  if (value === "one-trip-check") return { oneRoundTrip: true, sessionCheckInTransaction: true };
  throw new Error(`BENCH_TRANSACTIONS=${value}: expected stock, one-trip or one-trip-check`);
}

async function main() {
  const env = (name: string) => {
    const v = process.env[name];
    if (!v) throw new Error(`${name} is required`);
    return v;
  };
  const stats = instrument();
  let worker: Runner | undefined;
  if (process.env.BENCH_WORKER_URL) worker = await startWorker(process.env.BENCH_WORKER_URL);
  const api = await startApi({
    authUrl: env("BENCH_AUTH_URL"),
    roles: roleNamesFor(env("BENCH_DATABASE_NAME")),
    jwtSecret: env("BENCH_JWT_SECRET"),
    jwtAudience: "ironclad",
    port: 0,
    graphiql: false,
    introspection: false,
    poolSize: Number(process.env.BENCH_POOL_SIZE || 10),
    transactions: transactionsFromEnv(process.env.BENCH_TRANSACTIONS),
    tokenCacheSize: process.env.BENCH_TOKEN_CACHE === undefined ? undefined : Number(process.env.BENCH_TOKEN_CACHE),
    // Every bench login comes from 127.0.0.1: the per-address budget would refuse nearly all of them.
    loginBudget: { attempts: 1_000_000, windowSeconds: 900 },
  });
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a failed stop crashes the bench child, which the parent reports
  process.on("message", async (m) => {
    if (m === "stats") process.send!({ stats: stats() });
    if (m === "stop") {
      await api.close();
      await worker?.stop();
      process.exit(0);
    }
  });
  process.send!({ port: api.port });
}

if (require.main === module) {
  main().catch((error) => {
    console.error("bench api-server:", error);
    process.exit(1);
  });
}
