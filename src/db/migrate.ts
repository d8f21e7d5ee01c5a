import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Logger, migrate, reset, watch, type Settings } from "graphile-migrate";
import { Logger as WorkerLogger, runMigrations as runWorkerMigrations } from "graphile-worker";
import { MIGRATIONS_DIR, placeholdersFor, roleNamesFor } from "./roles";
import { databaseNameOf, userOf } from "./urls";

/**
 * graphile-migrate settings for one database. Role names come from the database name, the
 * same way db:setup creates them; `.gmrc` holds the same settings for the CLI.
 */
export function migrateSettings(ownerUrl: string, rootUrl?: string): Settings {
  const roles = roleNamesFor(databaseNameOf(ownerUrl), userOf(ownerUrl));
  return {
    connectionString: ownerUrl,
    rootConnectionString: rootUrl ?? ownerUrl.replace(/\/[^/?]*(\?|$)/, "/postgres$1"),
    databaseOwner: roles.owner,
    migrationsFolder: MIGRATIONS_DIR,
    placeholders: placeholdersFor(roles),
    afterReset: ["!afterReset.sql"],
    logger: quietLogger,
  };
}

/** graphile-migrate logs every step at info; we print our own progress, and its warnings. */
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error") console.error(message);
  else if (level === "warning") console.warn(message);
});

/** True when migrations/current holds uncommitted SQL (development only). */
async function hasCurrentMigration(): Promise<boolean> {
  const dir = path.join(MIGRATIONS_DIR, "current");
  const files = await readdir(dir).catch(() => [] as string[]);
  for (const file of files.filter((f) => f.endsWith(".sql"))) {
    const body = await readFile(path.join(dir, file), "utf8");
    if (body.replace(/--.*$/gm, "").trim()) return true;
  }
  return false;
}

/**
 * Apply the committed migrations, then (in development) the uncommitted ones in
 * migrations/current so a work in progress is what the tests see.
 */
export async function migrateDatabase(ownerUrl: string, rootUrl?: string, log: (m: string) => void = () => undefined) {
  const settings = migrateSettings(ownerUrl, rootUrl);
  try {
    // graphile_worker's schema first: our triggers enqueue jobs through graphile_worker.add_job
    // (leaderboard refreshes), so it must exist before our migrations create or fire them.
    log("installing graphile-worker's schema");
    await installWorkerSchema(ownerUrl);
    log("applying committed migrations");
    await migrate(settings);
    if (await hasCurrentMigration()) {
      log("applying uncommitted migrations/current (development)");
      await watch(settings, true);
    }
  } finally {
    releaseMigratePools();
  }
}

/**
 * `npm run dev`: keep applying migrations/current on every save (graphile-migrate watch), then
 * run migrations/afterCurrent.sql, which notifies the dev API to rebuild its schema. The
 * watcher lives as long as the process.
 */
export async function watchCurrentMigration(ownerUrl: string, rootUrl?: string) {
  await watch({ ...migrateSettings(ownerUrl, rootUrl), afterCurrent: ["afterCurrent.sql"] });
}

/** graphile-worker's own migrations, as the owner (which therefore owns schema graphile_worker). */
async function installWorkerSchema(ownerUrl: string) {
  await runWorkerMigrations({ connectionString: ownerUrl, logger: quietWorkerLogger });
}

const quietWorkerLogger = new WorkerLogger(() => (level, message) => {
  if (level === "error") console.error(message);
  else if (level === "warning") console.warn(message);
});

/**
 * graphile-migrate keeps its pools for a moment after use, and exits the process if one of
 * their idle connections drops (as it does when we later stop the embedded server). Close
 * them as soon as migrating is done.
 */
export function releaseMigratePools() {
  const pgReal = require("graphile-migrate/dist/pgReal") as { clearAllPools(): void };
  pgReal.clearAllPools();
}

/** Drop and recreate the database, then migrate (graphile-migrate reset). Needs a root URL. */
export async function resetDatabase(ownerUrl: string, rootUrl: string) {
  const settings = migrateSettings(ownerUrl, rootUrl);
  try {
    await reset(settings);
    // reset() recreated the database; graphile_worker's schema must precede migrations/current.
    await installWorkerSchema(ownerUrl);
    if (await hasCurrentMigration()) await watch(settings, true);
  } finally {
    releaseMigratePools();
  }
}
