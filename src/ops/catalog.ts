import type { ClientBase } from "pg";

/**
 * What the operator's tools know about the schema, read from the catalog at run time — never a
 * list in code — so a table added by a migration is exported, imported, offboarded, erased and
 * backed up with no code change.
 */
export const APP_SCHEMAS = ["app_public", "app_hidden", "app_private", "app_shared"] as const;
export const TENANT_ROOT = "app_public.gyms";

export interface TableInfo {
  /** Quoted, schema-qualified name, e.g. "app_public"."bookings". */
  ident: string;
  /** Display name, e.g. app_public.bookings. */
  name: string;
  columns: string[];
  /** Primary-key columns (for a stable order), else every column. */
  orderBy: string[];
  hasTenantId: boolean;
  /** Tables this one references (names), for load order. */
  references: string[];
  comment: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every ordinary table of our schemas owned by the current database owner, parents before children. */
export async function listTables(client: Pick<ClientBase, "query">, owner: string): Promise<TableInfo[]> {
  const { rows } = await client.query<{
    schema: string;
    table: string;
    columns: string[];
    pk: string[] | null;
    refs: string[] | null;
    comment: string | null;
  }>(
    `select n.nspname as schema, c.relname as table,
            array(select a.attname::text from pg_attribute a
                  where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
                  order by a.attnum) as columns,
            (select array_agg(a.attname::text order by k.ord)
               from pg_index i cross join unnest(i.indkey) with ordinality k(attnum, ord)
               join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
              where i.indrelid = c.oid and i.indisprimary) as pk,
            array(select distinct rn.nspname || '.' || rc.relname
                    from pg_constraint f join pg_class rc on rc.oid = f.confrelid
                    join pg_namespace rn on rn.oid = rc.relnamespace
                   where f.conrelid = c.oid and f.contype = 'f' and f.confrelid <> c.oid) as refs,
            obj_description(c.oid, 'pg_class') as comment
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = any($1) and c.relkind in ('r', 'p') and not c.relispartition
        and c.relowner = (select oid from pg_roles where rolname = $2)
      order by 1, 2`,
    [APP_SCHEMAS, owner],
  );
  const tables = rows.map((r) => ({
    ident: `${quote(r.schema)}.${quote(r.table)}`,
    name: `${r.schema}.${r.table}`,
    columns: r.columns,
    orderBy: r.pk && r.pk.length > 0 ? r.pk : r.columns,
    hasTenantId: r.columns.includes("tenant_id"),
    references: r.refs ?? [],
    comment: r.comment ?? "",
  }));
  return topological(tables);
}

/** Parents first (Kahn's algorithm on the foreign keys between the listed tables). */
function topological(tables: TableInfo[]): TableInfo[] {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableInfo[] = [];
  const visit = (t: TableInfo, path: Set<string>) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const ref of t.references) {
      const parent = byName.get(ref);
      if (parent) visit(parent, path);
    }
    path.delete(t.name);
    done.add(t.name);
    out.push(t);
  };
  for (const t of tables) visit(t, new Set());
  return out;
}

/**
 * Foreign keys whose rows point at nothing: every constraint of the given tables, checked by a
 * query (import and offboard run with triggers off or delete explicitly, so the database did
 * not check them). Returns "table.constraint" for each broken one. Only keys between tables of
 * one owner: the maintenance role may not read the shared role's tables.
 */
export async function brokenForeignKeys(client: Pick<ClientBase, "query">, tableNames: string[]): Promise<string[]> {
  const { rows } = await client.query<{ conname: string; child: string; parent: string; ccols: string[]; pcols: string[] }>(
    `select f.conname, f.conrelid::regclass::text as child, f.confrelid::regclass::text as parent,
            array(select a.attname::text from unnest(f.conkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.conrelid and a.attnum = k.n order by k.o) as ccols,
            array(select a.attname::text from unnest(f.confkey) with ordinality k(n, o) join pg_attribute a on a.attrelid = f.confrelid and a.attnum = k.n order by k.o) as pcols
       from pg_constraint f
       join pg_class child on child.oid = f.conrelid
       join pg_class parent on parent.oid = f.confrelid
      where f.contype = 'f' and (f.conrelid::regclass::text = any($1) or f.confrelid::regclass::text = any($1))
        -- The shared layer's boards (owned by the shared role) are derived data, cascaded by
        -- the database and rebuilt by the refresh that import, offboard and restore enqueue.
        and child.relowner = parent.relowner`,
    [tableNames],
  );
  const broken: string[] = [];
  for (const fk of rows) {
    const notNull = fk.ccols.map((c) => `c.${quote(c)} is not null`).join(" and ");
    const match = fk.ccols.map((c, i) => `p.${quote(fk.pcols[i]!)} = c.${quote(c)}`).join(" and ");
    const { rows: bad } = await client.query(
      `select 1 from ${fk.child} c where ${notNull} and not exists (select 1 from ${fk.parent} p where ${match}) limit 1`,
    );
    if (bad.length > 0) broken.push(`${fk.child}.${fk.conname}`);
  }
  return broken;
}

export { quote };
