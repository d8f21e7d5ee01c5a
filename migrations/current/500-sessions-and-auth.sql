--------------------------------------------------------------------------------
-- Sessions and login. A token names a session (sid); the API asks Postgres on every request
-- whether that session is still live, the user still enabled and the membership still there,
-- so logout, disabling a user or removing a membership take effect immediately.
--------------------------------------------------------------------------------
create table app_private.sessions (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references app_public.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index sessions_user_id_idx on app_private.sessions (user_id);
alter table app_private.sessions enable row level security;
alter table app_private.sessions force row level security;
create policy sessions_system on app_private.sessions for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update (revoked_at) on app_private.sessions to ":ROLE_SYSTEM";

-- What a successful login or gym switch returns. PostGraphile signs it (HS256, JWT_SECRET,
-- audience from the server config) because graphile.config.ts names it as the JWT type.
create type app_public.jwt_token as (
  role      text,
  tenant_id uuid,
  sub       uuid,
  sid       uuid,
  exp       bigint
);

-- Token lifetime. A session outlives its tokens; switch_gym issues a fresh one.
create function app_private.token_expiry() returns bigint
  language sql stable set search_path = pg_catalog
  as $$ select extract(epoch from now() + interval '12 hours')::bigint $$;
grant execute on function app_private.token_expiry() to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- authenticate(email, password[, tenantId]) → token
-- SECURITY DEFINER (system): a visitor cannot read password hashes or other people's
-- memberships, and must not be able to. Same error for unknown email and wrong password.
--------------------------------------------------------------------------------
create function app_public.authenticate(email text, password text, tenant_id uuid default null)
  returns app_public.jwt_token
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_user app_public.users;
  v_hash text;
  v_role text;
  v_tenant uuid;
  v_sid uuid;
begin
  select u.* into v_user from app_public.users u where u.email = authenticate.email::citext;
  select s.password_hash into v_hash from app_private.user_secrets s where s.user_id = v_user.id;
  -- A person added without a password has the unusable hash '!': treat it like no hash at all
  -- (crypt() would raise "invalid salt", 22023, and tell the caller the account exists).
  if v_hash not like '$2_$%' then
    v_hash := null;
  end if;
  if v_user.id is null or v_hash is null or v_user.is_disabled
     or crypt(password, v_hash) is distinct from v_hash then
    if v_hash is null then
      -- Spend the same bcrypt time for an unknown email, so timing does not tell.
      perform crypt(coalesce(password, ''), gen_salt('bf', 8));
    end if;
    raise exception 'Invalid email or password' using errcode = 'IC003';
  end if;

  if authenticate.tenant_id is null
     and exists (select 1 from app_private.platform_owners p where p.user_id = v_user.id) then
    v_role := 'platform_owner';
  else
    select m.tenant_id, m.role into v_tenant, v_role
    from app_public.memberships m
    where m.user_id = v_user.id
      and (authenticate.tenant_id is null or m.tenant_id = authenticate.tenant_id)
    order by m.created_at, m.tenant_id
    limit 1;
    if v_role is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
  end if;

  insert into app_private.sessions (user_id) values (v_user.id) returning id into v_sid;
  return row(v_role, v_tenant, v_user.id, v_sid, app_private.token_expiry())::app_public.jwt_token;
end;
$$;
comment on function app_public.authenticate(text, text, uuid) is
  E'@resultFieldName jwtToken\n@anonymousOk logging in is how an anonymous visitor gets a token\nLog in. Returns a signed JWT for your first gym (or the gym given by tenantId); platform owners get a platform-wide token. SECURITY DEFINER (system): reads password hashes and memberships no visitor may read.';

--------------------------------------------------------------------------------
-- switch_gym(tenantId) → token for the same session, in another gym the caller belongs to.
--------------------------------------------------------------------------------
create function app_public.switch_gym(tenant_id uuid) returns app_public.jwt_token
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_role text;
begin
  select m.role into v_role from app_public.memberships m
  where m.tenant_id = switch_gym.tenant_id and m.user_id = app_hidden.current_user_id();
  if v_role is null or app_hidden.current_session_id() is null then
    -- Same answer whether the gym exists or not: another gym's existence is not revealed.
    raise exception 'You are not a member of that gym' using errcode = 'IC004';
  end if;
  return row(v_role, switch_gym.tenant_id, app_hidden.current_user_id(),
             app_hidden.current_session_id(), app_private.token_expiry())::app_public.jwt_token;
end;
$$;
comment on function app_public.switch_gym(uuid) is
  E'@resultFieldName jwtToken\nReturns a token for another gym you belong to, with the role you hold there. SECURITY DEFINER (system): reads your memberships in other gyms, which RLS hides from the current gym''s context.';

--------------------------------------------------------------------------------
-- logout() revokes the current session: every token issued for it stops working.
--------------------------------------------------------------------------------
create function app_public.logout() returns boolean
  language sql volatile security definer set search_path = pg_catalog
as $$
  update app_private.sessions set revoked_at = now()
  where id = app_hidden.current_session_id() and user_id = app_hidden.current_user_id()
    and revoked_at is null
  returning true
$$;
comment on function app_public.logout() is
  'Revokes the current session. SECURITY DEFINER (system): sessions are private.';

--------------------------------------------------------------------------------
-- session_is_valid: asked by the API (as the authenticator, before it switches role) for
-- every request that carries a token.
--------------------------------------------------------------------------------
create function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, role text)
  returns boolean
  language sql stable security definer set search_path = pg_catalog
