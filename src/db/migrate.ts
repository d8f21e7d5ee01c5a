import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { Logger, watch, type Settings } from "graphile-migrate";
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
  // graphile_worker's schema first: our triggers enqueue jobs through graphile_worker.add_job
  // (leaderboard refreshes), so it must exist before our migrations create or fire them.
  log("installing graphile-worker's schema");
  await installWorkerSchema(ownerUrl);
  log("applying committed migrations");
  await runGraphileMigrate("migrate", settings);
  if (await hasCurrentMigration()) {
    log("applying uncommitted migrations/current (development)");
    await runGraphileMigrate("watch", settings, true);
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

/** The graphile-migrate commands we run to completion (not `watch` without `once`). */
export type MigrateCommand = "migrate" | "reset" | "watch" | "commit";

/**
 * A code that runs one graphile-migrate command in a worker thread and reports back.
 * Why a thread: graphile-migrate keeps its own pg pools alive after a command (ended a
 * moment later by a timer), and calls process.exit(1) if one of their idle connections drops,
 * as it does when the embedded server stops right after migrating. In a thread, that exit ends
 * only the thread, and the thread ends (its pools closed) before we go on. Plain CommonJS:
 * the thread loads graphile-migrate from node_modules and nothing of ours.
 */
const MIGRATE_THREAD = `
const { parentPort, workerData } = require("node:worker_threads");
const gm = require(workerData.module);
const logger = new gm.Logger(() => (level, message) => {
  if (level === "error" || level === "warning") parentPort.postMessage({ log: level, message });
});
gm[workerData.command]({ ...workerData.settings, logger }, ...workerData.args).then(
  () => parentPort.postMessage({ done: true }),
  (error) => parentPort.postMessage({ error: { ...error, name: error && error.name, message: String(error && error.message || error), stack: error && error.stack } }),
);
`;

/** How long a finished command's thread may take to close its pools before it is stopped. */
const THREAD_EXIT_TIMEOUT_MS = 5_000;

/**
 * Run a graphile-migrate command to completion in its own thread (see MIGRATE_THREAD); resolves
 * once the thread has exited, so no graphile-migrate connection outlives the call. Errors
 * (SQL errors with their `code`) are re-thrown here.
 */
export async function runGraphileMigrate(command: MigrateCommand, settings: Settings, ...args: unknown[]): Promise<void> {
  const { logger: _logger, ...plain } = settings;
  const worker = new Worker(MIGRATE_THREAD, {
    eval: true,
    workerData: { module: require.resolve("graphile-migrate"), command, settings: plain, args },
    // The thread needs none of the parent's loaders (tsx) or flags.
    execArgv: [],
  });
  let outcome: { done: true } | { error: Record<string, unknown> & { message: string } } | undefined;
  worker.on(
    "message",
    (message: { log?: string; message?: string; done?: true; error?: Record<string, unknown> & { message: string } }) => {
      if (message.log === "error") console.error(message.message);
      else if (message.log === "warning") console.warn(message.message);
      else if (message.done) outcome = { done: true };
      else if (message.error) outcome = { error: message.error };
    },
  );
  const exited = new Promise<number>((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", resolve);
  });
  const timer = setInterval(() => {
    if (outcome) void worker.terminate();
  }, THREAD_EXIT_TIMEOUT_MS);
  let code: number;
  try {
    code = await exited;
  } finally {
    clearInterval(timer);
  }
  if (!outcome) throw new Error(`graphile-migrate ${command}: its thread exited (${code}) without finishing`);
  if ("error" in outcome) {
    const { message, stack, ...rest } = outcome.error;
    const error = Object.assign(new Error(message), rest);
    if (typeof stack === "string") error.stack = stack;
    throw error;
  }
}

/** Drop and recreate the database, then migrate (graphile-migrate reset). Needs a root URL. */
export async function resetDatabase(ownerUrl: string, rootUrl: string) {
  const settings = migrateSettings(ownerUrl, rootUrl);
  await runGraphileMigrate("reset", settings);
  // reset recreated the database; graphile_worker's schema must precede migrations/current.
  await installWorkerSchema(ownerUrl);
  if (await hasCurrentMigration()) await runGraphileMigrate("watch", settings, true);
}
