/**
 * `ROOT_DATABASE_URL=postgres://superuser@host/postgres npm run db:setup [-- database_name]`
 *
 * Against an external server: create Ironclad's roles and database (idempotently), migrate,
 * and print the two connection strings the app needs. Passwords come from OWNER_PASSWORD /
 * AUTHENTICATOR_PASSWORD, or are generated (and printed once).
 *
 * CITUS=1: ROOT_DATABASE_URL is a Citus coordinator with its workers registered in its
 * `postgres` database; the database is made on every node and the tables are placed on the
 * cluster after the migrations (CITUS_SHARD_COUNT shards per table, default 32; docs/CITUS.md).
 */
import { citusMode, citusShardCount, distributeTables, migrationUrl } from "../db/citus";
import { migrateDatabase } from "../db/migrate";
import { randomSecret } from "../db/secrets";
import { setupDatabase } from "../db/setup";
import { redact, withDatabase } from "../db/urls";

async function main() {
  const rootUrl = process.env.ROOT_DATABASE_URL;
  if (!rootUrl) {
    console.error("Set ROOT_DATABASE_URL to a superuser connection, e.g. postgres://postgres@127.0.0.1:5432/postgres");
    process.exit(2);
  }
  const databaseName = process.argv[2] || process.env.DATABASE_NAME || "ironclad";
  const ownerPassword = process.env.OWNER_PASSWORD || randomSecret();
  const authenticatorPassword = process.env.AUTHENTICATOR_PASSWORD || randomSecret();
  console.log(`Setting up ${databaseName} on ${redact(rootUrl)}`);
  const citus = citusMode();
  const shardCount = citus ? citusShardCount() : 0;
  const log = (m: string) => console.log(`  • ${m}`);
  const setup = await setupDatabase({ rootUrl, databaseName, ownerPassword, authenticatorPassword, citus, log });
  await migrateDatabase(citus ? migrationUrl(setup.ownerUrl) : setup.ownerUrl, rootUrl, log);
  if (citus) await distributeTables(withDatabase(rootUrl, databaseName), setup.ownerUrl, shardCount, log);
  console.log(`
Done. Use these (the passwords were ${process.env.OWNER_PASSWORD ? "taken from the environment" : "generated just now; keep them"}):

  DATABASE_URL=${setup.ownerUrl}
  AUTH_DATABASE_URL=${setup.authUrl}

Then: JWT_SECRET=<32+ random characters> DATABASE_URL=… AUTH_DATABASE_URL=… npm start
(add SEED=1 to load the demo data into an empty database)`);
}

main().catch((error) => {
  console.error("db:setup failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
