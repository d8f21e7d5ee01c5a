/**
 * Read the application schemas out of pg_catalog into plain data: every table, column,
 * constraint, index, policy, grant, trigger, view, type and function of app_public,
 * app_hidden, app_private and app_shared. Catalog reads only (the owner may run it).
 *
 * Role names are returned as they are in the database; src/db/schema-dump.ts turns them into
 * placeholders. Nothing is ordered here by the server's collation: the renderer sorts in
 * code-point order so the output is the same on every server and locale.
 */
import type { ClientBase } from "pg";

export const DUMPED_SCHEMAS = ["app_hidden", "app_private", "app_public", "app_shared"] as const;

/** One privilege held by one grantee (`PUBLIC` for the pseudo-role 0). */
export interface Grant {
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface Column {
  name: string;
  type: string;
  notNull: boolean;
  default: string | null;
  identity: string;
  generated: string | null;
  comment: string | null;
  grants: Grant[];
}

export interface Constraint {
  name: string;
  type: string;
  definition: string;
  comment: string | null;
}

export interface Index {
  name: string;
  definition: string;
  comment: string | null;
}

export interface Policy {
  name: string;
  permissive: boolean;
  /** SELECT, INSERT, UPDATE, DELETE or ALL */
  command: string;
  /** Role names; `PUBLIC` when the policy has no TO list. */
  roles: string[];
  using: string | null;
  withCheck: string | null;
  comment: string | null;
}

export interface Trigger {
  name: string;
  definition: string;
  enabled: string;
  functionSignature: string;
  comment: string | null;
}

export interface Relation {
  schema: string;
  name: string;
  /** `schema.name` */
  qualified: string;
  /** table, partitioned table, view, materialized view, sequence */
  kind: "table" | "partitioned table" | "view" | "materialized view" | "sequence";
  owner: string;
  rowSecurity: boolean;
  forceRowSecurity: boolean;
  options: string[];
  comment: string | null;
  /** Table-wide privileges, the owner's own excluded. */
  grants: Grant[];
  /** The query of a view or materialized view. */
  viewDefinition: string | null;
  /** Row type name, as format_type prints it (for finding functions that take or return it). */
  rowType: string;
  columns: Column[];
  constraints: Constraint[];
  indexes: Index[];
  policies: Policy[];
  triggers: Trigger[];
}

export interface FunctionInfo {
  schema: string;
  name: string;
  /** `schema.name(identity args)` */
  signature: string;
  kind: "function" | "procedure" | "aggregate" | "window";
  definition: string;
  owner: string;
  securityDefiner: boolean;
  volatility: "immutable" | "stable" | "volatile";
  config: string[];
  /** Who may execute it, the owner excluded (default privileges made explicit). */
  grants: Grant[];
  comment: string | null;
  /** Argument and result types, as format_type prints them. */
  argumentTypes: string[];
  resultType: string;
  source: string;
}

export interface TypeInfo {
  schema: string;
  name: string;
  qualified: string;
  kind: "composite" | "enum" | "domain";
  owner: string;
  /** composite: `name type` per attribute; enum: labels; domain: base type, default, constraints */
  parts: string[];
  comment: string | null;
}

export interface SchemaInfo {
  name: string;
  owner: string;
  grants: Grant[];
  comment: string | null;
}

export interface DefaultAcl {
  role: string;
  schema: string | null;
  objectType: string;
  grants: Grant[];
}

export interface Catalog {
  schemas: SchemaInfo[];
  relations: Relation[];
  functions: FunctionInfo[];
  types: TypeInfo[];
  defaultAcls: DefaultAcl[];
}

type Queryable = Pick<ClientBase, "query">;

/** A subquery turning an aclitem[] (given as SQL) into a json array of {grantee, privilege, grantable}, owner excluded. */
function aclJson(acl: string, owner: string): string {
  return `coalesce((
    select json_agg(json_build_object(
             'grantee', case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end,
             'privilege', a.privilege_type,
             'grantable', a.is_grantable))
      from aclexplode(${acl}) a
     where a.grantee <> ${owner}), '[]'::json)`;
}

const KIND: Record<string, Relation["kind"]> = {
  r: "table",
  p: "partitioned table",
  v: "view",
  m: "materialized view",
  S: "sequence",
};

/**
 * Read the catalog in one read-only transaction of its own (pass a connection that is not
 * inside one, or say `inTransaction` to read within the caller's). Names are printed relative to a fixed search_path, so a developer's
 * `search_path` setting cannot change how objects are qualified.
 */
export async function readCatalog(client: Queryable, options: { inTransaction?: boolean } = {}): Promise<Catalog> {
  if (options.inTransaction) {
    // The caller's open transaction (e.g. a test's rolled-back change): only pin the path.
    await client.query("set local search_path = pg_catalog, public");
    return readCatalogIn(client);
  }
  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query("set local search_path = pg_catalog, public");
    return await readCatalogIn(client);
  } finally {
    await client.query("rollback");
  }
}