as $$
  select exists (
    select 1
    from app_private.sessions s
    join app_public.users u on u.id = s.user_id
    where s.id = session_is_valid.sid
      and s.user_id = session_is_valid.user_id
      and s.revoked_at is null
      and not u.is_disabled
      and case
            when session_is_valid.role = 'platform_owner' then
              session_is_valid.tenant_id is null
              and exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
            else exists (
              select 1 from app_public.memberships m
              where m.tenant_id = session_is_valid.tenant_id
                and m.user_id = u.id and m.role = session_is_valid.role)
          end
  )
$$;
comment on function app_hidden.session_is_valid(uuid, uuid, uuid, text) is
  'True while the session is live, the user enabled and the claimed membership (or platform ownership) still held. SECURITY DEFINER (system): the authenticator itself can read nothing.';

grant execute on function app_public.authenticate(text, text, uuid) to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

grant execute on function app_public.switch_gym(uuid), app_public.logout() to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant execute on function app_hidden.session_is_valid(uuid, uuid, uuid, text) to ":DATABASE_AUTHENTICATOR";
-- Grants first: once the system role owns them, the migration owner can no longer grant.
alter function app_public.authenticate(text, text, uuid) owner to ":ROLE_SYSTEM";
alter function app_public.switch_gym(uuid) owner to ":ROLE_SYSTEM";
alter function app_public.logout() owner to ":ROLE_SYSTEM";
alter function app_hidden.session_is_valid(uuid, uuid, uuid, text) owner to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Who am I? Plain invoker functions: RLS already limits users/gyms to the caller's own rows.
-- An anonymous visitor may ask too, but has no right on users or gyms at all (reading the
-- table would be "permission denied"), so without a user / gym the answer is null at once.
--------------------------------------------------------------------------------
create function app_public.me() returns app_public.users
  language plpgsql stable
as $$
begin
  if app_hidden.current_user_id() is null then
    return null;
  end if;
  return (select u from app_public.users u where u.id = app_hidden.current_user_id());
end;
$$;
comment on function app_public.me() is 'The logged-in user, or null.';

create function app_public.current_gym() returns app_public.gyms
  language plpgsql stable
as $$
begin
  if app_hidden.current_tenant_id() is null then
    return null;
  end if;
  return (select g from app_public.gyms g where g.id = app_hidden.current_tenant_id());
end;
$$;
comment on function app_public.current_gym() is 'The gym the current token is for, or null.';

create function app_public.my_role() returns text
  language sql stable
  as $$ select app_hidden.current_app_role() $$;
comment on function app_public.my_role() is
  'Your role in the current gym: member, personal_trainer, coach, gym_admin, platform_owner or anonymous.';

grant execute on function app_public.me(), app_public.current_gym(), app_public.my_role() to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

--------------------------------------------------------------------------------
-- Housekeeping (graphile-worker task `prune_sessions`, daily): forget sessions that were
-- revoked, or are older than any token could be, a week ago.
--------------------------------------------------------------------------------
create function app_private.prune_sessions() returns integer
  language sql volatile security definer set search_path = pg_catalog
as $$
  with gone as (
    delete from app_private.sessions
    where coalesce(revoked_at, created_at + interval '30 days') < now() - interval '7 days'
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function app_private.prune_sessions() is
  'Delete long-dead sessions. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on sessions.';
alter function app_private.prune_sessions() owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM"; -- see create_platform_owner: the grant must come from the new owner
grant execute on function app_private.prune_sessions() to ":DATABASE_OWNER";
reset role;
grant delete on app_private.sessions to ":ROLE_SYSTEM";
