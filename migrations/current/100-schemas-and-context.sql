--------------------------------------------------------------------------------
-- Schemas
--   app_public  tenant-scoped tables and functions exposed to GraphQL
--   app_hidden  helpers visitors may call but GraphQL never exposes (request context)
--   app_private credentials, sessions, internals: no visitor role has any right here
--   app_shared  the only place cross-gym data may ever be read from (later issue)
--------------------------------------------------------------------------------
drop schema if exists app_public cascade;
drop schema if exists app_hidden cascade;
drop schema if exists app_private cascade;
drop schema if exists app_shared cascade;

create schema app_public;
create schema app_hidden;
create schema app_private;
create schema app_shared;

-- Functions are executable by PUBLIC by default; we grant execute explicitly instead.
alter default privileges revoke execute on functions from public;

grant usage on schema app_public, app_hidden, app_shared to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

-- The system role owns SECURITY DEFINER functions (it needs CREATE to be made their owner)
-- and reads the identity tables through its own narrow policies.
grant usage, create on schema app_public, app_hidden, app_private to ":ROLE_SYSTEM";

-- The authenticator itself only ever calls the session check (src/auth asks Postgres whether
-- a verified token's session is still alive before switching role).
grant usage on schema app_hidden to ":DATABASE_AUTHENTICATOR";

--------------------------------------------------------------------------------
-- Request context. src/auth turns a verified JWT into these transaction-local settings
-- (set_config(..., true) inside the request's transaction, so they never outlive it and are
-- safe behind a transaction-mode pooler). On a reused connection an unset custom setting
-- reads as '' rather than NULL, hence nullif. Plain `language sql stable` one-liners: the
-- planner inlines them, so `tenant_id = app_hidden.current_tenant_id()` is an index condition
-- evaluated once per scan, not a function call per row.
--------------------------------------------------------------------------------
create function app_hidden.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.tenant_id', true), '')::uuid $$;
comment on function app_hidden.current_tenant_id() is
  'The gym (tenant) of the current request, from the verified token; NULL for anonymous and the platform owner.';

create function app_hidden.current_user_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.user_id', true), '')::uuid $$;
comment on function app_hidden.current_user_id() is
  'The user of the current request. The API checks the session is live before every request (see app_hidden.session_is_valid).';

create function app_hidden.current_session_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.session_id', true), '')::uuid $$;

create function app_hidden.current_app_role() returns text
  language sql stable parallel safe
  as $$ select coalesce(nullif(current_setting('jwt.claims.role', true), ''), 'anonymous') $$;
comment on function app_hidden.current_app_role() is
  'The JWT role claim (member, personal_trainer, coach, gym_admin, platform_owner, anonymous). Policies say TO <role> instead; this is for functions.';

grant execute on function
  app_hidden.current_tenant_id(), app_hidden.current_user_id(),
  app_hidden.current_session_id(), app_hidden.current_app_role()
to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
   ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Tenant column guard, shared by every tenant-scoped table.
-- tenant_id is set once, at insert, and never moves: a row that changed gym would be a row
-- one gym wrote and another now reads. The column has no UPDATE grant either; this trigger
-- also stops the owner and definer functions.
--------------------------------------------------------------------------------
create function app_private.tg__tenant_id_immutable() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if new.tenant_id is distinct from old.tenant_id then
    raise exception 'tenant_id cannot be changed' using errcode = 'IC001',
      hint = 'A row belongs to the gym that created it; create a new row in the other gym instead.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg__tenant_id_immutable() is
  'Trigger: rejects any UPDATE that changes tenant_id (error IC001).';

-- Error codes raised by Ironclad's own SQL live in class IC (see README "Errors").
--   IC001 tenant_id is immutable          IC002 not allowed for this role
--   IC003 invalid credentials              IC004 not a member of that gym
