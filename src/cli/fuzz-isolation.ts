/**
 * npm run fuzz:isolation -- [--iterations N] [--seed S]
 *
 * The cross-tenant leak fuzzer (test/fuzz/isolation.ts) outside jest: a throwaway database
 * (embedded Postgres, or the server TEST_DATABASE_URL names) with the demo seed, the real API
 * on a free port, both directions between the two demo gyms. Exit code 1 on any finding.
 */
import { DEMO_PASSWORD } from "../db/seed";
import globalSetup from "../../test/support/global-setup";
import globalTeardown from "../../test/support/global-teardown";
import { startTestApi } from "../../test/support/api";
import { closePools, GYM_A, GYM_B, rootQuery } from "../../test/support/db";
import { formatReport, runIsolationFuzz } from "../../test/fuzz/isolation";

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
  console.log(`fuzz:isolation: ${iterations} round(s), seed ${seed}; preparing a throwaway database…`);
  await globalSetup();
  let failed = false;
  try {
    const api = await startTestApi();
    try {
      for (const [a, b] of [[GYM_A, GYM_B], [GYM_B, GYM_A]] as const) {
        const report = await runIsolationFuzz({ apiUrl: api.url, rootQuery, password: DEMO_PASSWORD, gymA: a, gymB: b, iterations, seed, log: (m) => console.log(`  ${a} → ${b}: ${m}`) });
        console.log(formatReport(report));
        if (report.findings.length) failed = true;
      }
    } finally {
      await api.close();
    }
  } finally {
    await closePools();
    await globalTeardown();
  }
  console.log(failed ? "\nfuzz:isolation: FINDINGS (see above)" : "\nfuzz:isolation: no findings");
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error("fuzz:isolation failed:", error);
  process.exit(2);
});
