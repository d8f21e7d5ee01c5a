import { createHash, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Client } from "pg";
import type { RoleNames } from "../db/roles";
import { brokenForeignKeys, listTables, quote, TENANT_ROOT, type TableInfo } from "./catalog";

/**
 * Tenant lifecycle for the platform operator (CLI: src/cli/gym.ts). Every function runs on an
 * OWNER connection and becomes the maintenance role (NOLOGIN, BYPASSRLS, granted to the owner
 * only; see migrations/roles.sql) inside one transaction, so it sees every gym's rows although
 * RLS is forced. Tables come from the catalog (src/ops/catalog.ts).
 *
 * Bundle format (export DIR): one `<schema>.<table>.jsonl` per table (one JSON object per row,
 * Postgres' canonical jsonb text, rows in primary-key order) plus `manifest.json` with the gym,
 * the migration hash, row counts and the SHA-256 of every file, and a checksum of them all.
 * Ids are kept: an import recreates the gym with the same ids (so export → offboard → import →
 * export is byte-identical), and is refused while a gym with that id or slug exists.
 * People (app_public.users rows of the gym's members) travel with the bundle, never their
 * credentials or sessions: an imported person who is new to this database logs in after a
 * password reset.
 */
export const USERS = "app_public.users";
/** Tables never exported (credentials, sessions, the operator's own audit trail). */
const PRIVATE_TO_THE_PLATFORM = /(^|\s)@notExported\b/;

export interface Manifest {
  format: "ironclad-gym-export/1";
  gym: { id: string; slug: string };
  migrationHash: string | null;
  tables: Record<string, { rows: number; sha256: string }>;
  checksum: string;
}

