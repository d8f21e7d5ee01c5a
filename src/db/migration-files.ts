import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { MIGRATIONS_DIR } from "./roles";

/**
 * The hash graphile-migrate records for the newest committed migration (its `--! Hash:`
 * header). /readyz compares it with app_hidden.latest_migration_hash(); backups record it so a
 * restore refuses a dump taken on another schema.
 */
export async function expectedMigrationHash(): Promise<string | null> {
  const dir = path.join(MIGRATIONS_DIR, "committed");
  const files = (await readdir(dir)).filter((f) => /^\d+.*\.sql$/.test(f)).sort();
  const last = files.at(-1);
  if (!last) return null;
  const body = await readFile(path.join(dir, last), "utf8");
  return /^--! Hash: (\S+)$/m.exec(body)?.[1] ?? null;
}
