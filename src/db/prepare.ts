import { Client } from "pg";
import type { Config } from "../config";
import { citusMode, citusShardCount, distributeTables, migrationUrl } from "./citus";
import { startEmbedded } from "./embedded";
import { migrateDatabase } from "./migrate";
import { roleNamesFor, type RoleNames } from "./roles";
import { loadOrCreateSecrets } from "./secrets";
import { seedDemoData } from "./seed";
import { setupDatabase } from "./setup";
import { databaseNameOf, userOf, withDatabase } from "./urls";

/** A migrated database, ready to serve. */
export interface PreparedDatabase {
  ownerUrl: string;
  authUrl: string;
  roles: RoleNames;
  jwtSecret: string;
  embedded: boolean;
  /** Citus mode: the database's superuser URL (the demo seed loads results with triggers off as it). */
  citusRootUrl?: string;
  /** Stop the embedded server, if we started one (release every pool first). */
  stop(): Promise<void>;
}

export const EMBEDDED_DATABASE = "ironclad";

/**
 * Embedded (default): start the private server in DATA_DIR, create roles and database,
 * migrate. External (DATABASE_URL + AUTH_DATABASE_URL): migrate only; roles and database
 * come from `npm run db:setup`. CITUS=1 without DATABASE_URL: the cluster at ROOT_DATABASE_URL.
 */
export async function prepareDatabase(
  config: Config,
  log: (m: string) => void,
  options: { exclusive?: boolean } = {},
): Promise<PreparedDatabase> {
  if (config.databaseUrl && config.authDatabaseUrl) {
    if (!config.jwtSecret) throw new Error("JWT_SECRET must be set when DATABASE_URL is (at least 32 random characters).");
    log("migrating the database at DATABASE_URL");
    // Citus: DDL not propagated while migrating (src/db/citus.ts migrationUrl); db:setup placed the tables.
    await migrateDatabase(
      config.citus ? migrationUrl(config.databaseUrl) : config.databaseUrl,
      process.env.ROOT_DATABASE_URL || undefined,
      log,
    );
    return {
      ownerUrl: config.databaseUrl,
      authUrl: config.authDatabaseUrl,
      roles: roleNamesFor(databaseNameOf(config.databaseUrl), userOf(config.databaseUrl)),
      jwtSecret: config.jwtSecret,
      embedded: false,
      citusRootUrl:
        config.citus && process.env.ROOT_DATABASE_URL
          ? withDatabase(process.env.ROOT_DATABASE_URL, databaseNameOf(config.databaseUrl))
          : undefined,
      stop: async () => undefined,
    };
  }
  if (config.citus) return prepareCitusDatabase(config, log);
  const { server, setup, secrets } = await startEmbeddedDatabase(config.dataDir, log, options.exclusive);
  try {
    await migrateDatabase(setup.ownerUrl, server.rootUrl, log);
    return {
      ownerUrl: setup.ownerUrl,
      authUrl: setup.authUrl,
      roles: setup.roles,
      jwtSecret: config.jwtSecret ?? secrets.jwtSecret,
      embedded: true,
      stop: () => server.stop(),
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Citus mode without DATABASE_URL (`npm run start:citus`): the cluster whose coordinator
 * ROOT_DATABASE_URL points at stands in for the embedded server. Roles and the database on
 * every node, migrations, tables placed (src/db/citus.ts); each step is idempotent, so a
 * restart finds everything in place. Passwords and the JWT secret are kept in DATA_DIR as for
 * the embedded server.
 */
async function prepareCitusDatabase(config: Config, log: (m: string) => void): Promise<PreparedDatabase> {
  const rootUrl = process.env.ROOT_DATABASE_URL;
  if (!rootUrl)
    throw new Error(
      "CITUS=1 without DATABASE_URL needs ROOT_DATABASE_URL (the coordinator's superuser URL; npm run start:citus sets it)",
    );
  const secrets = await loadOrCreateSecrets(config.dataDir);
  const setup = await setupDatabase({
    rootUrl,
    databaseName: EMBEDDED_DATABASE,
    ownerPassword: secrets.ownerPassword,
    authenticatorPassword: secrets.authenticatorPassword,
    citus: true,
    log,
  });
  await migrateDatabase(migrationUrl(setup.ownerUrl), rootUrl, log);
  await distributeTables(withDatabase(rootUrl, EMBEDDED_DATABASE), setup.ownerUrl, citusShardCount(), log);
  return {
    ownerUrl: setup.ownerUrl,
    authUrl: setup.authUrl,
    roles: setup.roles,
    jwtSecret: config.jwtSecret ?? secrets.jwtSecret,
    embedded: false,
    citusRootUrl: withDatabase(rootUrl, EMBEDDED_DATABASE),
    stop: async () => undefined,
  };
}

/**
 * The embedded server in `dataDir` with Ironclad's roles and database in place (not yet
 * migrated). Passwords and the JWT secret are generated once into `dataDir/secrets.json`.
 */
export async function startEmbeddedDatabase(dataDir: string, log: (m: string) => void = () => undefined, exclusive = false) {
  const secrets = await loadOrCreateSecrets(dataDir);
  const server = await startEmbedded({ dataDir, superuserPassword: secrets.superuserPassword, log, exclusive });
  try {
    const setup = await setupDatabase({
      rootUrl: server.rootUrl,
      databaseName: EMBEDDED_DATABASE,
      ownerPassword: secrets.ownerPassword,
      authenticatorPassword: secrets.authenticatorPassword,
      log,
    });
    return { server, setup, secrets };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** Seed the demo data if the database has no gyms yet. */
export async function seedIfEmpty(db: PreparedDatabase): Promise<boolean> {
  const client = new Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    return await seedDemoData(client, db.roles, { citus: citusMode(), rootUrl: db.citusRootUrl });
  } finally {
    await client.end();
  }
}
