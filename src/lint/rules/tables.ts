/** Table-level habits: declared tenancy, uuid ids, grants, foreign-key indexes. */
import type { Rule } from "../types";
import { ALL_TABLES, EXPOSED_TABLES } from "./fragments";

export const tenancyDeclared: Rule = {
  id: "tenancy-declared",
  level: "error",
  title: "An exposed table without tenant_id says why in its comment (@global, or @tenantRoot on the tenant table)",
  why: "A table with no tenant_id is visible across gyms unless its policies say otherwise; the tag records that this was a decision, not an omission",
  fix: "Add tenant_id (see CONVENTIONS.md), or comment on table … is E'@global <reason>\\n…'",
  sql: `
    with tables as (${EXPOSED_TABLES})
    select t.name as object,
           case when tag.tenant_root then format('@tenantRoot is only allowed on %s', :tenant_root)
                else 'no tenant_id column and no @global tag' end as detail
    from tables t
    cross join lateral (
      select coalesce(obj_description(t.oid, 'pg_class'), '') ~ '(^|\\s)@global\\M' as global,
             coalesce(obj_description(t.oid, 'pg_class'), '') ~ '(^|\\s)@tenantRoot\\M' as tenant_root
    ) tag
    where not exists (
        select 1 from pg_attribute a
        where a.attrelid = t.oid and a.attname = 'tenant_id' and not a.attisdropped)
      and not tag.global
      and not (tag.tenant_root and t.oid = to_regclass(:tenant_root))
    order by 1`,
};

export const noSequenceIds: Rule = {
  id: "no-sequence-ids",
  level: "error",
  title: "Exposed tables use uuid ids, not serial / identity integers",
  why: "A sequence is shared by every gym: its values reveal other gyms' activity and it cannot be generated shard-locally under Citus",
  fix: "id uuid not null default gen_random_uuid()",
  sql: `
    with tables as (${EXPOSED_TABLES})
    select t.name as object,
           format('column %I is %s', a.attname,
                  case when a.attidentity <> '' then 'an identity column' else 'filled from a sequence' end) as detail
    from tables t
    join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
    left join pg_attrdef d on d.adrelid = t.oid and d.adnum = a.attnum
    where a.attidentity <> '' or pg_get_expr(d.adbin, d.adrelid) ~ '\\mnextval\\('
    order by 1, 2`,
};

export const visitorDangerousPrivilege: Rule = {
  id: "visitor-dangerous-privilege",
  level: "error",
  title: "No visitor holds TRUNCATE, TRIGGER or REFERENCES on a table",
  why: "TRUNCATE ignores row-level security and empties every gym's rows; TRIGGER and REFERENCES let a visitor attach code or probe keys across gyms",
  fix: "revoke truncate, trigger, references on … from …",
  sql: `
    with tables as (${ALL_TABLES}),
    privileges(privilege) as (values ('TRUNCATE'), ('TRIGGER'), ('REFERENCES'))
    select t.name as object, format('%s has %s', r.rolname, p.privilege) as detail
    from tables t
    cross join privileges p
    join pg_roles r on r.rolname = any(:visitor_roles)
    where case p.privilege
            when 'REFERENCES' then has_any_column_privilege(r.oid, t.oid, 'REFERENCES')
            else has_table_privilege(r.oid, t.oid, p.privilege)
          end
    order by 1, 2`,
};

export const writeGrantsListColumns: Rule = {
  id: "write-grants-list-columns",
  level: "warning",
  title: "INSERT and UPDATE grants to visitors list their columns",
  why: "A table-wide grant silently extends to every column added later (owner-only flags, tenant_id, audit columns)",
  fix: "revoke insert/update on … from …; grant insert (col, …), update (col, …) on … to …",
  sql: `
    with tables as (${EXPOSED_TABLES})
    select t.name as object,
           format('table-wide %s granted to %s', acl.privilege_type,
                  case when acl.grantee = 0 then 'PUBLIC' else pg_get_userbyid(acl.grantee) end) as detail
    from tables t
    join pg_class c on c.oid = t.oid
    cross join lateral aclexplode(c.relacl) acl
    where acl.privilege_type in ('INSERT', 'UPDATE')
      and (acl.grantee = 0 or pg_get_userbyid(acl.grantee) = any(:visitor_roles))
    order by 1, 2`,
};

export const foreignKeyIndexed: Rule = {
  id: "fk-covering-index",
  level: "warning",
  title: "Foreign keys have a covering index (leading columns = the FK columns)",
  why: "Deleting a gym or user cascades through every referencing table; without an index each cascade scans the whole table under lock, and joins along the key scan too. Slow, not unsafe, hence a warning",
  fix: "create index on … (<fk columns>), e.g. (tenant_id, other_id)",
  sql: `
    with tables as (${ALL_TABLES})
    select t.name as object,
           format('foreign key %I (%s) has no index starting with those columns', fk.conname,
                  (select string_agg(quote_ident(a.attname), ', ' order by k.i)
                   from generate_subscripts(fk.conkey, 1) as k(i)
                   join pg_attribute a on a.attrelid = fk.conrelid and a.attnum = fk.conkey[k.i])) as detail
    from pg_constraint fk
    join tables t on t.oid = fk.conrelid
    where fk.contype = 'f'
      and not exists (
        select 1 from pg_index i
        where i.indrelid = fk.conrelid
          -- A partial index 'where <fk column> is not null' serves the key too: the checks and
          -- cascades look up 'col = $1', which implies the predicate.
          and (i.indpred is null
               or pg_get_expr(i.indpred, i.indrelid) in (
                    select format('(%s IS NOT NULL)', quote_ident(a.attname))
                    from pg_attribute a
                    where a.attrelid = fk.conrelid and a.attnum = any (fk.conkey)))
          and (i.indkey::int2[])[0:cardinality(fk.conkey) - 1] @> fk.conkey
          and (i.indkey::int2[])[0:cardinality(fk.conkey) - 1] <@ fk.conkey
      )
    order by 1, 2`,
};

export const tableRules: Rule[] = [
  tenancyDeclared,
  noSequenceIds,
  visitorDangerousPrivilege,
  writeGrantsListColumns,
  foreignKeyIndexed,
];
