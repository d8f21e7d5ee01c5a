import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { citusShardCount, distributeTables, dropWorkerDatabases, migrationUrl } from "./citus";
import { startEmbedded, type EmbeddedServer } from "./embedded";
import { migrateDatabase } from "./migrate";
import { seedDemoData } from "./seed";
import { randomSecret } from "./secrets";
import { dropDatabaseAndRoles, setupDatabase, type SetupResult } from "./setup";
import { withDatabase } from "./urls";
import { withClient } from "./with-client";

export interface ThrowawayDatabase extends SetupResult {
  databaseName: string;
  /** Superuser connection to the server (its `postgres` database). */
  serverRootUrl: string;
  /** Superuser connection to the throwaway database: ground truth, outside RLS. */
  rootUrl: string;
  /** Drop it: the embedded server with its data, or the database and its roles. */
  drop(): Promise<void>;
}

export interface ThrowawayOptions {
  /** Superuser connection to an existing server; unset: a private embedded server in a temp dir. */
  serverRootUrl?: string;
  /** Start of the database name (a random suffix follows). */
  prefix: string;
  /** Load the demo data (src/db/seed.ts). */
  seed?: boolean;
  /** Database default for `ironclad.bcrypt_cost` (tests use a low cost to stay fast). */
  bcryptCost?: number;
  /** Citus mode (docs/CITUS.md): serverRootUrl is the coordinator; tables are distributed after migrating. */
  citus?: boolean;
  log?: (message: string) => void;
}

/**
 * A migrated database that exists only for one run (the suite, the fuzzer's CLI, the contract
 * generator, benchmarks): on its own roles, named after it, so it never touches another
 * database's. Dropped by `drop()`.
 */
export async function createThrowawayDatabase(options: ThrowawayOptions): Promise<ThrowawayDatabase> {
  const log = options.log ?? (() => undefined);
  if (options.citus && !options.serverRootUrl)
    throw new Error("Citus mode needs the coordinator's superuser URL (e.g. postgres://postgres@127.0.0.1:9700/postgres)");
  let serverRootUrl = options.serverRootUrl;
  let embedded: EmbeddedServer | undefined;
  if (!serverRootUrl) {
    log("starting a throwaway embedded PostgreSQL");
    embedded = await startEmbedded({
      dataDir: await mkdtemp(path.join(tmpdir(), `${options.prefix}-`)),
      superuserPassword: randomSecret(),
      persistent: false,
    });
    serverRootUrl = embedded.rootUrl;
  }
  const rootOfServer = serverRootUrl;
  const databaseName = `${options.prefix.replace(/-/g, "_")}_${randomSecret(4).toLowerCase()}`;
  const drop = async () => {
    await waitForConnectionsToClose(rootOfServer, databaseName);
    if (embedded)
      await embedded.stop(); // non-persistent: its data directory goes with it
    else {
      // Citus: the workers' copies first (their roles are dropped through the coordinator).
      if (options.citus) await dropWorkerDatabases(rootOfServer, databaseName);
      await dropDatabaseAndRoles(rootOfServer, databaseName);
    }
  };
  try {
    const setup = await setupDatabase({
      rootUrl: rootOfServer,
      databaseName,
      ownerPassword: randomSecret(),
      authenticatorPassword: randomSecret(),
      citus: options.citus,
    });
    if (options.bcryptCost !== undefined) {
      const cost = Math.trunc(options.bcryptCost);
      await withClient(rootOfServer, (root) =>
        root.query(`alter database "${databaseName}" set ironclad.bcrypt_cost = '${cost}'`),
      );
    }
    log(`migrating ${databaseName}`);
    if (options.citus) {
      await migrateDatabase(migrationUrl(setup.ownerUrl), rootOfServer);
      log("distributing the tables");
      await distributeTables(withDatabase(rootOfServer, databaseName), setup.ownerUrl, citusShardCount(), log);
    } else {
      await migrateDatabase(setup.ownerUrl, rootOfServer);
    }
    if (options.seed) {
      log("loading the demo data");
      await withClient(setup.ownerUrl, (owner) =>
        seedDemoData(owner, setup.roles, { citus: options.citus ?? false, rootUrl: withDatabase(rootOfServer, databaseName) }),
      );
    }
    return { ...setup, databaseName, serverRootUrl: rootOfServer, rootUrl: withDatabase(rootOfServer, databaseName), drop };
  } catch (error) {
    await drop().catch(() => undefined);
    throw error;
  }
}

/**
 * pg-pool's end() resolves before its sockets are closed, so wait until the database has no
 * other sessions before stopping the server (or dropping the database): stopping under open
 * connections makes their clients emit errors after the run has finished.
 */
async function waitForConnectionsToClose(rootUrl: string, database: string) {
  await withClient(rootUrl, async (client) => {
    for (let i = 0; i < 50; i++) {
      const { rows } = await client.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()",
        [database],
      );
      if (rows[0]!.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}
