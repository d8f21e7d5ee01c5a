import { randomBytes } from "node:crypto";
import { Client } from "pg";
import { migrateDatabase, resetDatabase } from "../src/db/migrate";
import { randomSecret } from "../src/db/secrets";
import { dropDatabaseAndRoles, setupDatabase, type SetupResult } from "../src/db/setup";
import { withDatabase } from "../src/db/urls";
import { testDb } from "./support/db";

/**
 * The migrations build the whole schema from an empty database, and graphile-migrate's
 * `reset` (drop, recreate, afterReset, migrate) can be run again and again with the same
 * result. Runs on its own database (and roles) on the test server, dropped at the end.
 */

jest.setTimeout(180_000);

const databaseName = `ironclad_mig_${randomBytes(6).toString("hex")}`;
let setup: SetupResult | undefined;

const rootUrl = () => testDb().serverRootUrl;

async function onNewDatabase<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: withDatabase(rootUrl(), databaseName) });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** What the migrations built, in a form that can be compared between two builds. */
async function schemaFingerprint() {
  return onNewDatabase(async (db) => {
    const q = async (sql: string) => (await db.query(sql)).rows.map((r) => Object.values(r).join(" | "));
    return {
      schemas: await q(`select nspname from pg_namespace where nspname like 'app\\_%' order by 1`),
      columns: await q(`
        select c.relnamespace::regnamespace || '.' || c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
          from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         where c.relnamespace::regnamespace::text like 'app\\_%' and c.relkind in ('r', 'p', 'v', 'm')
         order by 1, 2`),
      rls: await q(`
        select c.relnamespace::regnamespace || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity
          from pg_class c where c.relnamespace::regnamespace::text like 'app\\_%' and c.relkind in ('r', 'p') order by 1`),
      policies: await q(`
        select schemaname || '.' || tablename, policyname, permissive, cmd, coalesce(qual, ''), coalesce(with_check, '')
          from pg_policies where schemaname like 'app\\_%' order by 1, 2`),
      functions: await q(`
        select p.oid::regprocedure::text, p.provolatile, p.prosecdef, pg_get_userbyid(p.proowner)
          from pg_proc p where p.pronamespace::regnamespace::text like 'app\\_%' order by 1`),
      indexes: await q(`select indexrelid::regclass::text, pg_get_indexdef(indexrelid) from pg_index i
                          join pg_class c on c.oid = i.indrelid
                         where c.relnamespace::regnamespace::text like 'app\\_%' order by 1`),
    };
  });
}

async function expectSchemaBuilt() {
  const rows = await onNewDatabase(async (db) =>
    (
      await db.query(`select c.relrowsecurity, c.relforcerowsecurity
                        from pg_class c where c.oid = 'app_public.memberships'::regclass`)
    ).rows,
  );
  expect(rows).toEqual([{ relrowsecurity: true, relforcerowsecurity: true }]);
}

beforeAll(async () => {
  setup = await setupDatabase({
    rootUrl: rootUrl(),
    databaseName,
    ownerPassword: randomSecret(),
    authenticatorPassword: randomSecret(),
  });
});

afterAll(async () => {
  await dropDatabaseAndRoles(rootUrl(), databaseName);
});

describe("migrations", () => {
  let first: Awaited<ReturnType<typeof schemaFingerprint>>;

  it("start from a database with no application schema", async () => {
    expect(setup?.created).toBe(true);
    const schemas = await onNewDatabase(async (db) =>
      (await db.query("select nspname from pg_namespace where nspname like 'app\\_%'")).rows,
    );
    expect(schemas).toEqual([]);
  });

  it("apply from the empty database", async () => {
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    await expectSchemaBuilt();
    first = await schemaFingerprint();
    expect(first.schemas).toEqual(expect.arrayContaining(["app_hidden", "app_private", "app_public"]));
    expect(first.functions.length).toBeGreaterThan(0);
  });

  it("apply again over themselves without error (idempotent)", async () => {
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    await expectSchemaBuilt();
    expect(await schemaFingerprint()).toEqual(first);
  });

  it.each([1, 2])("graphile-migrate reset + migrate (round %i) rebuilds the same schema", async () => {
    await resetDatabase(setup!.ownerUrl, rootUrl());
    await expectSchemaBuilt();
    expect(await schemaFingerprint()).toEqual(first);
  });

  it("leave a database the API's roles can use: the authenticator logs in and sees nothing without a role", async () => {
    const client = new Client({ connectionString: setup!.authUrl });
    await client.connect();
    try {
      await expect(client.query("select * from app_public.memberships")).rejects.toMatchObject({ code: "42501" });
      const { rows } = await client.query("select app_hidden.session_is_valid(gen_random_uuid(), gen_random_uuid(), null, null, null, 'member') as ok");
      expect(rows).toEqual([{ ok: false }]);
    } finally {
      await client.end();
    }
  });
});
