import { loadConfig } from "../config";
import { prepareDatabase, type PreparedDatabase } from "../db/prepare";

/**
 * For the one-shot commands (migrate, seed, worker, lint): the same database `npm start`
 * would use — DATABASE_URL if set, else the embedded server in DATA_DIR, started for the
 * duration of the command — migrated and ready.
 */
export async function withDatabase(fn: (db: PreparedDatabase) => Promise<void>, keepRunning = false): Promise<void> {
  const db = await prepareDatabase(loadConfig(), (m) => console.log(`  • ${m}`));
  try {
    await fn(db);
  } finally {
    if (!keepRunning) await db.stop();
  }
}

export function fail(command: string) {
  return (error: unknown) => {
    console.error(`${command} failed:`, error instanceof Error ? error.message : error);
    process.exit(1);
  };
}
