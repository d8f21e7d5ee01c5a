/**
 * Citus mode (`CITUS=1 npm run db:lint`, `--citus`): what a table, key, trigger or function
 * must be for the cluster (docs/CITUS.md, README "Scaling out on Citus"). Checked on a database
 * set up in Citus mode: setup (src/db/citus.ts, migrations/citus.sql) swaps some pieces of the
 * committed schema at placement (the restrictive policies go, the boards' triggers leave notes,
 * some SQL functions become plpgsql), so several of these rules fire on a single-node database
 * by design and are Citus-mode-only.
 *
 * Placement is read the way src/db/citus.ts's placementPlan decides it, from the plain catalog
 * (so the rules also run, on fixtures, on a single node):
 * - distributed: the tenant root (by id) and every table with `tenant_id not null` (by tenant_id);
 * - coordinator-local: app_shared's tables and COORDINATOR_ONLY;
 * - reference: every other table of ours.
 */
import type { Rule } from "../types";

/** Tables that will be distributed, with the attnum of their distribution column. */
export const DISTRIBUTED_TABLES = `
  select c.oid, format('%I.%I', n.nspname, c.relname) as name,
         coalesce(t.attnum, k.attnum) as dist_attnum
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  left join pg_attribute t on t.attrelid = c.oid and t.attname = 'tenant_id' and t.attnotnull and not t.attisdropped
  left join pg_attribute k on k.attrelid = c.oid and k.attname = 'id' and c.oid = to_regclass(:tenant_root)
  where c.relkind in ('r', 'p') and n.nspname = any(:schemas)
    and not n.nspname = any(:coordinator_schemas)
    and not format('%I.%I', n.nspname, c.relname) = any(:coordinator_tables)
    and (t.attnum is not null or c.oid = to_regclass(:tenant_root))`;

/** Tables that will have placements on the workers: distributed and reference tables. */
export const PLACED_TABLES = `
  select c.oid, format('%I.%I', n.nspname, c.relname) as name
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p') and n.nspname = any(:schemas)
    and not n.nspname = any(:coordinator_schemas)
    and not format('%I.%I', n.nspname, c.relname) = any(:coordinator_tables)`;

/** `schema.name` as a regular expression matching the qualified name as a whole word. */
const nameRegex = (name: string) => `'\\m' || replace(${name}, '.', '\\.') || '\\M'`;

export const citusFkSetNull: Rule = {
  id: "citus-fk-set-null",
  level: "error",
  title: "No ON DELETE/ON UPDATE SET NULL or SET DEFAULT on a foreign key that includes the distribution column",
  why: "Citus refuses SET NULL/SET DEFAULT on a key with the distribution column (it would null tenant_id); setup handles exactly `(tenant_id, col) references t (tenant_id, id) on delete set null (col)` (re-added without the action and a BEFORE DELETE trigger does it), nothing else",
  fix: "foreign key (tenant_id, col) references … (tenant_id, id) on delete set null (col), or on delete cascade / restrict",
  sql: `
    with distributed as (${DISTRIBUTED_TABLES})
    select src.name as object,
           format('foreign key %I: %s', fk.conname, pg_get_constraintdef(fk.oid)) as detail
    from pg_constraint fk
    join distributed src on src.oid = fk.conrelid
    where fk.contype = 'f'
      and src.dist_attnum = any(fk.conkey)
      and (fk.confdeltype in ('n', 'd') or fk.confupdtype in ('n', 'd'))
      and not coalesce((
        -- the one shape setup handles (src/db/citus.ts SET_NULL_KEY); confdelsetcols is null
        -- for a plain SET NULL, hence the coalesce
        fk.confdeltype = 'n' and fk.confupdtype not in ('n', 'd')
        and cardinality(fk.conkey) = 2 and fk.conkey[1] = src.dist_attnum
        and fk.confdelsetcols = array[fk.conkey[2]]
        and (select array_agg(a.attname order by k.i) from unnest(fk.confkey) with ordinality k(attnum, i)
             join pg_attribute a on a.attrelid = fk.confrelid and a.attnum = k.attnum) = array['tenant_id', 'id']::name[]
      ), false)
    order by 1, 2`,
};