async function readCatalogIn(client: Queryable): Promise<Catalog> {
  const schemas = [...DUMPED_SCHEMAS];
  const q = async <T>(sql: string): Promise<T[]> => (await client.query(sql, [schemas])).rows as T[];

  const schemaRows = await q<SchemaInfo>(`
    select n.nspname as name, pg_get_userbyid(n.nspowner) as owner,
           ${aclJson("n.nspacl", "n.nspowner")} as grants,
           obj_description(n.oid, 'pg_namespace') as comment
      from pg_namespace n where n.nspname = any($1)`);

  const relationRows = await q<
    Omit<Relation, "columns" | "constraints" | "indexes" | "policies" | "triggers" | "kind"> & { oid: number; relkind: string }
  >(`
    select c.oid, c.relkind, n.nspname as schema, c.relname as name,
           format('%I.%I', n.nspname, c.relname) as qualified,
           pg_get_userbyid(c.relowner) as owner,
           c.relrowsecurity as "rowSecurity", c.relforcerowsecurity as "forceRowSecurity",
           coalesce(c.reloptions, '{}') as options,
           obj_description(c.oid, 'pg_class') as comment,
           ${aclJson("c.relacl", "c.relowner")} as grants,
           case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid, true) end as "viewDefinition",
           format_type(c.reltype, null) as "rowType"
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm', 'S')`);

  const columnRows = await q<Column & { relid: number; attnum: number }>(`
    select a.attrelid as relid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
           a.attnotnull as "notNull",
           case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end as default,
           a.attidentity::text as identity,
           case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end as generated,
           col_description(a.attrelid, a.attnum) as comment,
           ${aclJson("a.attacl", "c.relowner")} as grants,
           a.attnum
      from pg_attribute a
      join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
     where n.nspname = any($1) and c.relkind in ('r', 'p', 'v', 'm') and a.attnum > 0 and not a.attisdropped
     order by a.attrelid, a.attnum`);

  // contype 'n' (NOT NULL as a constraint, PostgreSQL 18) is shown on the column instead, as
  // PostgreSQL 15 has it; 't' (constraint triggers) are shown as triggers.
  const constraintRows = await q<Constraint & { relid: number }>(`
    select con.conrelid as relid, con.conname as name, con.contype::text as type,
           pg_get_constraintdef(con.oid) as definition,
           obj_description(con.oid, 'pg_constraint') as comment
      from pg_constraint con
      join pg_class c on c.oid = con.conrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1) and con.contype in ('p', 'u', 'f', 'c', 'x')`);

  const indexRows = await q<Index & { relid: number }>(`
    select i.indrelid as relid, ic.relname as name, pg_get_indexdef(i.indexrelid) as definition,
           obj_description(i.indexrelid, 'pg_class') as comment
      from pg_index i
      join pg_class ic on ic.oid = i.indexrelid
      join pg_namespace n on n.oid = ic.relnamespace
     where n.nspname = any($1)
       and not exists (select 1 from pg_constraint con where con.conindid = i.indexrelid and con.contype in ('p', 'u', 'x'))`);

  const policyRows = await q<Policy & { relid: number }>(`
    select p.polrelid as relid, p.polname as name, p.polpermissive as permissive,
           case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE'
                         when 'd' then 'DELETE' else 'ALL' end as command,
           array(select case when r = 0 then 'PUBLIC' else pg_get_userbyid(r) end from unnest(p.polroles) r)::text[] as roles,
           pg_get_expr(p.polqual, p.polrelid) as using,
           pg_get_expr(p.polwithcheck, p.polrelid) as "withCheck",
           obj_description(p.oid, 'pg_policy') as comment
      from pg_policy p
      join pg_class c on c.oid = p.polrelid
      join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = any($1)`);

  const triggerRows = await q<Trigger & { relid: number }>(`
    select t.tgrelid as relid, t.tgname as name, pg_get_triggerdef(t.oid) as definition,
           t.tgenabled::text as enabled,
           format('%I.%I(%s)', fn.nspname, f.proname, pg_get_function_identity_arguments(f.oid)) as "functionSignature",
           obj_description(t.oid, 'pg_trigger') as comment
      from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_proc f on f.oid = t.tgfoid
      join pg_namespace fn on fn.oid = f.pronamespace
     where n.nspname = any($1) and not t.tgisinternal`);

  const functions = await q<FunctionInfo>(`
    select n.nspname as schema, p.proname as name,
           format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as signature,
           case p.prokind when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window' else 'function' end as kind,
           case when p.prokind in ('f', 'p', 'w') then pg_get_functiondef(p.oid)
                else format('-- aggregate %s', p.oid::regprocedure) end as definition,
           pg_get_userbyid(p.proowner) as owner, p.prosecdef as "securityDefiner",
           case p.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end as volatility,
           coalesce(p.proconfig, '{}') as config,
           ${aclJson("coalesce(p.proacl, acldefault('f', p.proowner))", "p.proowner")} as grants,
           obj_description(p.oid, 'pg_proc') as comment,
           array(select format_type(t, null) from unnest(p.proargtypes) t)::text[] as "argumentTypes",
           format_type(p.prorettype, null) as "resultType",
           coalesce(p.prosrc, '') as source
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = any($1)`);

  const types = await q<TypeInfo>(`
    select n.nspname as schema, t.typname as name, format('%I.%I', n.nspname, t.typname) as qualified,
           case t.typtype when 'c' then 'composite' when 'e' then 'enum' else 'domain' end as kind,
           pg_get_userbyid(t.typowner) as owner,
           case t.typtype
             when 'c' then array(select format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
                                   from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0 and not a.attisdropped
                                  order by a.attnum)
             when 'e' then array(select quote_literal(e.enumlabel) from pg_enum e where e.enumtypid = t.oid order by e.enumsortorder)
             else array[format_type(t.typbasetype, t.typtypmod)]
                  || case when t.typnotnull then array['not null'] else '{}' end
                  || case when t.typdefault is not null then array['default ' || t.typdefault] else '{}' end
                  || array(select format('constraint %I %s', con.conname, pg_get_constraintdef(con.oid))
                             from pg_constraint con where con.contypid = t.oid and con.contype = 'c' order by con.conname)
           end::text[] as parts,
           obj_description(t.oid, 'pg_type') as comment
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
      left join pg_class c on c.oid = t.typrelid
     where n.nspname = any($1)
       and (t.typtype in ('e', 'd') or (t.typtype = 'c' and c.relkind = 'c'))`);

  // Default privileges of any role, in our schemas or database-wide (the migration owner's).
  const defaultAcls = await q<DefaultAcl>(`
    select pg_get_userbyid(d.defaclrole) as role, n.nspname as schema,
           case d.defaclobjtype when 'r' then 'tables' when 'S' then 'sequences' when 'f' then 'functions'
                                when 'T' then 'types' when 'n' then 'schemas' else d.defaclobjtype::text end as "objectType",
           ${aclJson("d.defaclacl", "d.defaclrole")} as grants
      from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
     where d.defaclnamespace = 0 or n.nspname = any($1)`);

  const byRelation = <T extends { relid: number }>(rows: T[]) => {
    const map = new Map<number, T[]>();
    for (const row of rows) {
      const list = map.get(row.relid) ?? [];
      list.push(row);
      map.set(row.relid, list);
    }
    return map;
  };
  const columns = byRelation(columnRows);
  const constraints = byRelation(constraintRows);
  const indexes = byRelation(indexRows);
  const policies = byRelation(policyRows);
  const triggers = byRelation(triggerRows);

  const relations: Relation[] = relationRows.map(({ oid, relkind, ...rel }) => ({
    ...rel,
    kind: KIND[relkind] ?? "table",
    columns: (columns.get(oid) ?? []).map(({ relid: _r, attnum: _a, ...c }) => c),
    constraints: (constraints.get(oid) ?? []).map(({ relid: _r, ...c }) => c),
    indexes: (indexes.get(oid) ?? []).map(({ relid: _r, ...i }) => i),
    policies: (policies.get(oid) ?? []).map(({ relid: _r, ...p }) => p),
    triggers: (triggers.get(oid) ?? []).map(({ relid: _r, ...t }) => t),
  }));

  return { schemas: schemaRows, relations, functions, types, defaultAcls };
}
