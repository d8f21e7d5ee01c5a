import { PRESETS, seedPlatform, tableCounts, type SeedOptions } from "./seed";
import { withClient } from "../src/db/with-client";
import { openBenchDatabase, writeSeedRecord, type BenchDatabase, type SeedRecord } from "./target";

/** Drop and recreate `name` on the server, migrate it, fill it; the record is kept on the database. */
export async function createSeededDatabase(
  serverRootUrl: string,
  name: string,
  preset: string,
  options: SeedOptions,
  log: (m: string) => void = () => undefined,
): Promise<{ db: BenchDatabase; record: SeedRecord }> {
  const started = performance.now();
  const db = await openBenchDatabase(serverRootUrl, name, { fresh: true, log });
  const record = await withClient(db.rootUrl, async (client) => {
    const steps = await seedPlatform(client, options, log);
    const counts = await tableCounts(client);
    const rec: SeedRecord = {
      preset,
      options,
      seconds: Math.round((performance.now() - started) / 100) / 10,
      counts,
      steps: steps.map((s) => ({ ...s, ms: Math.round(s.ms) })),
      at: new Date().toISOString(),
    };
    await writeSeedRecord(client, rec);
    return rec;
  });
  return { db, record };
}

/** `--preset small|large [--gyms G --members M --results R --skew S]` → options. */
export function seedOptionsFromArgs(argv: string[]): { preset: string; options: SeedOptions } {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const preset = value("--preset") ?? "small";
  if (!(preset in PRESETS)) throw new Error(`--preset must be one of ${Object.keys(PRESETS).join(", ")}`);
  const base = PRESETS[preset as keyof typeof PRESETS];
  const num = (flag: string, fallback: number | undefined) => {
    const raw = value(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ""));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number`);
    return n;
  };
  return {
    preset,
    options: {
      gyms: num("--gyms", base.gyms)!,
      members: num("--members", base.members)!,
      results: num("--results", base.results)!,
      skew: num("--skew", base.skew),
    },
  };
}