export const citusGlobalReferencesTenant: Rule = {
  id: "citus-global-references-tenant",
  level: "error",
  title: "A global table (a reference table on the cluster) references no tenant table",
  why: "A table without tenant_id not null becomes a reference table, a full copy on every node; Citus refuses a foreign key from it to a distributed table (setup stops at placement)",
  fix: "Give the table tenant_id not null (it is then distributed, co-located) and a composite key (tenant_id, …), or drop the foreign key",
  sql: `
    with distributed as (${DISTRIBUTED_TABLES}),
    placed as (${PLACED_TABLES})
    select src.name as object,
           format('foreign key %I references %s (distributed)', fk.conname, dst.name) as detail
    from pg_constraint fk
    join placed src on src.oid = fk.conrelid
    join distributed dst on dst.oid = fk.confrelid
    where fk.contype = 'f'
      and not exists (select 1 from distributed d where d.oid = src.oid)
    order by 1, 2`,
};

export const citusTriggerCoordinatorOnly: Rule = {
  id: "citus-trigger-coordinator-only",
  level: "error",
  title: "A trigger on a table placed on the workers names no coordinator-only object (graphile_worker, app_shared's tables)",
  why: "Triggers fire on the shard (a reference table's on every placement), on the workers, where graphile_worker and the coordinator-local tables do not exist. Citus mode only: on one node the network boards' triggers write app_shared, and setup swaps them for co-located notes. Checks the trigger function's body and, one level down, the bodies of our functions it calls by qualified name",
  fix: "Leave a co-located note for a coordinator job (migrations/citus.sql, network_bests_pending), or keep the table on the coordinator (COORDINATOR_ONLY in src/db/citus.ts)",
  sql: `
    with placed as (${PLACED_TABLES}),
    -- What exists on the coordinator only: our coordinator-local tables (and the shared
    -- layer's materialized views), as whole qualified names, and whole schemas.
    coordinator_only(label, pattern) as (
      select format('%I.%I', n.nspname, c.relname), ${nameRegex("format('%I.%I', n.nspname, c.relname)")}
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind in ('r', 'p', 'm') and n.nspname = any(:coordinator_schemas)
      union
      select t, ${nameRegex("t")} from unnest(:coordinator_tables) t
      union
      select s || '.*', '\\m' || s || '\\.' from unnest(:coordinator_only_schemas) s
    ),
    -- The trigger function, and one level down each function of ours its body calls by its
    -- qualified name (the boards' trigger functions call app_shared's, which write the boards).
    bodies as (
      select tg.tgname, t.name as table_name, f.oid as fn, f.oid as via, f.prosrc
      from pg_trigger tg
      join placed t on t.oid = tg.tgrelid
      join pg_proc f on f.oid = tg.tgfoid
      where not tg.tgisinternal
      union all
      select tg.tgname, t.name, f.oid, g.oid, g.prosrc
      from pg_trigger tg
      join placed t on t.oid = tg.tgrelid
      join pg_proc f on f.oid = tg.tgfoid
      join pg_proc g on g.oid <> f.oid
      join pg_namespace gn on gn.oid = g.pronamespace and gn.nspname = any(:schemas)
      where not tg.tgisinternal
        and f.prosrc ~* (${nameRegex("format('%I.%I', gn.nspname, g.proname)")} || '\\s*\\(')
    )
    select b.table_name as object,
           format('trigger %I: %s names %s', b.tgname, b.fn::regprocedure,
                  string_agg(distinct case when b.via = b.fn then o.label
                                           else format('%s (in %s)', o.label, b.via::regprocedure) end, ', ')) as detail
    from bodies b
    join coordinator_only o on b.prosrc ~* o.pattern
    group by b.table_name, b.tgname, b.fn
    order by 1, 2`,
};

export const citusSqlFunctionParams: Rule = {
  id: "citus-sql-function-params",
  level: "error",
  title: "A SQL function that Postgres cannot inline and that reads a distributed table with its parameters is plpgsql",
  why: "Citus cannot plan a query with parameters inside a SQL function run on its own (SECURITY DEFINER, a SET clause or VOLATILE keep it from being inlined): 'could not create distributed plan', on the coordinator and on the shards. Citus mode only: setup swaps some (migrations/citus.sql)",
  fix: "Rewrite it as language plpgsql (same signature, owner and grants); plpgsql plans each statement with the values",
  sql: `
    with distributed as (${DISTRIBUTED_TABLES})
    select format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as object,
           format('language sql, %s, reads %s',
                  concat_ws(', ',
                    case when p.prosecdef then 'SECURITY DEFINER' end,
                    case when p.proconfig is not null then 'SET ' || array_to_string(p.proconfig, ', ') end,
                    case when p.provolatile = 'v' then 'VOLATILE' end),
                  string_agg(d.name, ', ' order by d.name)) as detail
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    join pg_language l on l.oid = p.prolang
    join distributed d
      on coalesce(nullif(p.prosrc, ''), pg_get_functiondef(p.oid)) ~* ('\\m(from|join)\\s+' || replace(d.name, '.', '\\.') || '\\M')
    where n.nspname = any(:schemas) and p.prokind = 'f' and l.lanname = 'sql' and p.pronargs > 0
      and (p.prosecdef or p.proconfig is not null or p.provolatile = 'v')
    group by n.nspname, p.proname, p.oid
    order by 1`,
};

