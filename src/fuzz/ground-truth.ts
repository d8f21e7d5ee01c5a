/**
 * Ground truth for the isolation fuzzer, read with a superuser connection (outside RLS):
 * every row gym B owns, every value that identifies it, and a checksum of all of it.
 * Nothing here is a hand-written list of tables: tenant tables are found in the catalog
 * (app_public tables with a tenant_id column), plus the tenant root (gyms) and the users
 * who belong to the gym.
 */

export type RootQuery = <T extends object = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;

export interface TableInfo {
  name: string;
  /** primary-key columns, in key order */
  pk: string[];
  columns: string[];
  /** how rows of a gym are selected: `tenant_id = $1`, `id = $1` (gyms), or via memberships (users) */
  scope: "tenant" | "root" | "members";
}

export interface GymTruth {
  gymId: string;
  slug: string;
  /** table → rows (as JSON objects) that belong to this gym */
  rows: Map<string, Record<string, unknown>[]>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMPISH = /^\d{4}-\d{2}-\d{2}([T ][\d:.+-]+Z?)?$/;

export async function discoverTables(rootQuery: RootQuery): Promise<TableInfo[]> {
  const rows = await rootQuery<{ name: string; columns: string[]; pk: string[] | null; comment: string | null }>(`
    select c.relname as name,
           array(select a.attname::text from pg_attribute a
                 where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped order by a.attnum) as columns,
           (select array_agg(a.attname::text order by k.ord)
              from pg_index i
              cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
              join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
             where i.indrelid = c.oid and i.indisprimary) as pk,
           obj_description(c.oid, 'pg_class') as comment
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'app_public' and c.relkind in ('r', 'p')
     order by c.relname`);
  const tables: TableInfo[] = [];
  for (const r of rows) {
    const pk = r.pk ?? [];
    if (r.columns.includes("tenant_id")) tables.push({ name: r.name, pk, columns: r.columns, scope: "tenant" });
    else if ((r.comment ?? "").includes("@tenantRoot")) tables.push({ name: r.name, pk, columns: r.columns, scope: "root" });
    else if (r.name === "users") tables.push({ name: r.name, pk, columns: r.columns, scope: "members" });
  }
  return tables;
}

function scopeSql(t: TableInfo): string {
  const q = `app_public.${quoteIdent(t.name)} t`;
  switch (t.scope) {
    case "tenant":
      return `from ${q} where t.tenant_id = $1`;
    case "root":
      return `from ${q} where t.id = $1`;
    case "members":
      return `from ${q} where t.id in (select m.user_id from app_public.memberships m where m.tenant_id = $1)`;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function gymTruth(rootQuery: RootQuery, tables: TableInfo[], slug: string): Promise<GymTruth> {
  const gym = (await rootQuery<{ id: string }>("select id from app_public.gyms where slug = $1", [slug]))[0];
  if (!gym) throw new Error(`no gym ${slug}`);
  const rows = new Map<string, Record<string, unknown>[]>();
  for (const t of tables) {
    const r = await rootQuery<{ row: Record<string, unknown> }>(`select to_jsonb(t) as row ${scopeSql(t)}`, [gym.id]);
    rows.set(
      t.name,
      r.map((x) => x.row),
    );
  }
  return { gymId: gym.id, slug, rows };
}

/** md5 of every row of the gym, per table: any write to gym B changes one of these. */
export async function gymChecksum(rootQuery: RootQuery, tables: TableInfo[], gymId: string): Promise<Record<string, string>> {
  const parts = tables.map(
    (t) =>
      `select ${literal(t.name)} as name, coalesce(md5(string_agg(t::text, '|' order by t::text)), 'empty') as sum ${scopeSql(t)}`,
  );
  const rows = await rootQuery<{ name: string; sum: string }>(parts.join(" union all "), [gymId]);
  return Object.fromEntries(rows.map((r) => [r.name, r.sum]));
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function collectStrings(value: unknown, out: Set<string>) {
  if (typeof value === "string") out.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectStrings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => collectStrings(v, out));
}

/**
 * Values that identify gym B and that nobody in gym A may legitimately see: every uuid, email
 * and distinctive string (6+ characters, not a timestamp) in B's rows, minus anything that also
 * occurs in A's rows (a person in both gyms, shared role names, …).
 */
export function forbiddenValues(b: GymTruth, a: GymTruth): Set<string> {
  const bValues = new Set<string>();
  const aValues = new Set<string>();
  for (const rows of b.rows.values()) collectStrings(rows, bValues);
  for (const rows of a.rows.values()) collectStrings(rows, aValues);
  const aList = [...aValues];
  const forbidden = new Set<string>();
  for (const v of bValues) {
    if (aValues.has(v)) continue;
    if (UUID.test(v)) {
      forbidden.add(v.toLowerCase());
      continue;
    }
    if (v.length < 6 || TIMESTAMPISH.test(v)) continue;
    // Written by the fuzzer itself (its own rows' display names etc.), possibly in both gyms.
    if (v.startsWith("fuzz-")) continue;
    if (aList.some((x) => x.includes(v))) continue;
    forbidden.add(v);
  }
  return forbidden;
}

export function isUuid(v: unknown): v is string {
  return typeof v === "string" && UUID.test(v);
}

export const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
export const pascal = (s: string) => camel(s).replace(/^./, (c) => c.toUpperCase());

/** memberships → Membership, classes → Class, categories → Category (PostGraphile's default inflection). */
export function singularTypeName(table: string): string {
  const s = table.endsWith("ies")
    ? `${table.slice(0, -3)}y`
    : /(ss|x|ch|sh)es$/.test(table)
      ? table.slice(0, -2)
      : table.endsWith("s") && !table.endsWith("ss")
        ? table.slice(0, -1)
        : table;
  return pascal(s);
}

/** PostGraphile V5's node id: base64(JSON.stringify([TypeName, ...primary key])). */
export function nodeIdFor(typeName: string, pkValues: unknown[]): string {
  return Buffer.from(JSON.stringify([typeName, ...pkValues]), "utf8").toString("base64");
}

/**
 * The cross-gym layer (app_shared) publishes a few fields of opted-in gyms and members on
 * purpose: directory cards, leaderboard lines. Those values are allowed in the answers of the
 * shared root fields only; everywhere else they still count as a leak. Returns the GraphQL
 * names of the shared root fields and every string they publish (read as a superuser).
 */
export async function publishedBySharedLayer(rootQuery: RootQuery): Promise<{ fields: Set<string>; values: Set<string> }> {
  const fns = await rootQuery<{ name: string }>(
    `select coalesce(substring(obj_description(p.oid, 'pg_proc') from '@name (\\w+)'), p.proname) as name
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = 'app_shared' and p.prokind = 'f'`,
  );
  const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
  const fields = new Set(fns.map((f) => camel(f.name)));
  const values = new Set<string>();
  const rows = [...(await rootQuery("select * from app_shared.gym_directory()"))];
  // One benchmark at a time: on Citus a lateral call of a coordinator-only function over a
  // (reference) table cannot be pushed down.
  for (const { slug } of await rootQuery<{ slug: string }>("select slug::text as slug from app_public.benchmarks")) {
    rows.push(
      ...(await rootQuery(
        `select * from app_shared.network_leaderboard($1, true, false)
         union all select * from app_shared.network_leaderboard($1, false, false)
         union all select * from app_shared.network_leaderboard($1, true, true)
         union all select * from app_shared.network_leaderboard($1, false, true)`,
        [slug],
      )),
    );
  }
  for (const row of rows) collectStrings(row, values);
  return { fields, values };
}
