--------------------------------------------------------------------------------
-- memberships: the authoritative map of who belongs to which gym with which role.
-- A person may belong to several gyms (a coach at one can be a member at another); the
-- token names one gym at a time (app_public.switch_gym changes it).
-- Created through app_public.add_gym_user; removing one kills that user's tokens for the gym
-- at once (the API re-checks the membership on every request).
--------------------------------------------------------------------------------
create table app_public.memberships (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  user_id    uuid not null references app_public.users (id) on delete cascade,
  role       text not null check (role in ('member', 'personal_trainer', 'coach', 'gym_admin')),
  -- clock_timestamp: several memberships made in one transaction keep their order, which
  -- decides the gym a login lands in when no tenantId is given.
  created_at timestamptz not null default clock_timestamp(),
  primary key (tenant_id, id),
  unique (tenant_id, user_id)
);
comment on table app_public.memberships is 'Who belongs to a gym, and with which role.';
-- Login and the session check look memberships up by user across gyms.
create index memberships_user_id_idx on app_public.memberships (user_id);

create trigger _100_tenant_id_immutable before update on app_public.memberships
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.memberships enable row level security;
alter table app_public.memberships force row level security;

-- The tenant rule, for every gym-level role and every command. Each permissive policy below
-- repeats the predicate so isolation never rests on this one policy alone.
create policy memberships_tenant on app_public.memberships as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());

-- Everyone in a gym may see who else is in it (staff lists, class rosters).
create policy memberships_select on app_public.memberships for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
-- The gym admin changes roles and removes people from the gym.
create policy memberships_update_admin on app_public.memberships for update
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy memberships_delete_admin on app_public.memberships for delete
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
-- Platform owner: support view across gyms.
create policy memberships_select_platform on app_public.memberships for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy memberships_delete_platform on app_public.memberships for delete
  to ":ROLE_PLATFORM_OWNER" using (true);
-- System: login and session checks read across gyms; add_gym_user inserts.
create policy memberships_select_system on app_public.memberships for select
  to ":ROLE_SYSTEM" using (true);
create policy memberships_insert_system on app_public.memberships for insert
  to ":ROLE_SYSTEM" with check (true);

grant select on app_public.memberships to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant update (role) on app_public.memberships to ":ROLE_GYM_ADMIN";
grant delete on app_public.memberships to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert (tenant_id, user_id, role) on app_public.memberships to ":ROLE_SYSTEM";

-- Display name and email of the person behind a membership. users rows are private to their
-- owner, so these run as the system role; they answer only for a membership the caller can
-- see (same gym, or the platform owner), re-checked here because a definer function must
-- not trust a row value handed to it.
create function app_public.memberships_display_name(m app_public.memberships) returns text
  language sql stable security definer set search_path = pg_catalog
as $$
  select u.display_name
  from app_public.memberships mm
  join app_public.users u on u.id = mm.user_id
  where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
    and (mm.tenant_id = app_hidden.current_tenant_id()
         or app_hidden.current_app_role() = 'platform_owner')
$$;
comment on function app_public.memberships_display_name(app_public.memberships) is
  'The member''s display name. SECURITY DEFINER (system) because users rows are private to their owner; answers only for a membership in the caller''s gym.';

create function app_public.memberships_email(m app_public.memberships) returns text
  language sql stable security definer set search_path = pg_catalog
as $$
  select u.email::text
  from app_public.memberships mm
  join app_public.users u on u.id = mm.user_id
  where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
    and ((mm.tenant_id = app_hidden.current_tenant_id()
          and (app_hidden.current_app_role() = 'gym_admin' or mm.user_id = app_hidden.current_user_id()))
         or app_hidden.current_app_role() = 'platform_owner')
$$;
comment on function app_public.memberships_email(app_public.memberships) is
  'Contact email: visible to the gym admin, the person themself and the platform owner; NULL to everyone else. SECURITY DEFINER (system) for the same reason as memberships_display_name.';
grant execute on function
  app_public.memberships_display_name(app_public.memberships),
  app_public.memberships_email(app_public.memberships)
to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

alter function app_public.memberships_display_name(app_public.memberships) owner to ":ROLE_SYSTEM";
alter function app_public.memberships_email(app_public.memberships) owner to ":ROLE_SYSTEM";
