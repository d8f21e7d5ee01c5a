import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { readCatalog } from "../src/db/schema-catalog";
import { ACCESS_DIR, DUMP_COMMAND, generateSchemaFiles, renderSchemaFiles, SCHEMA_FILE } from "../src/db/schema-dump";
import { formatStale, REPO_ROOT, staleSchemaFiles, writeSchemaFiles } from "../src/db/schema-files";
import { testDb, withRootDb } from "./support/db";

/**
 * migrations/schema.sql and docs/access/ are generated from the catalog (`npm run db:dump`).
 * Here they are generated again from this run's own migrated database — on the embedded
 * PostgreSQL 18 and on PostgreSQL 15 alike, under other role names than db:dump used — and
 * must match the committed files byte for byte.
 */

async function generateFromTestDatabase(): Promise<Map<string, string>> {
  const client = new Client({ connectionString: testDb().ownerUrl });
  await client.connect();
  try {
    return await generateSchemaFiles(client, testDb().roles);
  } finally {
    await client.end();
  }
}

let generated: Map<string, string>;
beforeAll(async () => {
  generated = await generateFromTestDatabase();
});

describe(`the generated schema files (${SCHEMA_FILE}, ${ACCESS_DIR}/)`, () => {
  it(`are up to date with the migrations (else run \`${DUMP_COMMAND}\`)`, () => {
    const stale = staleSchemaFiles(generated);
    if (stale.length) throw new Error(formatStale(stale));
  });

  it("name roles only by placeholder, never by this database's role names", () => {
    const { roles } = testDb();
    const names = [
      roles.owner,
      roles.authenticator,
      roles.system,
      roles.shared,
      roles.maintenance,
      ...Object.values(roles.visitor),
    ];
    for (const [file, text] of generated) {
      for (const name of names) expect({ file, mentions: text.includes(name) ? name : null }).toEqual({ file, mentions: null });
      // A role the renderer has no placeholder for (e.g. one added to roles.sql later) is named as unknown.
      expect({ file, unknown: /<unknown role [^>]*>/.exec(text)?.[0] ?? null }).toEqual({ file, unknown: null });
    }
    expect(generated.get(SCHEMA_FILE)).toContain('to ":ROLE_GYM_ADMIN"');
  });

  it("answer “who can update payments?” on one page: grants, policies and column grants", () => {
    const page = generated.get(`${ACCESS_DIR}/app_public.payments.md`) ?? "";
    expect(page).toMatch(
      /\| gym_admin \|[^\n]*\| columns `membership_plan_id`[^|]*rows of `payments_update_admin`, within `payments_tenant` \|/,
    );
    expect(page).toContain("### payments_tenant");
    expect(generated.get(`${ACCESS_DIR}/README.md`)).toMatch(
      /\[app_public\.payments\]\(app_public\.payments\.md\)[^\n]*\| gym_admin \| gym_admin \|$/m,
    );
  });

  it("follow the catalog: a new policy, grant and function show up in the dump and on the table's page", async () => {
    const { roles } = testDb();
    const files = await withRootDb(async (db) => {
      await db.query(`create policy payments_probe on app_public.payments for update to "${roles.visitor.coach}"
                        using (tenant_id = app_hidden.current_tenant_id())`);
      await db.query(`grant update (status) on app_public.payments to "${roles.visitor.coach}"`);
      await db.query(`create function app_private.probe_payments() returns bigint language sql stable
                        as $$ select count(*) from app_public.payments $$`);
      return renderSchemaFiles(await readCatalog(db, { inTransaction: true }), roles);
    });
    const sql = files.get(SCHEMA_FILE) ?? "";
    expect(sql).toContain('create policy payments_probe on app_public.payments as permissive for update\n  to ":ROLE_COACH"');
    expect(sql).toContain('grant update (status) on app_public.payments to ":ROLE_COACH";');
    const page = files.get(`${ACCESS_DIR}/app_public.payments.md`) ?? "";
    expect(page).toMatch(/\| coach \|[^\n]*columns `status`; rows of `payments_probe`, within `payments_tenant` \| — \|$/m);
    expect(page).toContain("| `app_private.probe_payments()` | its body names it | caller, stable | PUBLIC |");
    expect(staleSchemaFiles(files).map((s) => s.path)).toEqual([
      SCHEMA_FILE,
      `${ACCESS_DIR}/README.md`,
      `${ACCESS_DIR}/app_public.payments.md`,
    ]);
  });
});

describe("the staleness check", () => {
  it("reports a changed, a missing and a left-over file, with the first differing line and the command to run", () => {
    const root = mkdtempSync(path.join(tmpdir(), "ironclad-dump-"));
    mkdirSync(path.join(root, "migrations"));
    mkdirSync(path.join(root, ACCESS_DIR), { recursive: true });
    const files = new Map([
      [SCHEMA_FILE, "create table a ();\ncreate table b ();\n"],
      [`${ACCESS_DIR}/README.md`, "# index\n"],
    ]);
    writeSchemaFiles(files, root);
    expect(staleSchemaFiles(files, root)).toEqual([]);

    writeFileSync(path.join(root, SCHEMA_FILE), "create table a ();\ncreate table c ();\n");
    writeFileSync(path.join(root, ACCESS_DIR, "app_public.gone.md"), "# gone\n");
    const withPage = new Map([...files, [`${ACCESS_DIR}/app_public.new.md`, "# new\n"]]);
    const stale = staleSchemaFiles(withPage, root);
    expect(stale).toEqual([
      {
        path: SCHEMA_FILE,
        problem: "differs",
        line: { number: 2, committed: "create table c ();", generated: "create table b ();" },
      },
      { path: `${ACCESS_DIR}/app_public.new.md`, problem: "missing" },
      { path: `${ACCESS_DIR}/app_public.gone.md`, problem: "no longer generated" },
    ]);
    expect(formatStale(stale)).toContain(`Run \`${DUMP_COMMAND}\``);

    writeSchemaFiles(withPage, root); // db:dump removes pages of tables that are gone
    expect(staleSchemaFiles(withPage, root)).toEqual([]);
    expect(readFileSync(path.join(root, SCHEMA_FILE), "utf8")).toBe(files.get(SCHEMA_FILE));
  });

  it("reads the committed files from the repository root", () => {
    expect(readFileSync(path.join(REPO_ROOT, SCHEMA_FILE), "utf8")).toMatch(/^-- The current state of the Ironclad schema/);
  });
});
