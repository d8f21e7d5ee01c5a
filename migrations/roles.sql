-- Roles for one Ironclad database. Run as a superuser by `npm run db:setup`, by `npm start`
-- (embedded server) and by the test harness, BEFORE the database exists (graphile-migrate's
-- reset needs the owner role to exist). Idempotent: re-running it only re-asserts attributes
-- and passwords. Role names are derived from the database name (placeholders filled by
-- src/db/roles.ts) so two Ironclad databases on one server never share a role.

do $$
declare
  visitor text;
begin
  -- The owner owns every object and runs migrations. NOINHERIT: it may SET ROLE to the
  -- roles below (needed to hand function ownership to the system role and to run the seed
  -- as a real visitor), but never silently gains their row-level-security policies.
  if not exists (select 1 from pg_roles where rolname = ':DATABASE_OWNER') then
    create role ":DATABASE_OWNER" with login noinherit nosuperuser nobypassrls;
  end if;
  alter role ":DATABASE_OWNER" with login noinherit nosuperuser nobypassrls password ':DATABASE_OWNER_PASSWORD';

  -- The only role the API's pool logs in as. It owns nothing and has no rights of its own
  -- (NOINHERIT): every request switches to one visitor role for one transaction.
  if not exists (select 1 from pg_roles where rolname = ':DATABASE_AUTHENTICATOR') then
    create role ":DATABASE_AUTHENTICATOR" with login noinherit nosuperuser nobypassrls nocreatedb nocreaterole;
  end if;
  alter role ":DATABASE_AUTHENTICATOR" with login noinherit nosuperuser nobypassrls nocreatedb nocreaterole
    password ':DATABASE_AUTHENTICATOR_PASSWORD';

  -- Internal, NOLOGIN: owns the few SECURITY DEFINER functions that must look across gyms
  -- (login, switching gym, provisioning). Never granted to the authenticator.
  if not exists (select 1 from pg_roles where rolname = ':ROLE_SYSTEM') then
    create role ":ROLE_SYSTEM" with nologin noinherit nobypassrls;
  end if;

  -- Internal, NOLOGIN: owns the cross-gym layer (app_shared): its materialized views, the
  -- SECURITY DEFINER functions that expose them and the directory. Its own RLS policies let it
  -- read only rows of gyms and members that opted into the network, and only the columns it
  -- is granted. Never granted to the authenticator.
  if not exists (select 1 from pg_roles where rolname = ':ROLE_SHARED') then
    create role ":ROLE_SHARED" with nologin noinherit nobypassrls;
  end if;
  alter role ":ROLE_SHARED" with nologin noinherit nobypassrls;

  -- Internal, NOLOGIN, BYPASSRLS: the operator's tools (`npm run gym -- export|import|offboard|
  -- erase-person`, `npm run db:backup|db:restore`) must see every tenant table although RLS is
  -- forced for the owner. Only the owner may SET ROLE to it (the owner already owns every table
  -- and could lift RLS itself, so this grants it nothing new); never the authenticator, so no
  -- API request can reach it. Its table rights come from migrations (section 2500).
  if not exists (select 1 from pg_roles where rolname = ':ROLE_MAINTENANCE') then
    create role ":ROLE_MAINTENANCE" with nologin noinherit bypassrls;
  end if;
  alter role ":ROLE_MAINTENANCE" with nologin noinherit bypassrls nosuperuser nocreatedb nocreaterole;
  execute format('grant %I to %I', ':ROLE_MAINTENANCE', ':DATABASE_OWNER');
  -- Importing a tenant bundle loads rows as they were exported, triggers off (a membership's
  -- trigger would otherwise create a second profile); the import re-checks every foreign key.
  execute format('grant set on parameter session_replication_role to %I', ':ROLE_MAINTENANCE');

  -- Visitor roles: one per JWT `role` claim. NOLOGIN; reachable only through the authenticator.
  foreach visitor in array array[
    ':ROLE_ANONYMOUS', ':ROLE_MEMBER', ':ROLE_PERSONAL_TRAINER',
    ':ROLE_COACH', ':ROLE_GYM_ADMIN', ':ROLE_PLATFORM_OWNER'
  ] loop
    if not exists (select 1 from pg_roles where rolname = visitor) then
      execute format('create role %I with nologin noinherit nobypassrls', visitor);
    end if;
    execute format('grant %I to %I', visitor, ':DATABASE_AUTHENTICATOR');
    -- The owner may become a visitor (the seed runs through the real API functions).
    execute format('grant %I to %I', visitor, ':DATABASE_OWNER');
  end loop;

  execute format('grant %I to %I', ':ROLE_SYSTEM', ':DATABASE_OWNER');
  -- The owner hands the shared layer's objects to the shared role (ALTER … OWNER needs it).
  execute format('grant %I to %I', ':ROLE_SHARED', ':DATABASE_OWNER');
end
$$;
