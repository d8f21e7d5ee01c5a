/**
 * SQL fragments several rules share. Each is a complete SELECT usable as a CTE body.
 */

/** Plain and partitioned tables in the exposed schemas: oid, name ("schema.table"). */
export const EXPOSED_TABLES = `
  select c.oid, format('%I.%I', n.nspname, c.relname) as name
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname = any(:exposed)`;

/** Same, in every checked schema (exposed and internal). */
export const ALL_TABLES = `
  select c.oid, format('%I.%I', n.nspname, c.relname) as name
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname = any(:schemas)`;

/** Tenant-scoped tables: exposed tables with a tenant_id column (tenant_attnum is its attnum). */
export const TENANT_TABLES = `
  select c.oid, format('%I.%I', n.nspname, c.relname) as name,
         a.attnum as tenant_attnum, a.attnotnull as tenant_not_null
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
  where c.relkind in ('r', 'p') and n.nspname = any(:exposed)`;

/**
 * Policies on tables in every checked schema, with their expressions as text and a label
 * ("schema.table policy name"). polcmd: r select, a insert, w update, d delete, * all.
 */
export const ALL_POLICIES = `
  select p.oid, p.polrelid, p.polname, p.polcmd, p.polpermissive, p.polroles,
         p.polqual, p.polwithcheck,
         pg_get_expr(p.polqual, p.polrelid) as using_expr,
         pg_get_expr(p.polwithcheck, p.polrelid) as check_expr,
         format('%I.%I policy %I', n.nspname, c.relname, p.polname) as label,
         n.nspname = any(:exposed) as exposed
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace
  where n.nspname = any(:schemas)`;

/** Functions and procedures in every checked schema, with a label "schema.name(args)". */
export const ALL_FUNCTIONS = `
  select p.oid, n.nspname as schema, p.proname, p.prosecdef, p.proconfig, p.provolatile, p.proowner, p.prolang, p.proacl,
         format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as label,
         coalesce(obj_description(p.oid, 'pg_proc'), '') as comment
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  where n.nspname = any(:schemas) and p.prokind in ('f', 'p')`;

/** Does the policy (a row of ALL_POLICIES aliased pol) apply to the role whose oid is `role`? */
export function policyAppliesTo(pol: string, role: string): string {
  return `(0 = any(${pol}.polroles) or exists (
    select 1 from unnest(${pol}.polroles) as pr(oid) where pr.oid <> 0 and pg_has_role(${role}, pr.oid, 'USAGE')))`;
}

/**
 * A tenant predicate: the expression mentions the row's tenant_id column and the request's
 * tenant (app_hidden.current_tenant_id()). `current_tenant_id` alone does not match the word tenant_id.
 */
export function isTenantPredicate(expr: string): string {
  return tiesToTenant(expr, "'tenant_id'");
}

/** Same, for a column named by the SQL expression `column` (e.g. 'id' on the tenant table). */
export function tiesToTenant(expr: string, column: string): string {
  return `(${expr} ~ ('\\m' || ${column} || '\\M') and ${expr} ~ 'current_tenant_id\\(\\)')`;
}
