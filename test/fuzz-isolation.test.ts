import { citusMode } from "../src/db/citus";
import { DEMO_PASSWORD } from "../src/db/seed";
import type { RunningApi } from "../src/server";
import { startTestApi } from "./support/api";
import { GYM_A, GYM_B, rootQuery } from "./support/db";
import { formatReport, runIsolationFuzz, type FuzzReport } from "../src/fuzz/isolation";

/**
 * Cross-tenant leak fuzzer (see src/fuzz/isolation.ts): discovers the API by introspection and
 * checks, in both directions between the two demo gyms, that nothing of one gym reaches the
 * other. FUZZ_ITERATIONS / FUZZ_SEED widen or replay a run.
 */
const iterations = Number(process.env.FUZZ_ITERATIONS ?? 1);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);

describe("cross-tenant leak fuzzer", () => {
  let api: RunningApi;
  beforeAll(async () => {
    // The fuzzer hunts leaks, not limits: its deep sweeps of every root field (e.g. gyms
    // with every relation two levels down) cost more than the production budget, and a probe
    // refused by a limit would be a probe that never ran. Limits have their own suite.
    api = await startTestApi({ limits: { maxCost: 5_000_000, maxDepth: 30 } });
  });
  afterAll(async () => {
    await api.close();
  });

  const run = async (a: string, b: string): Promise<FuzzReport> => {
    const report = await runIsolationFuzz({
      apiUrl: api.url,
      rootQuery,
      password: DEMO_PASSWORD,
      gymA: a,
      gymB: b,
      iterations,
      seed,
    });
    console.log(`${formatReport(report)}\n  (seed ${seed})`);
    return report;
  };

  // On Citus one direction (iron-temple's roles against harbor-barbell): a direction takes 3–6
  // min on the cluster, and test:citus must stay a few minutes in CI; both run on one node.
  const directions = citusMode()
    ? ([[GYM_A, GYM_B]] as const)
    : ([
        [GYM_A, GYM_B],
        [GYM_B, GYM_A],
      ] as const);
  for (const [a, b] of directions) {
    it(`as every role of ${a}, nothing of ${b} is readable, writable or observable`, async () => {
      const report = await run(a, b);
      expect(report.findings).toEqual([]);
      // Every probe ran: none was refused by a query limit.
      expect(report.skipped).toEqual([]);
      // It really exercised the API, not an empty schema.
      expect(report.coverage.rootQueryFields.length).toBeGreaterThan(3);
      expect(report.coverage.mutations.length).toBeGreaterThan(3);
      expect(report.coverage.nodeIdsProbed).toBeGreaterThan(0);
      expect(report.coverage.filterProbes).toBeGreaterThan(0);
      expect(report.coverage.forbiddenValues).toBeGreaterThan(5);
    }, 600_000); // ≈ 15 000 requests per direction; ≈ 1–2 min on a quiet machine (one node), 3–6 min on the Citus cluster
  }
});