async function asMaintenance<T>(client: Client, roles: RoleNames, fn: () => Promise<T>, readOnly = false): Promise<T> {
  await client.query(readOnly ? "begin isolation level repeatable read read only" : "begin");
  try {
    await client.query(`set local role ${quote(roles.maintenance)}`);
    await client.query("set local search_path = pg_catalog");
    const result = await fn();
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

async function gymBySlug(client: Client, slug: string): Promise<{ id: string; slug: string }> {
  const { rows } = await client.query<{ id: string; slug: string }>(`select id, slug::text from ${TENANT_ROOT} where slug = $1`, [
    slug,
  ]);
  if (!rows[0]) throw new Error(`no gym with slug ${JSON.stringify(slug)}`);
  return rows[0];
}

/** The rows of `table` that belong to the gym, as canonical jsonb text lines. */
async function gymRows(client: Client, table: TableInfo, gymId: string): Promise<string[]> {
  const order = table.orderBy.map(quote).join(", ");
  let where: string;
  if (table.name === TENANT_ROOT) where = "t.id = $1";
  else if (table.name === USERS) where = "t.id in (select m.user_id from app_public.memberships m where m.tenant_id = $1)";
  else where = "t.tenant_id = $1";
  const { rows } = await client.query<{ row: string }>(
    `select to_jsonb(t)::text as row from ${table.ident} t where ${where} order by ${order}`,
    [gymId],
  );
  return rows.map((r) => r.row);
}

function exportedTables(tables: TableInfo[]): TableInfo[] {
  return tables.filter(
    (t) => (t.hasTenantId || t.name === TENANT_ROOT || t.name === USERS) && !PRIVATE_TO_THE_PLATFORM.test(t.comment),
  );
}

export async function exportGym(
  client: Client,
  roles: RoleNames,
  slug: string,
  dir: string,
  migrationHash: string | null,
): Promise<Manifest> {
  const { gym, files } = await asMaintenance(
    client,
    roles,
    async () => {
      const gym = await gymBySlug(client, slug);
      const files: [string, string[]][] = [];
      for (const table of exportedTables(await listTables(client, roles.owner)))
        files.push([table.name, await gymRows(client, table, gym.id)]);
      return { gym, files };
    },
    true,
  );
  await mkdir(dir, { recursive: true });
  const tables: Manifest["tables"] = {};
  for (const [name, lines] of files) {
    const text = lines.map((l) => `${l}\n`).join("");
    await writeFile(path.join(dir, `${name}.jsonl`), text);
    tables[name] = { rows: lines.length, sha256: sha256(text) };
  }
  const checksum = sha256(
    Object.entries(tables)
      .map(([n, t]) => `${n} ${t.rows} ${t.sha256}\n`)
      .join(""),
  );
  const manifest: Manifest = { format: "ironclad-gym-export/1", gym, migrationHash, tables, checksum };
  await writeFile(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

export async function readBundle(dir: string): Promise<{ manifest: Manifest; rows: Map<string, string[]> }> {
  const manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8")) as Manifest;
  if (manifest.format !== "ironclad-gym-export/1") throw new Error(`${dir} is not an Ironclad gym export`);
  const rows = new Map<string, string[]>();
  for (const [name, info] of Object.entries(manifest.tables)) {
    if (!/^[a-z_]+\.[a-z0-9_]+$/.test(name)) throw new Error(`bad table name in manifest: ${name}`);
    const text = await readFile(path.join(dir, `${name}.jsonl`), "utf8");
    if (sha256(text) !== info.sha256) throw new Error(`${name}.jsonl does not match its checksum in the manifest`);
    const lines = text.split("\n").filter(Boolean);
    if (lines.length !== info.rows) throw new Error(`${name}.jsonl has ${lines.length} rows, the manifest says ${info.rows}`);
    rows.set(name, lines);
  }
  return { manifest, rows };
}

/** Load a bundle as a gym (same ids). Refused if the gym exists, a table is unknown, or any reference breaks. */
export async function importGym(client: Client, roles: RoleNames, dir: string, migrationHash: string | null): Promise<Manifest> {
  const { manifest, rows } = await readBundle(dir);
  if (manifest.migrationHash !== migrationHash) {
    throw new Error(`the bundle was exported from schema ${manifest.migrationHash}; this database is at ${migrationHash}`);
  }
  const gymId = manifest.gym.id;
  await asMaintenance(client, roles, async () => {
    // Only what an export can contain: a tampered bundle must not carry rows into credential or
    // platform tables (platform_owners, user_secrets, sessions …) however its checksum reads.
    const tables = exportedTables(await listTables(client, roles.owner));
    const known = new Set(tables.map((t) => t.name));
    for (const name of rows.keys())
      if (!known.has(name)) throw new Error(`the bundle has a table an export never contains: ${name}`);
    const existing = await client.query(`select 1 from ${TENANT_ROOT} where id = $1 or slug = $2`, [gymId, manifest.gym.slug]);
    if (existing.rowCount) throw new Error(`a gym with id ${gymId} or slug ${manifest.gym.slug} already exists`);
    // Triggers off: rows arrive exactly as exported (a membership's trigger would add a profile
    // the bundle already has). Every reference is checked below instead.
    await client.query("set local session_replication_role = replica");
    for (const table of tables) {
      const lines = rows.get(table.name);
      if (!lines || lines.length === 0) continue;
      const objects = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      if (table.hasTenantId && objects.some((o) => o.tenant_id !== gymId))
        throw new Error(`${table.name}: a row belongs to another gym`);
      if (table.name === TENANT_ROOT && objects.some((o) => o.id !== gymId))
        throw new Error("the bundle's gym row does not match its manifest");
      const cols = table.columns.map(quote).join(", ");
      const conflict = table.name === USERS ? " on conflict (id) do nothing" : "";
      if (table.name === USERS) {
        // A person already here (same id) is the same person; the same email under another id is not.
        const clash = await client.query(
          `select 1 from jsonb_populate_recordset(null::${table.ident}, $1::jsonb) b join ${table.ident} u on u.email = b.email and u.id <> b.id`,
          [JSON.stringify(objects)],
        );
        if (clash.rowCount) throw new Error("a person in the bundle has the email of another person in this database");
      }
      await client.query(
        `insert into ${table.ident} (${cols}) overriding system value
         select ${cols} from jsonb_populate_recordset(null::${table.ident}, $1::jsonb)${conflict}`,
        [JSON.stringify(objects)],
      );
    }
    const broken = await brokenForeignKeys(client, [...rows.keys()]);
    if (broken.length > 0) throw new Error(`the bundle's rows break references: ${broken.join(", ")}`);
  });
  await refreshSharedViews(client);
  return manifest;
}

/** Refresh the cross-gym layer (leaderboards, directory) through the worker's job, as the owner. */
async function refreshSharedViews(client: Client) {
  await client.query("select graphile_worker.add_job('refresh_leaderboards', '{}'::json, job_key := 'refresh_leaderboards')");
}

export async function suspendGym(client: Client, roles: RoleNames, slug: string, suspended = true): Promise<void> {
  await asMaintenance(client, roles, async () => {
    await gymBySlug(client, slug);
    await client.query(`update ${TENANT_ROOT} set suspended_at = ${suspended ? "now()" : "null"} where slug = $1`, [slug]);
  });
}

/** Rows left anywhere for this tenant (catalog-driven): table → count, only non-zero. */
export async function rowsOfTenant(client: Client, roles: RoleNames, gymId: string): Promise<Record<string, number>> {
  return asMaintenance(
    client,
    roles,
    async () => {
      const left: Record<string, number> = {};
      for (const t of await listTables(client, roles.owner)) {
        const where = t.name === TENANT_ROOT ? "id = $1" : t.hasTenantId ? "tenant_id = $1" : null;
        if (!where) continue;
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${t.ident} where ${where}`, [gymId]);
        if (rows[0]!.n > 0) left[t.name] = rows[0]!.n;
      }
      return left;
    },
    true,
  );
}

/**
 * Suspend (committed first: logins refused with IC040, sessions end), then delete every row of
 * every tenant table (children first), the gym, and the people left with no gym and no platform
 * role. Verifies that zero rows remain and no reference dangles, or rolls the deletion back.
 */
export async function offboardGym(
  client: Client,
  roles: RoleNames,
  slug: string,
): Promise<{ gymId: string; deleted: Record<string, number> }> {
  await suspendGym(client, roles, slug);
  const result = await asMaintenance(client, roles, async () => {
    const gym = await gymBySlug(client, slug);
    const tables = await listTables(client, roles.owner);
    const deleted: Record<string, number> = {};
    const people = (
      await client.query<{ user_id: string }>("select distinct user_id from app_public.memberships where tenant_id = $1", [
        gym.id,
      ])
    ).rows.map((r) => r.user_id);
    for (const t of [...tables].reverse().filter((t) => t.hasTenantId)) {
      const { rowCount } = await client.query(`delete from ${t.ident} where tenant_id = $1`, [gym.id]);
      if (rowCount) deleted[t.name] = rowCount;
    }
    await client.query(`delete from ${TENANT_ROOT} where id = $1`, [gym.id]);
    deleted[TENANT_ROOT] = 1;
    // People whose only gym this was: nothing ties them to the platform any more.
    const { rowCount } = await client.query(
      `delete from app_public.users u where u.id = any($1::uuid[])
         and not exists (select 1 from app_public.memberships m where m.user_id = u.id)
         and not exists (select 1 from app_private.platform_owners p where p.user_id = u.id)`,
      [people],
    );
    if (rowCount) deleted[USERS] = rowCount;
    const broken = await brokenForeignKeys(
      client,
      tables.map((t) => t.name),
    );
    if (broken.length > 0) throw new Error(`offboarding would leave dangling references: ${broken.join(", ")}`);
    return { gymId: gym.id, deleted };
  });
  const left = await rowsOfTenant(client, roles, result.gymId);
  if (Object.keys(left).length > 0) throw new Error(`rows remain for the gym: ${JSON.stringify(left)}`);
  await refreshSharedViews(client);
  return result;
}

/**
 * Right to erasure. In every gym: rows that reference the person (their user id or one of their
 * memberships) are deleted, except in tables whose comment carries `@retainOnErasure` (payments:
 * a gym must keep its accounting), which keep their rows while the person behind them becomes
 * anonymous: the users row is renamed ("Erased person", an unroutable email), disabled, and
 * their credentials and sessions deleted. Memberships a retained row still needs are kept (as
 * the anonymous person's); the others are deleted.
 */
export async function erasePerson(
  client: Client,
  roles: RoleNames,
  email: string,
): Promise<{ userId: string; deleted: Record<string, number> }> {
  const result = await asMaintenance(client, roles, async () => {
    const { rows } = await client.query<{ id: string }>("select id from app_public.users where lower(email::text) = lower($1)", [
      email,
    ]);
    if (!rows[0]) throw new Error(`no person with email ${JSON.stringify(email)}`);
    const userId = rows[0].id;
    const tables = await listTables(client, roles.owner);
    const retained = new Set(tables.filter((t) => /(^|\s)@retainOnErasure\b/.test(t.comment)).map((t) => t.name));
    const { rows: fks } = await client.query<{ child: string; parent: string; ccols: string[]; pcols: string[] }>(
      `select f.conrelid::regclass::text as child, f.confrelid::regclass::text as parent,
              array(select a.attname::text from unnest(f.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n order by k.o) as ccols,
              array(select a.attname::text from unnest(f.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n order by k.o) as pcols
         from pg_constraint f
        where f.contype = 'f' and f.confrelid::regclass::text in ('app_public.users', 'app_public.memberships')
          and f.conrelid::regclass::text not in ('app_public.memberships')`,
    );
    const deleted: Record<string, number> = {};
    const memberships = "(select m.tenant_id, m.id, m.user_id from app_public.memberships m where m.user_id = $1)";
    for (const fk of fks) {
      if (retained.has(fk.child)) continue;
      const parent = fk.parent === "app_public.users" ? "(select $1::uuid as id)" : memberships;
      const match = fk.ccols.map((c, i) => `c.${quote(c)} = p.${quote(fk.pcols[i]!)}`).join(" and ");
      const { rowCount } = await client.query(`delete from ${fk.child} c using ${parent} p where ${match}`, [userId]);
      if (rowCount) deleted[fk.child] = (deleted[fk.child] ?? 0) + rowCount;
    }
    // Memberships no retained row needs go; the rest stay, pointing at an anonymous person.
    const keep = fks.filter((fk) => retained.has(fk.child) && fk.parent === "app_public.memberships");
    const needed = keep.map(
      (fk) =>
        `exists (select 1 from ${fk.child} c where ${fk.ccols.map((c, i) => `c.${quote(c)} = m.${quote(fk.pcols[i]!)}`).join(" and ")})`,
    );
    const { rowCount } = await client.query(
      `delete from app_public.memberships m where m.user_id = $1${needed.length ? ` and not (${needed.join(" or ")})` : ""}`,
      [userId],
    );
    if (rowCount) deleted["app_public.memberships"] = rowCount;
    await client.query(
      `update app_public.users set email = $2, display_name = 'Erased person', is_disabled = true where id = $1`,
      [userId, `erased-${randomUUID()}@erased.invalid`],
    );
    return { userId, deleted };
  });
  await refreshSharedViews(client);
  return result;
}
