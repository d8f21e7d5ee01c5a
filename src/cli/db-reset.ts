/**
 * `npm run db:reset`: DROP and recreate the database, then migrate (and seed, for the
 * embedded server). Needs ROOT_DATABASE_URL for an external server.
 */
import { loadConfig } from "../config";
import { resetDatabase } from "../db/migrate";
import { seedIfEmpty, startEmbeddedDatabase } from "../db/prepare";
import { databaseNameOf } from "../db/urls";
import { fail } from "./with-database";

async function main() {
  const config = loadConfig();
  if (config.databaseUrl) {
    const rootUrl = process.env.ROOT_DATABASE_URL;
    if (!rootUrl) throw new Error("ROOT_DATABASE_URL (a superuser connection) is required to reset an external database");
    await resetDatabase(config.databaseUrl, rootUrl);
    console.log(`Reset ${databaseNameOf(config.databaseUrl)}.`);
    return;
  }
  const { server, setup, secrets } = await startEmbeddedDatabase(config.dataDir);
  try {
    await resetDatabase(setup.ownerUrl, server.rootUrl);
    await seedIfEmpty({ ...setup, jwtSecret: secrets.jwtSecret, embedded: true, stop: async () => undefined });
    console.log("Reset the embedded database and loaded the demo data.");
  } finally {
    await server.stop();
  }
}

main().catch(fail("db:reset"));
