import { createHash, randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { migrateDatabase, migrateSettings, resetDatabase, runGraphileMigrate } from "../src/db/migrate";
import { fillPlaceholders, MIGRATIONS_DIR, placeholdersFor } from "../src/db/roles";
import { generateSchemaFiles } from "../src/db/schema-dump";
import { randomSecret } from "../src/db/secrets";
import { dropDatabaseAndRoles, setupDatabase, type SetupResult } from "../src/db/setup";
import { withDatabase } from "../src/db/urls";
import { testDb } from "./support/db";
import { withClient } from "../src/db/with-client";

/**
 * The migrations build the whole schema from an empty database, and whatever state a
 * database is left in — up to date, interrupted before or in the middle of a migration,
 * bookkeeping lost, a later migration failing half-way, reset — running them again ends in
 * exactly the same schema. "The same" is the whole generated dump (src/db/schema-dump.ts:
 * every table, column, constraint, index, policy, grant, trigger, function and comment), not
 * a sample. Runs on its own database (and roles) on the test server, dropped at the end.
 */

jest.setTimeout(180_000);

const databaseName = `ironclad_mig_${randomBytes(6).toString("hex")}`;
let setup: SetupResult | undefined;

const rootUrl = () => testDb().serverRootUrl;

/** As a superuser, on the migrations' database. */
const asRoot = <T>(fn: (client: Client) => Promise<T>) => withClient(withDatabase(rootUrl(), databaseName), fn);
/** As the owner, the way graphile-migrate runs migrations. */
const asOwner = <T>(fn: (client: Client) => Promise<T>) => withClient(setup!.ownerUrl, fn);

/** What the migrations built: the generated schema dump, every file of it. */
async function schemaDump(): Promise<Map<string, string>> {
  return asOwner((client) => generateSchemaFiles(client, setup!.roles));
}

async function appSchemas(): Promise<string[]> {
  return asRoot(async (db) => (await db.query("select nspname from pg_namespace where nspname like 'app\\_%' order by 1")).rows.map((r) => r.nspname));
}

async function appliedMigrations(): Promise<string[]> {
  return asRoot(async (db) => (await db.query("select filename from graphile_migrate.migrations order by filename")).rows.map((r) => r.filename));
}

/** The first half of the committed migration's `--! split:` sections, placeholders filled. */
function firstHalf(): { sql: string; count: number; total: number } {
  const file = readdirSync(path.join(MIGRATIONS_DIR, "committed")).filter((f) => f.endsWith(".sql")).sort()[0]!;
  const body = readFileSync(path.join(MIGRATIONS_DIR, "committed", file), "utf8");
  const sections = body.split(/^(?=--! split: )/m).filter((s) => s.startsWith("--! split: "));
  const chosen = sections.slice(0, Math.floor(sections.length / 2));
  const values = { ...placeholdersFor(setup!.roles), ":DATABASE_OWNER": setup!.roles.owner, ":DATABASE_NAME": databaseName };
  return { sql: fillPlaceholders(chosen.join("\n"), values), count: chosen.length, total: sections.length };
}

/** Wipe what graphile-migrate built (the app schemas and its bookkeeping), keeping graphile_worker. */
async function dropAppSchemasAndBookkeeping() {
  await asRoot((db) =>
    db.query(`drop schema if exists app_public, app_hidden, app_private, app_shared, graphile_migrate cascade`),
  );
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
  let first: Map<string, string>;
  const expectSameSchema = async () => {
    const now = await schemaDump();
    // Compare file by file so a failure names the table page that differs.
    expect([...now.keys()]).toEqual([...first.keys()]);
    for (const [file, text] of now) expect({ file, text }).toEqual({ file, text: first.get(file) });
  };

  it("start from a database with no application schema", async () => {
    expect(setup?.created).toBe(true);
    expect(await appSchemas()).toEqual([]);
  });

  it("apply from the empty database", async () => {
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    expect(await appSchemas()).toEqual(["app_hidden", "app_private", "app_public", "app_shared"]);
    first = await schemaDump();
    expect(first.get("migrations/schema.sql")).toContain("alter table app_public.memberships force row level security;");
  });

  it("run again on an up-to-date database: nothing to apply, same schema", async () => {
    const before = await appliedMigrations();
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    expect(await appliedMigrations()).toEqual(before);
    await expectSameSchema();
  });

  it("interrupted before graphile-migrate ran (graphile_worker's schema only): migrate builds the same schema", async () => {
    await dropAppSchemasAndBookkeeping();
    expect(await appSchemas()).toEqual([]);
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    await expectSameSchema();
  });

  it("half of the first migration already applied, no bookkeeping: migrate builds the same schema", async () => {
    const tableCount = () =>
      asRoot(async (db) => (await db.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname like 'app\\_%'")).rows[0]!.n);
    const complete = await tableCount();
    await dropAppSchemasAndBookkeeping();
    const { sql, count, total } = firstHalf();
    await asOwner((db) => db.query(sql));
    // Really half-built: some tables exist, not all of them.
    const built = await tableCount();
    expect({ sections: `${count} of ${total}`, halfBuilt: built > 0 && built < complete }).toEqual({ sections: `${count} of ${total}`, halfBuilt: true });
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    await expectSameSchema();
  });

  it("bookkeeping lost over a complete schema: migrate re-applies and builds the same schema", async () => {
    await asRoot((db) => db.query("drop schema graphile_migrate cascade"));
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    expect((await appliedMigrations()).length).toBeGreaterThan(0);
    await expectSameSchema();
  });

  it("a later migration that fails half-way leaves no trace: the schema and the bookkeeping are unchanged", async () => {
    const applied = await appliedMigrations();
    // A copy of the migrations folder with one more committed migration, chained and hashed
    // the way graphile-migrate does, that creates a table and then fails.
    const folder = mkdtempSync(path.join(tmpdir(), "ironclad-migrations-"));
    try {
      cpSync(path.join(MIGRATIONS_DIR, "committed"), path.join(folder, "committed"), { recursive: true });
      const files = readdirSync(path.join(folder, "committed")).filter((f) => f.endsWith(".sql")).sort();
      const previous = /^--! Hash: (\S+)$/m.exec(readFileSync(path.join(folder, "committed", files.at(-1)!), "utf8"))![1]!;
      const body = "create table app_public.half_done (id uuid primary key);\nselect 1 / 0;\n";
      const hash = `sha1:${createHash("sha1").update(`${`${previous}\n${body.trim()}`.trim()}\n`).digest("hex")}`;
      const next = String(files.length + 1).padStart(6, "0");
      writeFileSync(
        path.join(folder, "committed", `${next}-fails-half-way.sql`),
        `--! Previous: ${previous}\n--! Hash: ${hash}\n--! Message: fails half-way\n\n${body}`,
      );
      await expect(runGraphileMigrate("migrate", { ...migrateSettings(setup!.ownerUrl, rootUrl()), migrationsFolder: folder })).rejects.toThrow(/division by zero/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    expect(await appliedMigrations()).toEqual(applied);
    await expectSameSchema();
    await migrateDatabase(setup!.ownerUrl, rootUrl());
    await expectSameSchema();
  });

  it.each([1, 2])("graphile-migrate reset + migrate (round %i) rebuilds the same schema", async () => {
    await resetDatabase(setup!.ownerUrl, rootUrl());
    await expectSameSchema();
  });

  it("leave a database the API's roles can use: the authenticator logs in and sees nothing without a role", async () => {
    await withClient(setup!.authUrl, async (client) => {
      await expect(client.query("select * from app_public.memberships")).rejects.toMatchObject({ code: "42501" });
      const { rows } = await client.query("select app_hidden.session_is_valid(gen_random_uuid(), gen_random_uuid(), null, null, null, 'member') as ok");
      expect(rows).toEqual([{ ok: false }]);
    });
  });
});
