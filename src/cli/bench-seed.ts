/**
 * `npm run bench:seed -- --preset small|large [--gyms G --members M --results R --skew S]`
 *
 * Drops and refills the bench database (BENCH_DATABASE, default ironclad_bench) on the
 * server at ROOT_DATABASE_URL (superuser) or on the embedded server in DATA_DIR. The app's own
 * database is never touched. See bench/seed.ts for what it generates and how.
 */
import { createSeededDatabase, seedOptionsFromArgs } from "../../bench/seed-database";
import { BENCH_DATABASE, openServer } from "../../bench/target";

async function main() {
  const { preset, options } = seedOptionsFromArgs(process.argv.slice(2));
  const log = (m: string) => console.log(`  • ${m}`);
  const server = await openServer(log);
  try {
    console.log(
      `Seeding ${BENCH_DATABASE}: ${preset} (${options.gyms} gyms, ${options.members} members, ${options.results} results)`,
    );
    const { record } = await createSeededDatabase(server.rootUrl, BENCH_DATABASE, preset, options, log);
    console.log(`Done in ${record.seconds} s.`);
    for (const [table, n] of Object.entries(record.counts))
      console.log(`  ${table.padEnd(22)} ${n.toLocaleString("en").padStart(12)}`);
  } finally {
    await server.stop();
  }
}

main().catch((error) => {
  console.error("bench:seed failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
