/**
 * `npm run bench [-- --quick] [-- --only rls,alone,leaderboards,http,login] [-- --servers floor,api,api-stock,…] [-- --no-repair]`
 *
 * Runs every scenario against the bench database filled by `npm run bench:seed`, each
 * comparison side by side and interleaved, and writes bench/results.json and the generated
 * section of bench/RESULTS.md.
 */
import { cpus, totalmem } from "node:os";
import { Client } from "pg";
import { randomSecret } from "../src/db/secrets";
import { cachedTokenVerifier, JWT_ISSUER, verifyToken } from "../src/auth/verify-token";
import { DEFAULT_JWT_AUDIENCE } from "../src/config";
import { gymsBySize, peopleOf, tokenFor, type GymPeople } from "./identities";
import { callersFor, load, OPERATIONS, runAutocannon, smoke, startChild, type Child, type LoadFigures } from "./http";
import { postmasterOf } from "./cpu";
import { perRequest, writeReport, type BenchReport } from "./report";
import { createSeededDatabase } from "./seed-database";
import { BENCH_PASSWORD } from "./seed";
import { gymAmongMany, leaderboards, rlsCost, VisitorSession } from "./sql-scenarios";
import { summarize, type Comparison } from "./stats";
import { BENCH_DATABASE, openBenchDatabase, openServer, readSeedRecord, type BenchDatabase } from "./target";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const onlyArg = argv.includes("--only") ? argv[argv.indexOf("--only") + 1]!.split(",") : null;
const run = (s: string) => !onlyArg || onlyArg.includes(s);
const opsArg = argv.includes("--ops") ? argv[argv.indexOf("--ops") + 1]!.split(",") : null;
const serversArg = argv.includes("--servers") ? argv[argv.indexOf("--servers") + 1]!.split(",") : null;
const P = quick
  ? { sqlRounds: 40, budgetMs: 4_000, httpRounds: 2, seconds: 5, lbCalls: 50, refreshes: 1, loginSeconds: 5 }
  : { sqlRounds: 200, budgetMs: 15_000, httpRounds: 3, seconds: 10, lbCalls: 1000, refreshes: 1, loginSeconds: 10 };
const log = (m: string) => console.log(`  • ${m}`);

async function connect(url: string) {
  const c = new Client({ connectionString: url });
  await c.connect();
  return c;
}

