/** SECURITY DEFINER functions and the request-context helpers. */
import type { Rule } from "../types";
import { ALL_FUNCTIONS } from "./fragments";

export const definerSearchPath: Rule = {
  id: "definer-search-path",
  level: "error",
  title: "SECURITY DEFINER functions pin search_path",
  why: "Without a fixed search_path a caller can put their own schema first and have the definer's rights run their operator or function",
  fix: "alter function … set search_path = pg_catalog[, public]  (or add `set search_path = pg_catalog` to create function)",
  sql: `
    with functions as (${ALL_FUNCTIONS})
    select f.label as object, 'no search_path setting' as detail
    from functions f
    where f.prosecdef
      and not exists (select 1 from unnest(f.proconfig) as c(setting) where c.setting like 'search_path=%')
    order by 1`,
};

export const definerNotAnonymous: Rule = {
  id: "definer-not-anonymous",
  level: "error",
  title: "SECURITY DEFINER functions are not executable by the anonymous role (unless tagged @anonymousOk)",
  why: "A definer function runs with the system role's reach across gyms; callable without a token it is an unauthenticated door into every gym",
  fix: 'revoke execute on function … from ":ROLE_ANONYMOUS", public; if anonymous access is the point (login), add @anonymousOk <reason> to its comment',
  sql: `
    with functions as (${ALL_FUNCTIONS})
    select f.label as object, format('executable by %s', :anonymous) as detail
    from functions f
    join pg_roles r on r.rolname = :anonymous
    where f.prosecdef
      and has_function_privilege(r.oid, f.oid, 'EXECUTE')
      and f.comment !~ '(^|\\s)@anonymousOk\\M'
    order by 1`,
};

export const definerOwnedBySystem: Rule = {
  id: "definer-owned-by-system",
  level: "error",
  title: "SECURITY DEFINER functions are owned by an internal definer role (system, or shared for the cross-gym layer)",
  why: "The owner's rights are what the function runs with: owned by a superuser it bypasses RLS entirely, owned by the migration owner it has the owner's grants; the system and shared roles have exactly the narrow policies definer functions need. Trigger functions may stay with the migration owner: nobody can call them directly",
  fix: 'alter function … owner to ":ROLE_SYSTEM" (or ":ROLE_SHARED" in app_shared)  (after its grants)',
  sql: `
    with functions as (${ALL_FUNCTIONS})
    select f.label as object,
           format('owned by %s%s', r.rolname,
                  case when r.rolsuper then ' (a superuser: RLS does not apply)'
                       when r.rolbypassrls then ' (BYPASSRLS)' else '' end) as detail
    from functions f
    join pg_roles r on r.oid = f.proowner
    join pg_proc p on p.oid = f.oid
    where f.prosecdef and r.rolname <> all(:definer_owners)
      and not (p.prorettype = 'trigger'::regtype and r.rolname = :owner)
    order by 1`,
};

export const functionNotPublic: Rule = {
  id: "function-not-public",
  level: "warning",
  title: "Functions are not executable by PUBLIC",
  why: "PUBLIC includes every role, present and future; execute is granted explicitly to the roles that need it (CONVENTIONS.md)",
  fix: "revoke execute on function … from public; grant execute on function … to <roles>",
  sql: `
    with functions as (${ALL_FUNCTIONS})
    select f.label as object, 'PUBLIC has EXECUTE' as detail
    from functions f
    where exists (
      select 1 from aclexplode(coalesce(f.proacl, acldefault('f', f.proowner))) acl
      where acl.grantee = 0 and acl.privilege_type = 'EXECUTE'
    )
    order by 1`,
};

export const contextHelperInlinable: Rule = {
  id: "context-helper-inlinable",
  level: "warning",
  title: "Context helpers (current_*() in app_hidden) are plain `language sql stable` functions the planner can inline",
  why: "Policies call these on every query: a plpgsql, VOLATILE, SECURITY DEFINER or SET-carrying helper is not inlined, so tenant_id = current_tenant_id() stops being an index condition and runs per row",
  fix: "create function … returns … language sql stable parallel safe as $$ select … $$ (no security definer, no set …)",
  sql: `
    with functions as (${ALL_FUNCTIONS})
    select f.label as object,
           concat_ws(', ',
             case when l.lanname <> 'sql' then 'language ' || l.lanname end,
             case when f.provolatile = 'v' then 'VOLATILE' end,
             case when f.prosecdef then 'SECURITY DEFINER' end,
             case when f.proconfig is not null then 'has SET ' || array_to_string(f.proconfig, ', ') end) as detail
    from functions f
    join pg_language l on l.oid = f.prolang
    where f.schema = any(:internal) and f.proname like 'current\\_%'
      and (l.lanname <> 'sql' or f.provolatile = 'v' or f.prosecdef or f.proconfig is not null)
    order by 1`,
};

export const functionRules: Rule[] = [
  definerSearchPath,
  definerNotAnonymous,
  definerOwnedBySystem,
  functionNotPublic,
  contextHelperInlinable,
];
