/**
 * Tenant-scoped tables: exposed tables with a tenant_id column. They are the rows one gym
 * owns, so the key, the foreign keys, the indexes and the policies all carry tenant_id.
 */
import type { Rule } from "../types";
import { ALL_POLICIES, TENANT_TABLES, isTenantPredicate, policyAppliesTo, tiesToTenant } from "./fragments";

export const tenantIdNotNull: Rule = {
  id: "tenant-id-not-null",
  level: "error",
  title: "tenant_id is NOT NULL",
  why: "A row with a NULL tenant_id belongs to no gym: no tenant policy matches it, and a definer function or the platform owner can leak it anywhere",
  fix: "tenant_id uuid not null default app_hidden.current_tenant_id() references app_public.gyms (id)",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select t.name as object, 'tenant_id is nullable' as detail
    from tenant_tables t
    where not t.tenant_not_null
    order by 1`,
};

export const tenantIdReferencesRoot: Rule = {
  id: "tenant-id-references-root",
  level: "error",
  title: "tenant_id references the tenant table (app_public.gyms (id))",
  why: "Without the foreign key a row can name a gym that does not exist (or no longer exists), and deleting a gym does not take its rows with it",
  fix: "tenant_id … references app_public.gyms (id) on delete cascade",
  sql: `
    with tenant_tables as (${TENANT_TABLES}),
    root as (
      select c.conrelid as oid, c.conkey
      from pg_constraint c
      where c.conrelid = to_regclass(:tenant_root) and c.contype = 'p'
    )
    select t.name as object, format('no foreign key (tenant_id) references %s', :tenant_root) as detail
    from tenant_tables t
    where not exists (
      select 1 from pg_constraint fk join root on root.oid = fk.confrelid
      where fk.conrelid = t.oid and fk.contype = 'f'
        and fk.conkey = array[t.tenant_attnum] and fk.confkey = root.conkey
    )
    order by 1`,
};

export const tenantIdLeadingIndex: Rule = {
  id: "tenant-id-leading-index",
  level: "error",
  title: "A tenant table has an index whose first column is tenant_id",
  why: "Every query a gym role runs is filtered by the tenant policy; without an index led by tenant_id each one scans every gym's rows",
  fix: "Make the primary key (tenant_id, id), or create index on … (tenant_id, …)",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select t.name as object, 'no index starts with tenant_id' as detail
    from tenant_tables t
    where not exists (
      select 1 from pg_index i
      where i.indrelid = t.oid and i.indpred is null and i.indkey[0] = t.tenant_attnum
    )
    order by 1`,
};

export const tenantKeysIncludeTenantId: Rule = {
  id: "tenant-keys-include-tenant-id",
  level: "error",
  title: "Primary key, unique constraints and unique indexes of a tenant table include tenant_id",
  why: "A key without tenant_id is unique across gyms: one gym's insert fails because of another gym's row (which leaks its existence), and Citus cannot enforce it on a distributed table",
  fix: "Put tenant_id in the key: primary key (tenant_id, id), unique (tenant_id, …)",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select t.name as object,
           format('%s %I does not include tenant_id',
                  case when con.contype = 'p' then 'primary key'
                       when con.contype = 'u' then 'unique constraint'
                       else 'unique index' end,
                  coalesce(con.conname, ic.relname)) as detail
    from tenant_tables t
    join pg_index i on i.indrelid = t.oid and i.indisunique
    join pg_class ic on ic.oid = i.indexrelid
    left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = t.oid and con.contype in ('p', 'u')
    where not (t.tenant_attnum = any(i.indkey::int2[]))
    order by 1, 2`,
};

export const tenantForeignKeyComposite: Rule = {
  id: "tenant-fk-composite",
  level: "error",
  title: "A foreign key to another tenant table is composite on (tenant_id, …), matching tenant_id to tenant_id",
  why: "A foreign key on the id alone lets a row point at another gym's row; pairing tenant_id with tenant_id makes Postgres refuse it",
  fix: "foreign key (tenant_id, other_id) references app_public.others (tenant_id, id), with a unique key (tenant_id, id) on the target",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select src.name as object,
           format('foreign key %I to %s does not pair tenant_id with tenant_id', fk.conname, dst.name) as detail
    from pg_constraint fk
    join tenant_tables src on src.oid = fk.conrelid
    join tenant_tables dst on dst.oid = fk.confrelid
    where fk.contype = 'f'
      and not exists (
        select 1 from generate_subscripts(fk.conkey, 1) as k(i)
        where fk.conkey[k.i] = src.tenant_attnum and fk.confkey[k.i] = dst.tenant_attnum
      )
    order by 1, 2`,
};

