/**
 * `npm run db:commit -- "message" [--allow-lint-errors]`: turn migrations/current/ into the next
 * committed migration (graphile-migrate commit). First the dev database (with current.sql
 * applied) is linted: any error-level finding refuses the commit, so a table without RLS never
 * reaches a committed migration. `--allow-lint-errors` overrides, and says so loudly (logged as
 * a warning line naming every finding it let through). Then graphile-migrate replays every
 * committed migration plus the new one on a shadow database. Uses the embedded server in DATA_DIR.
 */
import { Client } from "pg";
import { loadConfig } from "../config";
import { migrateDatabase, migrateSettings, runGraphileMigrate } from "../db/migrate";
import { EMBEDDED_DATABASE, startEmbeddedDatabase } from "../db/prepare";
import { withDatabase as otherDatabase } from "../db/urls";
import { assertCommittable, OVERRIDE_FLAG } from "../lint/commit-gate";
import { fail } from "./with-database";

async function main() {
  const override = process.argv.includes(OVERRIDE_FLAG);
  const message = process.argv.slice(2).find((a) => !a.startsWith("--"));
  const config = loadConfig();
  const { server, setup } = await startEmbeddedDatabase(config.dataDir);
  try {
    await migrateDatabase(setup.ownerUrl, server.rootUrl);
    const client = new Client({ connectionString: setup.ownerUrl });
    await client.connect();
    await assertCommittable(client, setup.roles, { override }).finally(() => client.end());
    const settings = {
      ...migrateSettings(setup.ownerUrl, server.rootUrl),
      shadowConnectionString: otherDatabase(setup.ownerUrl, `${EMBEDDED_DATABASE}_shadow`),
    };
    await runGraphileMigrate("commit", settings, message || undefined);
    console.log("Committed migrations/current. Run `npm run db:reset` to rebuild the dev database from the committed files.");
  } finally {
    await server.stop();
  }
}

main().catch(fail("db:commit"));