export const citusNoRestrictivePolicy: Rule = {
  id: "citus-no-restrictive-policy",
  level: "error",
  title: "No RESTRICTIVE policy on a table placed on the workers",
  why: "Citus re-creates a RESTRICTIVE policy as PERMISSIVE on the shards (its deparser drops AS RESTRICTIVE): it then ORs with the role policies and widens them to the whole gym. Setup drops the tenant ones before placing. Citus mode only: on one node every tenant table has one",
  fix: "Fold the condition into every permissive policy (tenant-permissive-policy checks the tenant check), then drop the restrictive policy",
  sql: `
    with placed as (${PLACED_TABLES})
    select t.name || ' policy ' || quote_ident(p.polname) as object, 'AS RESTRICTIVE' as detail
    from pg_policy p
    join placed t on t.oid = p.polrelid
    where not p.polpermissive
    order by 1`,
};

export const citusUniqueDistributionColumn: Rule = {
  id: "citus-unique-distribution-column",
  level: "error",
  title: "Every primary key, unique constraint and unique index of a distributed table includes its distribution column",
  why: "Each shard checks only its own rows, so Citus refuses a unique key without the distribution column (tenant_id; id on the tenant root); this also covers internal schemas and the tenant root, which tenant-keys-include-tenant-id does not. Citus mode only: on one node gyms has unique (slug), which setup moves to app_private.gym_slugs",
  fix: "unique (tenant_id, …); a key that must be global goes to a reference table kept by a trigger (migrations/citus.sql, gym_slugs)",
  sql: `
    with distributed as (${DISTRIBUTED_TABLES})
    select d.name as object, format('unique index %I does not include %I', ic.relname, a.attname) as detail
    from distributed d
    join pg_index i on i.indrelid = d.oid and i.indisunique
    join pg_class ic on ic.oid = i.indexrelid
    join pg_attribute a on a.attrelid = d.oid and a.attnum = d.dist_attnum
    where not (d.dist_attnum = any(i.indkey::int2[]))
    order by 1, 2`,
};

export const citusRules: Rule[] = [
  citusFkSetNull,
  citusGlobalReferencesTenant,
  citusTriggerCoordinatorOnly,
  citusSqlFunctionParams,
  citusNoRestrictivePolicy,
  citusUniqueDistributionColumn,
];

/**
 * Rules of the single-node set that Citus-mode setup deliberately replaces: the restrictive
 * tenant policies are dropped at placement (citus-no-restrictive-policy checks they are gone;
 * tenant-permissive-policy keeps every permissive policy tied to the gym).
 */
export const CITUS_REPLACED: readonly string[] = ["tenant-restrictive-policy"];

/**
 * Findings of the single-node rules on objects Citus-mode setup itself makes or changes, each
 * with the reason (docs/CITUS.md). Applied in Citus mode only; anything else is reported.
 */
export const CITUS_SETUP_EXEMPTIONS: readonly { rule: string; object: string | RegExp; why: string }[] = [
  {
    rule: "rls-enabled-forced",
    object: "app_private.gym_slugs",
    why: "migrations/citus.sql: the global uniqueness of gyms.slug; no role but the owner has a right on it, written only by the owner's definer trigger",
  },
  {
    rule: "always-true-policy",
    object: "app_private.network_bests_pending policy network_bests_pending_owner",
    why: "migrations/citus.sql: the boards' notes, written by the owner's definer trigger and read by the owner's job; the policy names the owner only",
  },
  {
    rule: "tenant-id-references-root",
    object: /^app_shared\.network_best_(all_time|by_month)$/,
    why: "src/db/citus.ts drops the key at placement: a coordinator-local table may not reference a distributed one; the catch-up and the board function re-check the gym",
  },
  {
    rule: "definer-owned-by-system",
    object: "app_private.tg__citus_set_null()",
    why: "migrations/citus.sql: the ON DELETE SET NULL (col) Citus refuses, owned by the maintenance role because a foreign-key action ignores RLS; a trigger function, not callable directly",
  },
  {
    rule: "function-not-public",
    object: /^app_(public|private|hidden|shared)\.[a-z_]+_text\(value app_(public|private|hidden|shared)\.[a-z_]+\)$/,
    why: "migrations/citus.sql: the IMMUTABLE enum-to-text casts Citus accepts in RETURNING, executable by everyone like the conversion they stand for",
  },
];
