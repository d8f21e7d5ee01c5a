/** Views bypass RLS unless they run as the caller; materialized views have no RLS at all. */
import type { Rule } from "../types";

export const viewSecurityInvoker: Rule = {
  id: "view-security-invoker",
  level: "error",
  title: "Views in exposed schemas are security_invoker (or tagged @sharedSafe)",
  why: "A plain view reads its tables as the view's owner, so the querying gym role's policies do not apply: it sees every gym",
  fix: "create view … with (security_invoker = true) as …; a deliberate cross-gym view in app_shared says @sharedSafe <reason> in its comment",
  sql: `
    select format('%I.%I', n.nspname, c.relname) as object, 'not security_invoker' as detail
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where c.relkind = 'v' and n.nspname = any(:exposed)
      and not exists (
        select 1 from unnest(c.reloptions) as o(opt)
        where lower(o.opt) ~ '^security_invoker=(t|true|on|y|yes|1)$'
      )
      and coalesce(obj_description(c.oid, 'pg_class'), '') !~ '(^|\\s)@sharedSafe\\M'
    order by 1`,
};

export const materializedViewHidden: Rule = {
  id: "materialized-view-hidden",
  level: "error",
  title: "No visitor role can SELECT from a materialized view",
  why: "Materialized views have no row-level security: whoever may select sees every gym's rows",
  fix: "revoke select on … from …; serve it through a security_invoker view or a function that filters by app_hidden.current_tenant_id()",
  sql: `
    select format('%I.%I', n.nspname, c.relname) as object,
           format('selectable by %s', string_agg(r.rolname, ', ' order by r.rolname)) as detail
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_roles r on r.rolname = any(:visitor_roles)
    where c.relkind = 'm' and n.nspname = any(:schemas)
      and has_any_column_privilege(r.oid, c.oid, 'SELECT')
    group by n.nspname, c.relname
    order by 1`,
};

export const viewRules: Rule[] = [viewSecurityInvoker, materializedViewHidden];
