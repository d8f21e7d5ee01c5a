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
  return asRoot(async (db) =>
    (await db.query("select nspname from pg_namespace where nspname like 'app\\_%' order by 1")).rows.map((r) => r.nspname),
  );
}

async function appliedMigrations(): Promise<string[]> {
  return asRoot(async (db) =>
    (await db.query("select filename from graphile_migrate.migrations order by filename")).rows.map((r) => r.filename),
  );
}

/** The first half of the committed migration's `--! split:` sections, placeholders filled. */
function firstHalf(): { sql: string; count: number; total: number } {
  const file = readdirSync(path.join(MIGRATIONS_DIR, "committed"))
    .filter((f) => f.endsWith(".sql"))
    .sort()[0]!;
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
      asRoot(
        async (db) =>
          (await db.query<{ n: number }>("select count(*)::int as n from pg_tables where schemaname like 'app\\_%'")).rows[0]!.n,
      );
    const complete = await tableCount();
    await dropAppSchemasAndBookkeeping();
    const { sql, count, total } = firstHalf();
    await asOwner((db) => db.query(sql));
    // Really half-built: some tables exist, not all of them.
    const built = await tableCount();
    expect({ sections: `${count} of ${total}`, halfBuilt: built > 0 && built < complete }).toEqual({
      sections: `${count} of ${total}`,
      halfBuilt: true,
    });
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
      const files = readdirSync(path.join(folder, "committed"))
        .filter((f) => f.endsWith(".sql"))
        .sort();
      const previous = /^--! Hash: (\S+)$/m.exec(readFileSync(path.join(folder, "committed", files.at(-1)!), "utf8"))![1]!;
      const body = "create table app_public.half_done (id uuid primary key);\nselect 1 / 0;\n";
      const hash = `sha1:${createHash("sha1")
        .update(`${`${previous}\n${body.trim()}`.trim()}\n`)
        .digest("hex")}`;
      const next = String(files.length + 1).padStart(6, "0");
      writeFileSync(
        path.join(folder, "committed", `${next}-fails-half-way.sql`),
        `--! Previous: ${previous}\n--! Hash: ${hash}\n--! Message: fails half-way\n\n${body}`,
      );
      await expect(
        runGraphileMigrate("migrate", { ...migrateSettings(setup!.ownerUrl, rootUrl()), migrationsFolder: folder }),
      ).rejects.toThrow(/division by zero/);
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
      const { rows } = await client.query(
        "select app_hidden.session_is_valid(gen_random_uuid(), gen_random_uuid(), null, null, null, 'member') as ok",
      );
      expect(rows).toEqual([{ ok: false }]);
    });
  });
});

/**
 * The committed migration has one `--! split:` section per table holding its final state:
 * every statement that names a table (alter table, create policy, create index, create
 * trigger, grant/revoke … on, comment on table/column/constraint) is in the section that
 * creates it. Pure text: comments, quoted strings and dollar-quoted bodies are skipped.
 */
type Placement = { section: string; statement: string; table: string };

function statementsBySection(body: string): { section: string; statement: string }[] {
  const out: { section: string; statement: string }[] = [];
  for (const part of body.split(/^(?=--! split: )/m).filter((s) => s.startsWith("--! split: "))) {
    const section = /^--! split: (\S+)/.exec(part)![1]!;
    let code = "";
    for (let i = part.indexOf("\n") + 1; i < part.length; i++) {
      const rest = part.slice(i);
      if (rest.startsWith("--")) {
        const end = part.indexOf("\n", i);
        i = end < 0 ? part.length : end;
        code += " ";
        continue;
      }
      const quote = /^(\$[A-Za-z_]*\$|'|")/.exec(rest)?.[1];
      if (quote) {
        let end = part.indexOf(quote, i + quote.length);
        while (quote === "'" && part[end + 1] === "'") end = part.indexOf(quote, end + 2);
        code += quote === '"' ? part.slice(i, end + 1) : " '' ";
        i = end + quote.length - 1;
        continue;
      }
      if (part[i] === ";") {
        out.push({ section, statement: code.replace(/\s+/g, " ").trim().toLowerCase() });
        code = "";
        continue;
      }
      code += part[i];
    }
  }
  return out;
}

function misplaced(body: string): { tables: Map<string, string>; checked: number; wrong: Placement[] } {
  const statements = statementsBySection(body);
  const tables = new Map<string, string>();
  const name = String.raw`([a-z_]+\.[a-z_0-9]+)`;
  for (const { section, statement } of statements) {
    const created = new RegExp(String.raw`^create (?:unlogged )?table ${name}`).exec(statement)?.[1];
    if (created) {
      expect({ table: created, sections: [tables.get(created), section] }).toEqual({
        table: created,
        sections: [undefined, section],
      });
      tables.set(created, section);
    }
  }
  const naming = [
    String.raw`^alter table (?:if exists )?(?:only )?${name}`,
    String.raw`^create policy \S+ on ${name}`,
    String.raw`^create (?:unique )?index (?:\S+ )?on (?:only )?${name}`,
    String.raw`^create (?:constraint )?trigger \S+ (?:before|after|instead of) .*? on ${name} `,
    String.raw`^(?:grant|revoke) .*? on (?:table )?${name} (?:to|from) `,
    String.raw`^comment on (?:table|column) ${name}`,
    String.raw`^comment on constraint \S+ on ${name}`,
  ].map((r) => new RegExp(r));
  let checked = 0;
  const wrong: Placement[] = [];
  for (const { section, statement } of statements) {
    for (const pattern of naming) {
      const table = pattern.exec(statement)?.[1]?.replace(/^(\w+\.\w+)\.\w+$/, "$1");
      if (!table || !tables.has(table)) continue;
      checked++;
      if (tables.get(table) !== section) wrong.push({ section, statement: statement.slice(0, 120), table });
      break;
    }
  }
  return { tables, checked, wrong };
}

describe("the committed migration's layout", () => {
  const file = readdirSync(path.join(MIGRATIONS_DIR, "committed"))
    .filter((f) => f.endsWith(".sql"))
    .sort()[0]!;
  const body = readFileSync(path.join(MIGRATIONS_DIR, "committed", file), "utf8");

  it("one section per table: everything naming a table is in the section that creates it", () => {
    const { tables, checked, wrong } = misplaced(body);
    expect(tables.size).toBeGreaterThan(30);
    expect(tables.get("app_public.gyms")).toBe("200-gyms.sql");
    expect(checked).toBeGreaterThan(400);
    expect(wrong).toEqual([]);
  });

  it("names the role groups by placeholder (:GYM_ROLES, :VISITOR_ROLES), never spelled out", () => {
    const gymRoles = /":ROLE_MEMBER",\s*":ROLE_PERSONAL_TRAINER",\s*":ROLE_COACH",\s*":ROLE_GYM_ADMIN"/;
    expect(body.match(new RegExp(gymRoles, "g")) ?? []).toEqual([]);
    expect(body).toMatch(/to :GYM_ROLES\b/);
    expect(body).toMatch(/to :VISITOR_ROLES\b/);
  });

  it("the check finds a statement away from its table's section", () => {
    const moved = body.replace(
      /^(--! split: 1300-workouts\.sql\n)/m,
      '$1create policy gyms_x on app_public.gyms for select to ":ROLE_COACH" using (true);\n',
    );
    expect(moved).not.toBe(body);
    expect(misplaced(moved).wrong).toEqual([
      { section: "1300-workouts.sql", statement: expect.stringContaining("create policy gyms_x"), table: "app_public.gyms" },
    ]);
  });
});
