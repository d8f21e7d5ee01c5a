/** The roles themselves: who may log in, who bypasses RLS, who owns what. */
import type { Rule } from "../types";

export const rolesExist: Rule = {
  id: "roles-exist",
  level: "error",
  title: "Every role the app expects exists",
  why: "Role names are derived from the database name; a missing role means the linter (and the API) are looking at the wrong roles",
  fix: "Run `npm run db:setup` (or migrations/roles.sql) for this database",
  sql: `
    select expected.name as object, 'role does not exist' as detail
    from unnest(array[:owner, :authenticator, :system] || :visitor_roles) as expected(name)
    where not exists (select 1 from pg_roles r where r.rolname = expected.name)
    order by 1`,
};

export const authenticatorLocked: Rule = {
  id: "authenticator-locked-down",
  level: "error",
  title:
    "The authenticator is not superuser, has no BYPASSRLS/CREATEROLE/REPLICATION, is NOINHERIT and cannot become system, owner or maintenance",
  why: "The API's only login must have no rights of its own: with INHERIT it holds every visitor's policies at once (platform owner's included) before it switches role",
  fix: "alter role <authenticator> nosuperuser nobypassrls nocreaterole noreplication noinherit; revoke the system/owner role from it",
  sql: `
    select r.rolname as object,
           concat_ws(', ',
             case when r.rolsuper then 'SUPERUSER' end,
             case when r.rolbypassrls then 'BYPASSRLS' end,
             case when r.rolcreaterole then 'CREATEROLE' end,
             case when r.rolreplication then 'REPLICATION' end,
             case when r.rolinherit then 'INHERIT' end,
             case when pg_has_role(r.oid, s.oid, 'MEMBER') then 'member of ' || s.rolname end,
             case when pg_has_role(r.oid, o.oid, 'MEMBER') then 'member of ' || o.rolname end,
             case when pg_has_role(r.oid, m.oid, 'MEMBER') then 'member of ' || m.rolname end) as detail
    from pg_roles r
    left join pg_roles s on s.rolname = :system
    left join pg_roles o on o.rolname = :owner
    left join pg_roles m on m.rolname = :maintenance
    where r.rolname = :authenticator
      and (r.rolsuper or r.rolbypassrls or r.rolcreaterole or r.rolreplication or r.rolinherit
           or coalesce(pg_has_role(r.oid, s.oid, 'MEMBER'), false)
           or coalesce(pg_has_role(r.oid, o.oid, 'MEMBER'), false)
           or coalesce(pg_has_role(r.oid, m.oid, 'MEMBER'), false))`,
};

export const authenticatorOwnsNothing: Rule = {
  id: "authenticator-owns-nothing",
  level: "error",
  title: "The authenticator owns no objects",
  why: "An owner bypasses non-forced RLS, can grant itself anything on what it owns and can alter it; the login the API exposes must own nothing",
  fix: "alter … owner to <owner or system role>",
  sql: `
    select pg_describe_object(d.classid, d.objid, d.objsubid) as object,
           format('owned by %s', :authenticator) as detail
    from pg_shdepend d
    join pg_roles r on r.oid = d.refobjid and r.rolname = :authenticator
    where d.refclassid = 'pg_authid'::regclass and d.deptype = 'o'
      and d.dbid in (0, (select oid from pg_database where datname = current_database()))
    order by 1`,
};

export const noRoleBypassesRls: Rule = {
  id: "no-role-bypasses-rls",
  level: "error",
  title: "No visitor, the system role or the owner is superuser or BYPASSRLS",
  why: "Row-level security is the tenant boundary; a role that bypasses it sees every gym",
  fix: "alter role … nosuperuser nobypassrls",
  sql: `
    select r.rolname as object,
           concat_ws(', ', case when r.rolsuper then 'SUPERUSER' end,
                           case when r.rolbypassrls then 'BYPASSRLS' end) as detail
    from pg_roles r
    where r.rolname = any(:visitor_roles || array[:system, :owner])
      and (r.rolsuper or r.rolbypassrls)
    order by 1`,
};

export const roleRules: Rule[] = [rolesExist, authenticatorLocked, authenticatorOwnsNothing, noRoleBypassesRls];