async function main() {
  const server = await openServer(log);
  const report: BenchReport = {
    at: new Date().toISOString(),
    quick,
    machine: {},
    seed: null,
    comparisons: [],
    http: [],
    notes: [],
  };
  try {
    const db = await openBenchDatabase(server.rootUrl, BENCH_DATABASE, { fresh: false, log });
    const root = await connect(db.rootUrl);
    report.seed = await readSeedRecord(root);
    if (!report.seed) throw new Error(`${BENCH_DATABASE} has not been seeded: run npm run bench:seed first`);
    const { rows: v } = await root.query<{ v: string; size: string }>(
      "select current_setting('server_version') as v, pg_size_pretty(pg_database_size(current_database())) as size",
    );
    report.machine = {
      cpus: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
      memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      postgres: v[0]!.v,
      database: `${db.name}, ${v[0]!.size}`,
      embedded: String(server.embedded),
    };
    const visitor = await VisitorSession.open(db.authUrl, db.roles);
    const gyms = await gymsBySize(root);
    const largest = await peopleOf(root, gyms[0]!.id);
    const median = await peopleOf(root, gyms[Math.floor(gyms.length / 2)]!.id);
    const label = (g: GymPeople, what: string) => `${what} (${g.members} members, ${g.results.toLocaleString("en")} results)`;

    if (run("rls")) {
      console.log("RLS cost per role");
      for (const [g, what] of [
        [largest, "largest gym"],
        [median, "median gym"],
      ] as const) {
        report.comparisons.push(
          ...(await rlsCost({ visitor, root, gym: g, rounds: P.sqlRounds, budgetMs: P.budgetMs, label: label(g, what) })),
        );
      }
    }

    if (run("alone")) {
      console.log("One gym among many vs alone");
      const aloneName = `${BENCH_DATABASE}_alone`;
      const aloneDb = await aloneDatabase(server.rootUrl, aloneName, median);
      const aloneRoot = await connect(aloneDb.rootUrl);
      const aloneGym = await peopleOf(aloneRoot, (await gymsBySize(aloneRoot))[0]!.id);
      const aloneVisitor = await VisitorSession.open(aloneDb.authUrl, aloneDb.roles);
      const cmp = await gymAmongMany({
        among: { visitor, gym: median },
        alone: { visitor: aloneVisitor, gym: aloneGym },
        rounds: P.sqlRounds,
        budgetMs: P.budgetMs,
      });
      for (const c of cmp)
        c.name = `${c.name} — ${label(median, "median gym")} vs alone (${aloneGym.results.toLocaleString("en")} results)`;
      report.comparisons.push(...cmp);
      await aloneVisitor.end();
      await aloneRoot.end();
    }

    if (run("leaderboards")) {
      console.log("Leaderboards");
      report.leaderboards = await leaderboards({
        visitor,
        root,
        gym: largest,
        calls: P.lbCalls,
        refreshes: P.refreshes,
        repair: !argv.includes("--no-repair"),
      });
    }

    if (run("http") || run("login")) {
      const secret = randomSecret(32);
      const sample = await sampleGyms(root, gyms, 40);
      const env = { BENCH_AUTH_URL: db.authUrl, BENCH_DATABASE_NAME: db.name, BENCH_JWT_SECRET: secret };
      const worker = { BENCH_WORKER_URL: db.ownerUrl };
      // Every server the HTTP scenario can compare; `--servers key,…` picks some (the floor is always first).
      const variants: Record<string, [string, string, Record<string, string>]> = {
        floor: ["floor", "floor.ts", env],
        "floor-one-trip": ["floor, one round trip", "floor.ts", { ...env, BENCH_FLOOR_ONE_TRIP: "1" }],
        api: ["api", "api-server.ts", { ...env, ...worker }],
        "api-no-worker": ["api, no in-process worker", "api-server.ts", env],
        "api-stock": [
          "api, stock adaptor, no token cache",
          "api-server.ts",
          { ...env, ...worker, BENCH_TRANSACTIONS: "stock", BENCH_TOKEN_CACHE: "0" },
        ],
        "api-one-trip": [
          "api, one trip, check at the door, no token cache",
          "api-server.ts",
          { ...env, ...worker, BENCH_TRANSACTIONS: "one-trip", BENCH_TOKEN_CACHE: "0" },
        ],
        "api-one-trip-check": [
          "api, one trip with the check, no token cache",
          "api-server.ts",
          { ...env, ...worker, BENCH_TRANSACTIONS: "one-trip-check", BENCH_TOKEN_CACHE: "0" },
        ],
      };
      const picked = serversArg ?? ["floor", "floor-one-trip", "api", "api-stock", "api-no-worker"];
      if (picked[0] !== "floor") picked.unshift("floor");
      const servers: Child[] = [];
      try {
        for (const key of picked) {
          const v = variants[key];
          if (!v) throw new Error(`--servers: unknown ${key} (one of ${Object.keys(variants).join(", ")})`);
          servers.push(await startChild(v[0], v[1], v[2]));
        }
        const api = servers.find((s) => s.name === "api") ?? servers[1]!;
        // Login first: the write operation enqueues leaderboard refreshes, which the in-process
        // worker then runs (full rebuilds) while later rounds are measured.
        if (run("login")) await loginScenario(report, api, sample, secret);
        if (run("http")) await httpScenario(report, servers, sample, secret, await postmasterOf(root));
      } finally {
        await Promise.all(servers.map((s) => s.stop()));
      }
    }
    await visitor.end();
    await root.end();
    await writeReport(report);
    console.log("Wrote bench/results.json and bench/RESULTS.md");
  } finally {
    await server.stop();
  }
}

/** The alone database: the median gym's shape seeded alone (re-seeded only when the shape differs). */
async function aloneDatabase(serverRootUrl: string, name: string, gym: GymPeople): Promise<BenchDatabase> {
  const wanted = { gyms: 1, members: gym.members, results: gym.results };
  const existing = await openBenchDatabase(serverRootUrl, name, { fresh: false });
  const record = await connect(existing.rootUrl).then(async (c) => {
    const r = await readSeedRecord(c);
    await c.end();
    return r;
  });
  if (record && record.options.members === wanted.members && record.options.results === wanted.results) return existing;
  log(`seeding ${name}: one gym of ${wanted.members} members, ${wanted.results} results`);
  return (await createSeededDatabase(serverRootUrl, name, "alone", wanted, () => undefined)).db;
}

async function sampleGyms(root: Client, gyms: { id: string }[], n: number) {
  const picked = Array.from(
    { length: Math.min(n, gyms.length) },
    (_, i) => gyms[Math.floor((i * gyms.length) / Math.min(n, gyms.length))]!,
  );
  const out: (GymPeople & { classId: string; workoutId: string })[] = [];
  for (const g of picked) {
    const people = await peopleOf(root, g.id);
    const { rows } = await root.query<{ c: string; w: string }>(
      `select (select id from app_public.class_sessions where tenant_id = $1 and starts_at < now() order by starts_at desc limit 1) as c,
              (select id from app_public.workouts where tenant_id = $1 and is_published and benchmark_id is null order by created_at limit 1) as w`,
      [g.id],
    );
    out.push({ ...people, classId: rows[0]!.c, workoutId: rows[0]!.w });
  }
  return out;
}

