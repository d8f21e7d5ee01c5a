import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { startEmbedded, type EmbeddedServer } from "../../src/db/embedded";
import { citusMode, citusShardCount, distributeTables, migrationUrl } from "../../src/db/citus";
import { migrateDatabase } from "../../src/db/migrate";
import { seedDemoData } from "../../src/db/seed";
import { randomSecret } from "../../src/db/secrets";
import { setupDatabase } from "../../src/db/setup";
import { withDatabase } from "../../src/db/urls";

/**
 * One throwaway database for the whole run: on a private embedded server by default, or on
 * the server TEST_DATABASE_URL points at (a superuser connection, e.g.
 * postgres://postgres@127.0.0.1:5432/postgres). Roles are named after the database, so a
 * run never touches another database's roles. Demo data is loaded as the fixture.
 *
 * CITUS=1 (`npm run test:citus`): TEST_DATABASE_URL is a Citus coordinator; the database is
 * made on every node and its tables placed on the cluster (src/db/citus.ts). The demo seed
 * writes as several roles in one transaction, which Citus refuses, so the Citus suites
 * (test/citus/) build their own gyms instead.
 */
export default async function globalSetup() {
  process.env.GRAPHILE_ENV ??= "development";
  let rootUrl = process.env.TEST_DATABASE_URL;
  const citus = citusMode();
  if (citus && !rootUrl) throw new Error("CITUS=1 needs TEST_DATABASE_URL (the coordinator, e.g. postgres://postgres@127.0.0.1:9700/postgres)");
  let embedded: EmbeddedServer | undefined;
  if (!rootUrl) {
    const dataDir = await mkdtemp(path.join(tmpdir(), "ironclad-test-"));
    embedded = await startEmbedded({ dataDir, superuserPassword: randomSecret(), persistent: false });
    rootUrl = embedded.rootUrl;
  }
  const databaseName = `ironclad_test_${randomSecret(4)}`;
  const setup = await setupDatabase({
    rootUrl,
    databaseName,
    ownerPassword: randomSecret(),
    authenticatorPassword: randomSecret(),
    citus,
  });
  // bcrypt cost 4 in tests (production default 10): accepting invitations and resetting
  // passwords over and over must not dominate the suite's time.
  const root = new Client({ connectionString: rootUrl });
  await root.connect();
  await root.query(`alter database "${databaseName}" set ironclad.bcrypt_cost = '4'`);
  await root.end();
  if (citus) {
    await migrateDatabase(migrationUrl(setup.ownerUrl), rootUrl);
    await distributeTables(withDatabase(rootUrl, databaseName), setup.ownerUrl, citusShardCount());
  } else {
    await migrateDatabase(setup.ownerUrl, rootUrl);
    const owner = new Client({ connectionString: setup.ownerUrl });
    await owner.connect();
    await seedDemoData(owner, setup.roles);
    await owner.end();
  }

  Object.assign(process.env, {
    IRONCLAD_TEST_ROOT_URL: rootUrl,
    IRONCLAD_TEST_DATABASE: databaseName,
    IRONCLAD_TEST_OWNER_URL: setup.ownerUrl,
    IRONCLAD_TEST_AUTH_URL: setup.authUrl,
    IRONCLAD_TEST_JWT_SECRET: randomSecret(32),
  });
  (globalThis as { __ironcladEmbedded?: EmbeddedServer }).__ironcladEmbedded = embedded;
}
