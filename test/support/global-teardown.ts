import { Client } from "pg";
import type { EmbeddedServer } from "../../src/db/embedded";
import { citusMode, dropWorkerDatabases } from "../../src/db/citus";
import { dropDatabaseAndRoles } from "../../src/db/setup";

/**
 * pg-pool's end() resolves before its sockets are closed, so wait until the test database has
 * no other sessions before stopping the server (or dropping the database): stopping under open
 * connections makes their clients emit errors after the run has finished.
 */
async function waitForConnectionsToClose(rootUrl: string, database: string) {
  const client = new Client({ connectionString: rootUrl });
  await client.connect();
  try {
    for (let i = 0; i < 50; i++) {
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [database],
      );
      if (rows[0]!.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await client.end();
  }
}

export default async function globalTeardown() {
  const embedded = (globalThis as { __ironcladEmbedded?: EmbeddedServer }).__ironcladEmbedded;
  const rootUrl = process.env.IRONCLAD_TEST_ROOT_URL;
  const database = process.env.IRONCLAD_TEST_DATABASE;
  if (rootUrl && database) await waitForConnectionsToClose(rootUrl, database);
  if (embedded) {
    await embedded.stop(); // non-persistent: its data directory goes with it
    return;
  }
  if (rootUrl && database) {
    // Citus: the workers' copies first (their roles are dropped through the coordinator).
    if (citusMode()) await dropWorkerDatabases(rootUrl, database);
    await dropDatabaseAndRoles(rootUrl, database);
  }
}
