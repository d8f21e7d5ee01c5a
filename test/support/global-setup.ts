import { createThrowawayDatabase, type ThrowawayDatabase } from "../../src/db/throwaway";
import { citusMode } from "../../src/db/citus";
import { randomSecret } from "../../src/db/secrets";
import { TEST_BCRYPT_COST } from "./db";

/**
 * One throwaway database for the whole run: on a private embedded server by default, or on
 * the server TEST_DATABASE_URL points at (a superuser connection, e.g.
 * postgres://postgres@127.0.0.1:5432/postgres). Roles are named after the database, so a
 * run never touches another database's roles. Demo data is loaded as the fixture.
 */
export default async function globalSetup() {
  process.env.GRAPHILE_ENV ??= "development";
  // bcrypt cost 4 in tests (production default 10): accepting invitations and resetting
  // passwords over and over must not dominate the suite's time.
  // Citus mode (CITUS=1, TEST_DATABASE_URL = the coordinator): the demo data too (seeded the Citus
  // way, src/db/seed.ts), hashed at the test API's cost: a lower one makes a login upgrade the
  // hash, an UPDATE Citus refuses on a reference table (docs/CITUS.md).
  const citus = citusMode();
  const db = await createThrowawayDatabase({
    serverRootUrl: process.env.TEST_DATABASE_URL,
    prefix: "ironclad_test",
    seed: true,
    bcryptCost: citus ? TEST_BCRYPT_COST : 4,
    citus,
  });
  Object.assign(process.env, {
    IRONCLAD_TEST_ROOT_URL: db.serverRootUrl,
    IRONCLAD_TEST_DATABASE: db.databaseName,
    IRONCLAD_TEST_OWNER_URL: db.ownerUrl,
    IRONCLAD_TEST_AUTH_URL: db.authUrl,
    IRONCLAD_TEST_JWT_SECRET: randomSecret(32),
  });
  (globalThis as { __ironcladTestDatabase?: ThrowawayDatabase }).__ironcladTestDatabase = db;
}
