import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { Client } from "pg";
import { pgSettingsFor } from "../src/auth/pg-settings";
import { ANONYMOUS } from "../src/auth/verify-token";
import { migrateDatabase } from "../src/db/migrate";
import { expectedMigrationHash } from "../src/db/migration-files";
import { randomSecret } from "../src/db/secrets";
import { DEMO_PASSWORD } from "../src/db/seed";
import { dropDatabaseAndRoles, setupDatabase, type SetupResult } from "../src/db/setup";
import { withDatabase } from "../src/db/urls";
import { backupDatabase, restoreDatabase } from "../src/ops/backup";
import { testDb } from "./support/db";
import { withClient } from "../src/db/with-client";

/**
 * Backups that restore (issue 11, item 2): a backup of the test database, restored into a
 * fresh database (roles, migrations, then the rows), has the same number of rows in every
 * table — counted by a superuser, outside RLS, so an "empty" dump cannot pass — the same
 * sequence positions, and the demo logins work there. A cut-short backup is refused whole.
 */
jest.setTimeout(300_000);

const fresh = `${testDb().database}_restore`;
let setup: SetupResult;
let dir: string;

async function superuser<T>(database: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(testDb().serverRootUrl, database) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Row count of every table of our schemas (whoever owns it) and every sequence's position. */
async function census(
  database: string,
  owner: string,
): Promise<{ tables: Record<string, number>; sequences: Record<string, string> }> {
  return superuser(database, async (c) => {
    const { rows } = await c.query<{ t: string; owned: boolean }>(
      `select format('%I.%I', n.nspname, c.relname) as t, c.relowner = $1::regrole as owned
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname in ('app_public', 'app_hidden', 'app_private', 'app_shared') and c.relkind in ('r', 'p')
        order by 1`,
      [owner],
    );
    const tables: Record<string, number> = {};
    for (const { t, owned } of rows) {
      // Tables of other roles (the shared layer's refresh log) are derived, rebuilt by a refresh.
      if (!owned) continue;
      tables[t] = (await c.query<{ n: number }>(`select count(*)::int as n from ${t}`)).rows[0]!.n;
    }
    const sequences: Record<string, string> = {};
    const { rows: seqs } = await c.query<{ s: string }>(
      `select format('%I.%I', n.nspname, c.relname) as s from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'S' and n.nspname like 'app\\_%' order by 1`,
    );
    for (const { s } of seqs)
      sequences[s] = (await c.query<{ v: string }>(`select last_value::text || '/' || is_called as v from ${s}`)).rows[0]!.v;
    return { tables, sequences };
  });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ironclad-backup-"));
  await dropDatabaseAndRoles(testDb().serverRootUrl, fresh);
  setup = await setupDatabase({
    rootUrl: testDb().serverRootUrl,
    databaseName: fresh,
    ownerPassword: randomSecret(),
    authenticatorPassword: randomSecret(),
  });
  await migrateDatabase(setup.ownerUrl, testDb().serverRootUrl);
});

afterAll(async () => {
  await dropDatabaseAndRoles(testDb().serverRootUrl, fresh);
});

it("backup → restore into a fresh database gives equal row counts for every table, and the demo logins work", async () => {
  const hash = await expectedMigrationHash();
  const file = path.join(dir, "all.backup.gz");
  const before = await census(testDb().database, testDb().roles.owner);
  const summary = await withClient(testDb().ownerUrl, (c) => backupDatabase(c, testDb().roles, file, hash));
  // Every owner-owned table is in the backup, and the tenant tables are not empty (RLS did not hide them).
  expect(Object.keys(summary.tables).sort()).toEqual(Object.keys(before.tables).sort());
  expect(summary.tables["app_public.memberships"]).toBeGreaterThan(0);
  expect(summary.tables["app_private.user_secrets"]).toBeGreaterThan(0);

  await withClient(setup.ownerUrl, (c) => restoreDatabase(c, setup.roles, file, hash));
  const after = await census(fresh, setup.roles.owner);
  expect(after.tables).toEqual(before.tables);
  expect(after.tables).toEqual(summary.tables);
  expect(after.sequences).toEqual(before.sequences);

  // A demo person logs in on the restored database (password hash, membership, gym restored).
  const token = await withClient(setup.authUrl, async (c) => {
    await c.query("begin");
    for (const [key, value] of Object.entries(pgSettingsFor(ANONYMOUS, setup.roles))) {
      await c.query("select set_config($1, $2, true)", [key, value]);
    }
    const { rows } = await c.query<{ t: string | null }>("select (app_public.authenticate($1, $2)) is not null as t", [
      "coach@iron-temple.test",
      DEMO_PASSWORD,
    ]);
    await c.query("rollback");
    return rows[0]!.t;
  });
  expect(token).toBe(true);

  // A backup cut short (end marker lost) is refused and leaves the database as it was.
  const lines = gunzipSync(await readFile(file))
    .toString("utf8")
    .split("\n")
    .filter(Boolean);
  const cut = path.join(dir, "cut.backup.gz");
  await writeFile(cut, gzipSync(`${lines.slice(0, -1).join("\n")}\n`));
  await expect(withClient(setup.ownerUrl, (c) => restoreDatabase(c, setup.roles, cut, hash))).rejects.toThrow(/incomplete/);
  expect((await census(fresh, setup.roles.owner)).tables).toEqual(before.tables);
});

it("a backup taken at another schema version is refused", async () => {
  const file = path.join(dir, "all.backup.gz");
  await expect(withClient(setup.ownerUrl, (c) => restoreDatabase(c, setup.roles, file, "sha1:other"))).rejects.toThrow(/schema/);
});
