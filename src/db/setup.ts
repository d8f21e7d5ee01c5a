import { adoptRoles, createWorkerDatabases, registerCluster } from "./citus";
import { fillPlaceholders, placeholdersFor, readMigrationFile, roleNamesFor, type RoleNames } from "./roles";
import { databaseNameOf, withDatabase } from "./urls";
import { withClient } from "./with-client";

export interface SetupOptions {
  /** A superuser connection to any database on the server (usually `postgres`). */
  rootUrl: string;
  /** The database to create (if missing) for Ironclad. */
  databaseName: string;
  ownerPassword: string;
  authenticatorPassword: string;
  /** Citus mode (src/db/citus.ts): the database on every node of the cluster `rootUrl` coordinates. */
  citus?: boolean;
  log?: (message: string) => void;
}

export interface SetupResult {
  roles: RoleNames;
  /** Owner connection: migrations, the worker, the seed. */
  ownerUrl: string;
  /** Authenticator connection: the only login the API pool uses. */
  authUrl: string;
  created: boolean;
}

function assertSafeSecret(name: string, value: string): void {
  // Passwords are spliced into role DDL; keep them to characters that need no quoting.
  if (!/^[A-Za-z0-9_\-.~]{16,}$/.test(value)) {
    throw new Error(`${name} must be at least 16 characters of [A-Za-z0-9_-.~]`);
  }
}

/**
 * Create the roles and the database, idempotently, as a superuser. Safe to run again: roles
 * are re-asserted, an existing database is left as it is.
 */
export async function setupDatabase(options: SetupOptions): Promise<SetupResult> {
  const { rootUrl, databaseName, log = () => undefined } = options;
  assertSafeSecret("owner password", options.ownerPassword);
  assertSafeSecret("authenticator password", options.authenticatorPassword);
  const roles = roleNamesFor(databaseName);
  const placeholders = {
    ...placeholdersFor(roles),
    ":DATABASE_OWNER_PASSWORD": options.ownerPassword,
    ":DATABASE_AUTHENTICATOR_PASSWORD": options.authenticatorPassword,
    ":DATABASE_OWNER": roles.owner,
    ":DATABASE_NAME": databaseName,
  };

  log(`creating roles ${roles.owner}, ${roles.authenticator} and the visitor roles`);
  const rolesSql = fillPlaceholders(await readMigrationFile("roles.sql"), placeholders);
  const created = await withClient(rootUrl, async (client) => {
    await client.query(rolesSql);
    if (options.citus) await createWorkerDatabases(rootUrl, databaseName, roles, log);
    const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [databaseName]);
    if (rowCount) return false;
    log(`creating database ${databaseName}`);
    await client.query(`create database "${databaseName.replace(/"/g, '""')}" owner "${roles.owner}"`);
    return true;
  });
  if (options.citus) {
    log("registering the Citus cluster in the database");
    await registerCluster(rootUrl, databaseName, log);
  }
  // In Citus mode afterReset runs on every setup: a worker added since needs its extensions.
  if (created || options.citus) {
    const afterReset = fillPlaceholders(await readMigrationFile("afterReset.sql"), placeholders);
    await withClient(withDatabase(rootUrl, databaseName), (client) => client.query(afterReset));
  }
  if (options.citus) await adoptRoles(rootUrl, databaseName, roles);
  return {
    roles,
    created,
    ownerUrl: withDatabase(rootUrl, databaseName, { user: roles.owner, password: options.ownerPassword }),
    authUrl: withDatabase(rootUrl, databaseName, { user: roles.authenticator, password: options.authenticatorPassword }),
  };
}

/** Drop a database and the roles derived from its name (test teardown). */
export async function dropDatabaseAndRoles(rootUrl: string, databaseName: string): Promise<void> {
  const roles = roleNamesFor(databaseName);
  await withClient(rootUrl, async (client) => {
    await client.query(`drop database if exists "${databaseName}" with (force)`);
    // The maintenance role holds a server-wide grant (SET on session_replication_role) that
    // would keep it from being dropped.
    const { rowCount } = await client.query("select 1 from pg_roles where rolname = $1", [roles.maintenance]);
    if (rowCount) await client.query(`revoke set on parameter session_replication_role from "${roles.maintenance}"`);
    for (const role of [
      ...Object.values(roles.visitor),
      roles.system,
      roles.shared,
      roles.maintenance,
      roles.authenticator,
      roles.owner,
    ]) {
      await client.query(`drop role if exists "${role}"`);
    }
  });
}

export { databaseNameOf };