export const tenantRestrictivePolicy: Rule = {
  id: "tenant-restrictive-policy",
  level: "error",
  title: "A RESTRICTIVE tenant policy covers every gym role and every command",
  why: "The restrictive policy is the backstop: whatever permissive policy someone adds later, a gym role still only reaches rows where tenant_id = app_hidden.current_tenant_id()",
  fix: "create policy <table>_tenant on … as restrictive for all to <gym roles> using (tenant_id = app_hidden.current_tenant_id()) with check (tenant_id = app_hidden.current_tenant_id())",
  sql: `
    with tenant_tables as (${TENANT_TABLES}),
    policies as (${ALL_POLICIES}),
    commands(command, polcmd) as (
      values ('SELECT', 'r'), ('INSERT', 'a'), ('UPDATE', 'w'), ('DELETE', 'd')
    ),
    gym_roles as (select oid, rolname from pg_roles where rolname = any(:gym_roles)),
    uncovered as (
      select t.name, r.rolname, c.command
      from tenant_tables t cross join gym_roles r cross join commands c
      where not exists (
        select 1 from policies pol
        where pol.polrelid = t.oid and not pol.polpermissive and pol.polcmd in (c.polcmd, '*')
          and ${policyAppliesTo("pol", "r.oid")}
          -- SELECT/DELETE are filtered by USING; INSERT by WITH CHECK; UPDATE by both
          -- (a missing WITH CHECK falls back to USING).
          and (c.command = 'INSERT' or ${isTenantPredicate("pol.using_expr")})
          and (c.command in ('SELECT', 'DELETE')
               or ${isTenantPredicate("coalesce(pol.check_expr, pol.using_expr)")})
      )
    )
    select name as object,
           'no restrictive tenant policy for ' || string_agg(rolname || ' ' || command, ', ' order by rolname, command) as detail
    from uncovered
    group by name
    order by 1`,
};

export const tenantPermissivePolicy: Rule = {
  id: "tenant-permissive-policy",
  level: "error",
  title: "Every permissive policy for a gym role on a tenant table (or the tenant table itself) repeats the tenant predicate",
  why: "Isolation must not rest on the restrictive policy alone: a permissive policy without tenant_id = app_hidden.current_tenant_id() (id = … on app_public.gyms) is one dropped policy away from a cross-gym leak",
  fix: "Add `tenant_id = app_hidden.current_tenant_id() and …` (on gyms: `id = …`) to the policy's USING and WITH CHECK",
  sql: `
    with scoped(oid, col) as (
      select oid, 'tenant_id' from (${TENANT_TABLES}) tenant_tables
      union all
      select to_regclass(:tenant_root), 'id'
    ),
    policies as (${ALL_POLICIES}),
    gym_roles as (select oid from pg_roles where rolname = any(:gym_roles)),
    checked as (
      select pol.*,
             pol.using_expr is not null
               and not ${tiesToTenant("pol.using_expr", "t.col")} as bad_using,
             pol.check_expr is not null
               and not ${tiesToTenant("pol.check_expr", "t.col")} as bad_check,
             t.col
      from policies pol
      join scoped t on t.oid = pol.polrelid
      where pol.polpermissive
        and exists (select 1 from gym_roles r where ${policyAppliesTo("pol", "r.oid")})
    )
    select label as object,
           concat_ws(' and ',
             case when bad_using then format('USING does not tie %s to current_tenant_id()', col) end,
             case when bad_check then format('WITH CHECK does not tie %s to current_tenant_id()', col) end) as detail
    from checked
    where bad_using or bad_check
    order by 1`,
};

