/**
 * npm run fuzz:isolation -- [--iterations N] [--seed S]
 *
 * The cross-tenant leak fuzzer (src/fuzz/isolation.ts) outside jest: a throwaway database
 * (embedded Postgres, or the server TEST_DATABASE_URL names) with the demo seed, the real API
 * on a free port, both directions between the two demo gyms. Exit code 1 on any finding.
 */
import { Pool } from "pg";
import { DEFAULT_JWT_AUDIENCE, LOG_LEVELS, type LogLevel } from "../config";
import { randomSecret } from "../db/secrets";
import { DEMO_GYMS, DEMO_PASSWORD } from "../db/seed";
import { createThrowawayDatabase } from "../db/throwaway";
import { formatReport, runIsolationFuzz } from "../fuzz/isolation";
import type { RootQuery } from "../fuzz/ground-truth";
import { configureLogger } from "../observability/logger";
import { startApi } from "../server";

/** Low bcrypt cost: the fuzzer logs in and tries credential mutations thousands of times. */
const FUZZ_BCRYPT_COST = 4;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${raw}`);
  return n;
}

async function main() {
  const iterations = Math.max(1, arg("iterations", 3));
  const seed = arg("seed", Date.now() % 100_000);
  process.env.GRAPHILE_ENV ??= "development";
  // One request-log line per probe would bury the report.
  const level = process.env.LOG_LEVEL as LogLevel | undefined;
  configureLogger({ level: level && LOG_LEVELS.includes(level) ? level : "warn" });
  console.log(`fuzz:isolation: ${iterations} round(s), seed ${seed}; preparing a throwaway database…`);
  const db = await createThrowawayDatabase({
    serverRootUrl: process.env.TEST_DATABASE_URL,
    prefix: "ironclad_fuzz",
    seed: true,
    bcryptCost: FUZZ_BCRYPT_COST,
  });
  const rootPool = new Pool({ connectionString: db.rootUrl, max: 4 });
  const rootQuery: RootQuery = async (sql, params = []) => (await rootPool.query(sql, params)).rows;
  const [gymA, gymB] = DEMO_GYMS.map((g) => g.slug) as [string, string];
  let failed = false;
  try {
    const api = await startApi({
      authUrl: db.authUrl,
      roles: db.roles,
      jwtSecret: randomSecret(32),
      jwtAudience: DEFAULT_JWT_AUDIENCE,
      port: 0,
      graphiql: false,
      introspection: true,
      credentials: { bcryptCost: FUZZ_BCRYPT_COST },
      // Every persona logs in from 127.0.0.1, many times.
      loginBudget: { attempts: 1_000_000, windowSeconds: 900 },
    });
    try {
      for (const [a, b] of [
        [gymA, gymB],
        [gymB, gymA],
      ] as const) {
        const report = await runIsolationFuzz({
          apiUrl: api.url,
          rootQuery,
          password: DEMO_PASSWORD,
          gymA: a,
          gymB: b,
          iterations,
          seed,
          log: (m) => console.log(`  ${a} → ${b}: ${m}`),
        });
        console.log(formatReport(report));
        if (report.findings.length) failed = true;
      }
    } finally {
      await api.close();
    }
  } finally {
    await rootPool.end();
    await db.drop();
  }
  console.log(failed ? "\nfuzz:isolation: FINDINGS (see above)" : "\nfuzz:isolation: no findings");
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error("fuzz:isolation failed:", error);
  process.exit(2);
});
