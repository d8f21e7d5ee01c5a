/**
 * `npm run db:restore -- FILE [--yes]`: replace every row of the database with a backup made by
 * `npm run db:backup` (src/ops/backup.ts), in one transaction. The database is created and
 * migrated first like any command (embedded: DATA_DIR; external: `npm run db:setup` then
 * DATABASE_URL); a database that already holds gyms or people needs --yes.
 */
import { Client } from "pg";
import { expectedMigrationHash } from "../db/migration-files";
import { databaseHasData, restoreDatabase } from "../ops/backup";
import { fail, withDatabase } from "./with-database";

async function main() {
  const file = process.argv.slice(2).find((a) => !a.startsWith("--"));
  if (!file) throw new Error("usage: npm run db:restore -- FILE [--yes]");
  await withDatabase(async (db) => {
    const client = new Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      if (!process.argv.includes("--yes") && (await databaseHasData(client, db.roles))) {
        throw new Error(
          "the database already has data and a restore replaces all of it: add --yes (back it up first: npm run db:backup)",
        );
      }
      const s = await restoreDatabase(client, db.roles, file, await expectedMigrationHash());
      const rows = Object.values(s.tables).reduce((n, c) => n + c, 0);
      console.log(`Restored ${rows} rows of ${Object.keys(s.tables).length} tables and ${s.sequences} sequences from ${file}.`);
      console.log("The network leaderboards are rebuilt by the worker (npm start runs it).");
    } finally {
      await client.end();
    }
  });
}

main().catch(fail("db:restore"));