export const tenantIdNotUpdatable: Rule = {
  id: "tenant-id-not-updatable",
  level: "error",
  title: "No visitor role may UPDATE tenant_id",
  why: "A row that changes gym is a row one gym wrote and another now reads",
  fix: "List the updatable columns without tenant_id: grant update (col, …) on … to …; revoke update on … from …",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select t.name as object, format('%s may update tenant_id', r.rolname) as detail
    from tenant_tables t
    cross join pg_roles r
    where r.rolname = any(:visitor_roles)
      and has_column_privilege(r.oid, t.oid, t.tenant_attnum, 'UPDATE')
    order by 1, 2`,
};

export const tenantIdImmutableTrigger: Rule = {
  id: "tenant-id-immutable-trigger",
  level: "warning",
  title: "A tenant table has the tenant_id-immutable trigger",
  why: "The column grant stops visitors; the trigger also stops the owner and SECURITY DEFINER functions from moving a row to another gym",
  fix: "create trigger _100_tenant_id_immutable before update on … for each row execute function app_private.tg__tenant_id_immutable();",
  sql: `
    with tenant_tables as (${TENANT_TABLES})
    select t.name as object, 'no BEFORE UPDATE trigger calling tg__tenant_id_immutable' as detail
    from tenant_tables t
    where not exists (
      select 1 from pg_trigger tg join pg_proc f on f.oid = tg.tgfoid
      where tg.tgrelid = t.oid and not tg.tgisinternal and tg.tgenabled <> 'D'
        and f.proname = 'tg__tenant_id_immutable'
        and tg.tgtype & 2 = 2    -- BEFORE
        and tg.tgtype & 16 = 16  -- UPDATE
    )
    order by 1`,
};

export const orderableColumnIndex: Rule = {
  id: "orderable-column-index",
  level: "error",
  title: "A column a @behavior tag exposes for orderBy/filterBy has an index (tenant_id, <column>, …)",
  why: "PostGraphile offers orderBy and filter only on indexed columns unless a @behavior tag says otherwise; a tagged column without a tenant-leading index lets any client sort or filter a gym's whole table with a scan and a sort",
  fix: "create index on … (tenant_id, <column>), or drop +orderBy/+filterBy from the column's @behavior",
  sql: `
    with tenant_tables as (${TENANT_TABLES}),
    tagged as (
      select t.oid, t.name, t.tenant_attnum, a.attnum, a.attname,
             substring(col_description(t.oid, a.attnum) from '(?:^|\\n)@behavior[ \\t]+([^\\n]*)') as behavior
      from tenant_tables t
      join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
    )
    select c.name as object,
           format('column %I is exposed by @behavior %s but no index starts (tenant_id, %I)', c.attname, c.behavior, c.attname) as detail
    from tagged c
    where exists (
        -- +orderBy, orderBy, +attribute:filterBy …: any token that turns ordering or filtering on
        select 1 from regexp_split_to_table(c.behavior, '\\s+') as b(token)
        where b.token ~ '^\\+?([A-Za-z]+:)*(orderBy|filterBy)$')
      and not exists (
        select 1 from pg_index i
        where i.indrelid = c.oid and i.indpred is null
          and i.indkey[0] = c.tenant_attnum and i.indkey[1] = c.attnum)
    order by 1, 2`,
};

export const tenantRules: Rule[] = [
  tenantIdNotNull,
  tenantIdReferencesRoot,
  tenantIdLeadingIndex,
  tenantKeysIncludeTenantId,
  tenantForeignKeyComposite,
  tenantRestrictivePolicy,
  tenantPermissivePolicy,
  tenantIdNotUpdatable,
  tenantIdImmutableTrigger,
  orderableColumnIndex,
];
