--------------------------------------------------------------------------------
-- Provisioning: the only ways gyms, users and memberships come into being.
-- All SECURITY DEFINER (system) because they write identity tables no visitor may write;
-- each is executable only by the roles named in its grant, and re-checks the caller's gym.
--------------------------------------------------------------------------------

-- Shared by add_gym_user and create_platform_owner: find a user by email or create them.
-- A new user without a password cannot log in until one is set (unusable hash).
create function app_private.find_or_create_user(email text, display_name text, password text)
  returns uuid
  language plpgsql volatile set search_path = pg_catalog, public
as $$
declare
  v_id uuid;
begin
  select u.id into v_id from app_public.users u where u.email = find_or_create_user.email::citext;
  if v_id is null then
    insert into app_public.users (email, display_name)
      values (find_or_create_user.email, find_or_create_user.display_name)
      returning id into v_id;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_id, case when password is null then '!' else crypt(password, gen_salt('bf', 8)) end);
  end if;
  return v_id;
end;
$$;

create function app_public.provision_gym(name text, slug text, plan text default 'free')
  returns app_public.gyms
  language sql volatile security definer set search_path = pg_catalog, public
as $$
  insert into app_public.gyms (name, slug, plan)
    values (provision_gym.name, provision_gym.slug::citext, coalesce(provision_gym.plan, 'free'))
  returning *
$$;
comment on function app_public.provision_gym(text, text, text) is
  'Platform owner: create a gym (tenant). SECURITY DEFINER (system) because no visitor role may insert gyms directly.';
grant execute on function app_public.provision_gym(text, text, text) to ":ROLE_PLATFORM_OWNER";
alter function app_private.find_or_create_user(text, text, text) owner to ":ROLE_SYSTEM";
alter function app_public.provision_gym(text, text, text) owner to ":ROLE_SYSTEM";

-- Add a person to a gym with a role. A gym admin adds to their own gym only; the platform
-- owner names the gym. An existing login (same email) is linked, not duplicated, and the
-- password argument is then ignored: nothing about the person's other gyms is revealed.
create function app_public.add_gym_user(
  email text, display_name text, role text, password text default null, tenant_id uuid default null
) returns app_public.memberships
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_tenant uuid;
  v_membership app_public.memberships;
begin
  if app_hidden.current_app_role() = 'platform_owner' then
    v_tenant := add_gym_user.tenant_id;
  elsif app_hidden.current_app_role() = 'gym_admin'
        and (add_gym_user.tenant_id is null or add_gym_user.tenant_id = app_hidden.current_tenant_id()) then
    v_tenant := app_hidden.current_tenant_id();
  end if;
  if v_tenant is null then
    raise exception 'Only a gym admin (for their own gym) or the platform owner may add people'
      using errcode = 'IC002';
  end if;

  insert into app_public.memberships (tenant_id, user_id, role)
    values (v_tenant,
            app_private.find_or_create_user(add_gym_user.email, add_gym_user.display_name, add_gym_user.password),
            add_gym_user.role)
    returning * into v_membership;
  return v_membership;
end;
$$;
comment on function app_public.add_gym_user(text, text, text, text, uuid) is
  'Gym admin (own gym) or platform owner (any gym): add a person with a role, creating their login if the email is new. SECURITY DEFINER (system): creates users, which no visitor may insert.';
grant execute on function app_public.add_gym_user(text, text, text, text, uuid) to
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
alter function app_public.add_gym_user(text, text, text, text, uuid) owner to ":ROLE_SYSTEM";

-- Bootstrap: the first platform owner is made by the database owner (seed / CLI), never
-- through the API.
create function app_private.create_platform_owner(email text, display_name text, password text)
  returns uuid
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_id uuid := app_private.find_or_create_user(email, display_name, password);
begin
  insert into app_private.platform_owners (user_id) values (v_id) on conflict do nothing;
  return v_id;
end;
$$;
comment on function app_private.create_platform_owner(text, text, text) is
  'Make (or promote) a platform owner. SECURITY DEFINER (system); executable only by the database owner.';
alter function app_private.create_platform_owner(text, text, text) owner to ":ROLE_SYSTEM";
-- ALTER OWNER hands the old owner's own rights to the new owner, so the grant to the
-- database owner is made by the system role after the transfer.
set role ":ROLE_SYSTEM";
grant execute on function app_private.create_platform_owner(text, text, text) to ":DATABASE_OWNER";
reset role;
