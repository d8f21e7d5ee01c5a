/**
 * `npm run db:backup -- [FILE|DIR]`: the whole database (every owner-owned table of our schemas
 * and the sequences) into one gzip file, from a consistent snapshot, through the maintenance
 * role (src/ops/backup.ts). DIR (or no argument: DATA_DIR/backups) gets a timestamped file.
 * Works on DATABASE_URL or the embedded server in DATA_DIR, also while `npm start` runs.
 */
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Client } from "pg";
import { loadConfig } from "../config";
import { expectedMigrationHash } from "../db/migration-files";
import { backupDatabase } from "../ops/backup";
import { fail, withDatabase } from "./with-database";

async function target(arg: string | undefined): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
  const dir = arg ?? path.join(loadConfig().dataDir, "backups");
  if (arg && !arg.endsWith("/") && !(existsSync(arg) && statSync(arg).isDirectory())) return arg;
  await mkdir(dir, { recursive: true });
  return path.join(dir, `ironclad-${stamp}.backup.gz`);
}

async function main() {
  const file = await target(process.argv[2]);
  await withDatabase(async (db) => {
    const client = new Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      const s = await backupDatabase(client, db.roles, file, await expectedMigrationHash());
      const rows = Object.values(s.tables).reduce((n, c) => n + c, 0);
      console.log(`Backed up ${rows} rows of ${Object.keys(s.tables).length} tables and ${s.sequences} sequences to ${file}`);
      console.log("Restore with: npm run db:restore -- " + file);
    } finally {
      await client.end();
    }
  });
}

main().catch(fail("db:backup"));
