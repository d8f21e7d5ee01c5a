/** Row-level security on every table, and the shape of the policies. */
import type { Rule } from "../types";
import { ALL_POLICIES, ALL_TABLES, EXPOSED_TABLES, policyAppliesTo } from "./fragments";

export const rlsEnabledForced: Rule = {
  id: "rls-enabled-forced",
  level: "error",
  title: "Row-level security is enabled and forced",
  why: "Without ENABLE every granted role reads every row; without FORCE the owner (migrations, the worker) ignores the policies",
  fix: "alter table … enable row level security; alter table … force row level security;",
  sql: `
    with tables as (${ALL_TABLES})
    select t.name as object,
           concat_ws(' and ',
             case when not c.relrowsecurity then 'RLS is not enabled' end,
             case when not c.relforcerowsecurity then 'RLS is not forced' end) as detail
    from tables t
    join pg_class c on c.oid = t.oid
    where not (c.relrowsecurity and c.relforcerowsecurity)
    order by 1`,
};

export const policyForEveryGrant: Rule = {
  id: "policy-for-every-grant",
  level: "error",
  title: "Every command a visitor is granted has a permissive policy for that visitor",
  why: "A grant with no permissive policy behind it returns nothing or fails at run time; it usually means a policy was forgotten or the grant is wider than intended",
  fix: "Add a permissive policy `for <command> to <role>` (repeating the tenant predicate), or revoke the grant",
  sql: `
    with tables as (${EXPOSED_TABLES}),
    commands(command, polcmd) as (
      values ('SELECT', 'r'), ('INSERT', 'a'), ('UPDATE', 'w'), ('DELETE', 'd')
    ),
    visitors as (select oid, rolname from pg_roles where rolname = any(:visitor_roles)),
    granted as (
      select t.oid, t.name, c.command, c.polcmd, v.oid as role_oid, v.rolname
      from tables t cross join commands c cross join visitors v
      where case c.command
              when 'DELETE' then has_table_privilege(v.oid, t.oid, 'DELETE')
              else has_any_column_privilege(v.oid, t.oid, c.command)  -- table or column grant
            end
    ),
    policies as (${ALL_POLICIES})
    select g.name as object,
           format('%s is granted to %s but no permissive policy for %s applies to it',
                  g.command, g.rolname, g.command) as detail
    from granted g
    where not exists (
      select 1 from policies pol
      where pol.polrelid = g.oid and pol.polpermissive and pol.polcmd in (g.polcmd, '*')
        and ${policyAppliesTo("pol", "g.role_oid")}
    )
    order by 1, 2`,
};

export const alwaysTruePolicy: Rule = {
  id: "always-true-policy",
  level: "error",
  title: "No always-true permissive policy except for the system role, the platform owner, and reads of @global tables",
  why: "`using (true)` / `with check (true)` opens every row of every gym to the roles it names",
  fix: "Replace true with the tenant or ownership predicate, or narrow the policy's TO list to the system role / platform owner",
  sql: `
    with policies as (${ALL_POLICIES})
    select pol.label as object,
           format('%s is always true for %s',
                  concat_ws(' and ',
                    case when pol.using_expr = 'true' then 'USING' end,
                    case when pol.check_expr = 'true' then 'WITH CHECK' end),
                  bad.roles) as detail
    from policies pol
    cross join lateral (
      select string_agg(case when r.oid = 0 then 'PUBLIC' else pg_get_userbyid(r.oid) end, ', ') as roles
      from unnest(pol.polroles) as r(oid)
      where r.oid = 0 or pg_get_userbyid(r.oid) <> all(:true_ok_roles)
    ) bad
    where pol.polpermissive
      and (pol.using_expr = 'true' or pol.check_expr = 'true')
      and bad.roles is not null
      -- A table declared @global (no tenant_id: reference data such as plans) holds no gym's
      -- rows, so letting every role read all of it is the point. Writes stay flagged.
      and not (pol.polcmd = 'r' and pol.using_expr = 'true'
               and coalesce(obj_description(pol.polrelid, 'pg_class'), '') ~ '(^|\\s)@global\\M'
               and not exists (select 1 from pg_attribute a
                               where a.attrelid = pol.polrelid and a.attname = 'tenant_id' and not a.attisdropped))
    order by 1`,
};

export const policyWithoutRole: Rule = {
  id: "policy-without-role",
  level: "warning",
  title: "Every policy says TO which role",
  why: "A policy without TO applies to PUBLIC: every visitor, the owner and the system role, including roles added later",
  fix: 'Add `to ":ROLE_…"` naming the roles the policy is meant for',
  sql: `
    with policies as (${ALL_POLICIES})
    select pol.label as object, 'applies to PUBLIC' as detail
    from policies pol
    where 0 = any(pol.polroles)
    order by 1`,
};

export const policySubquery: Rule = {
  id: "policy-subquery",
  level: "error",
  title: "Policies on exposed tables contain no subquery (SELECT / EXISTS / IN (SELECT …))",
  why: "Citus rejects policies with subqueries on distributed tables, and a subquery per row defeats the tenant index; the check reads the parsed policy (SubLink nodes), not the text",
  fix: "Move the lookup into a STABLE helper function in app_hidden and call it from the policy",
  sql: `
    with policies as (${ALL_POLICIES})
    select pol.label as object,
           concat_ws(' and ',
             case when pol.polqual::text like '%{SUBLINK %' then 'USING has a subquery' end,
             case when pol.polwithcheck::text like '%{SUBLINK %' then 'WITH CHECK has a subquery' end) as detail
    from policies pol
    where pol.exposed
      and (pol.polqual::text like '%{SUBLINK %' or pol.polwithcheck::text like '%{SUBLINK %')
    order by 1`,
};

export const policyCurrentSetting: Rule = {
  id: "policy-current-setting",
  level: "warning",
  title: "Policies read the request context through the app_hidden.current_*() helpers",
  why: "Calling current_setting() in a policy duplicates the claim parsing (nullif, casts) that the helpers get right once; a mistake there silently breaks isolation",
  fix: "Use app_hidden.current_tenant_id() / current_user_id() / current_app_role() instead of current_setting(…)",
  sql: `
    with policies as (${ALL_POLICIES})
    select pol.label as object, 'calls current_setting()' as detail
    from policies pol
    where pol.using_expr ~ '\\mcurrent_setting\\(' or pol.check_expr ~ '\\mcurrent_setting\\('
    order by 1`,
};

export const rlsRules: Rule[] = [
  rlsEnabledForced,
  policyForEveryGrant,
  alwaysTruePolicy,
  policyWithoutRole,
  policySubquery,
  policyCurrentSetting,
];