async function httpScenario(
  report: BenchReport,
  servers: Child[],
  sample: Awaited<ReturnType<typeof sampleGyms>>,
  secret: string,
  postmaster: number | null,
) {
  console.log("API vs floor");
  for (const op of OPERATIONS.filter((o) => !opsArg || opsArg.includes(o.name))) {
    const callers = callersFor(op, sample, secret);
    for (const s of servers) await smoke(s, op, callers.slice(0, 5));
    const rounds: LoadFigures[] = [];
    for (let r = 0; r < P.httpRounds; r++) {
      for (const s of r % 2 === 0 ? servers : [...servers].reverse()) {
        const f = await load(s, op, callers, P.seconds, 50, postmaster);
        log(
          `${op.name} ${s.name}: ${f.rps} req/s, p50 ${f.latency.p50} p99 ${f.latency.p99} ms, gc max ${f.process.gcMaxMs} ms, loop max ${f.process.loopDelayMaxMs} ms, CPU ms/request ${perRequest(f.process.cpuMs, f)} (server) ${perRequest(f.dbCpuMs, f)} (database)${f.non2xx || f.graphqlErrors ? `, ${f.non2xx} non-2xx ${f.graphqlErrors} errors` : ""}`,
        );
        rounds.push(f);
      }
    }
    report.http.push(...rounds);
    const med = (xs: number[]) => summarize(xs).p50;
    const of = (name: string) => rounds.filter((f) => f.server === name);
    const floor = of(servers[0]!.name);
    for (const s of servers.slice(1)) {
      const mine = of(s.name);
      const rps = med(mine.map((f) => f.rps)) / med(floor.map((f) => f.rps));
      const p99 = med(mine.map((f) => f.latency.p99)) / med(floor.map((f) => f.latency.p99));
      report.comparisons.push({
        scenario: "api-vs-floor",
        name: `${op.name} (${op.role}) — ${s.name}`,
        a: s.name,
        b: "floor",
        aSummary: summarize(mine.flatMap((f) => [f.latency.p50])),
        bSummary: summarize(floor.flatMap((f) => [f.latency.p50])),
        ratio: rps,
        goal: s.name.startsWith("floor") ? "(a lever, measured on the floor)" : "throughput ≥ 0.9× floor and p99 ≤ 2× floor",
        met: rps >= 0.9 && p99 <= 2,
        notes: `req/s ${med(mine.map((f) => f.rps))} vs ${med(floor.map((f) => f.rps))}; p99 ${med(mine.map((f) => f.latency.p99))} vs ${med(floor.map((f) => f.latency.p99))} ms (${p99.toFixed(2)}×)`,
      });
    }
  }
}

async function loginScenario(report: BenchReport, api: Child, sample: GymPeople[], secret: string) {
  console.log("Login");
  const emails = sample.flatMap((g) => [g.member.email, g.coach.email, g.admin.email]);
  let i = 0;
  const latencies: number[] = [];
  const result = await runAutocannon(
    {
      url: `${api.url}/graphql`,
      connections: 10,
      duration: P.loginSeconds,
      requests: [
        {
          method: "POST",
          setupRequest: (req) => ({
            ...req,
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              query: "mutation Login($e: String!, $p: String!) { authenticate(input: { email: $e, password: $p }) { jwtToken } }",
              variables: { e: emails[i++ % emails.length], p: BENCH_PASSWORD },
            }),
          }),
        },
      ],
    },
    latencies,
  );
  // Token verification per request: the API's verifyToken on a real token, in this process.
  const token = tokenFor(sample[0]!.member, secret);
  const n = 20_000;
  const t = performance.now();
  for (let k = 0; k < n; k++) verifyToken(token, { secret, audience: DEFAULT_JWT_AUDIENCE, issuer: JWT_ISSUER });
  const verifyUs = ((performance.now() - t) / n) * 1000;
  const cached = cachedTokenVerifier(10);
  const t2 = performance.now();
  for (let k = 0; k < n; k++) cached(token, { secret, audience: DEFAULT_JWT_AUDIENCE, issuer: JWT_ISSUER });
  const cachedUs = ((performance.now() - t2) / n) * 1000;
  report.login = {
    rps: Math.round((result.requests.total / P.loginSeconds) * 10) / 10,
    latency: summarize(latencies),
    non2xx: result.non2xx,
    connections: 10,
    bcryptCost: 8,
    verifyTokenMicros: Math.round(verifyUs * 10) / 10,
    cachedVerifyMicros: Math.round(cachedUs * 10) / 10,
  };
  log(`login: ${report.login.rps} req/s, p99 ${report.login.latency.p99} ms; verifyToken ${report.login.verifyTokenMicros} µs`);
}

main().catch((error) => {
  console.error("bench failed:", error instanceof Error ? error.stack : error);
  process.exit(1);
});

export type { Comparison };
