--------------------------------------------------------------------------------
-- Who am I in this gym? Domain tables name people by their membership (tenant-scoped, so
-- every reference is a composite (tenant_id, membership_id) key), not by the global user.
-- SECURITY DEFINER (system) and STABLE so that policies can say
-- `member_id = app_hidden.current_membership_id()` without a subquery (Citus rejects
-- subqueries in policies) and without depending on the caller's own memberships policy.
--------------------------------------------------------------------------------
create function app_hidden.current_membership_id() returns uuid
  language sql stable security definer set search_path = pg_catalog
as $$
  select m.id from app_public.memberships m
  where m.tenant_id = app_hidden.current_tenant_id()
    and m.user_id = app_hidden.current_user_id()
$$;
comment on function app_hidden.current_membership_id() is
  'The caller''s membership in the current gym (NULL for anonymous and the platform owner). SECURITY DEFINER (system) so policies can use it without a subquery.';
grant execute on function app_hidden.current_membership_id() to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
alter function app_hidden.current_membership_id() owner to ":ROLE_SYSTEM";

-- The membership's role, for trigger checks such as "a class's coach is a coach".
create function app_hidden.membership_role(tenant_id uuid, membership_id uuid) returns text
  language sql stable security definer set search_path = pg_catalog
as $$
  select m.role from app_public.memberships m
  where m.tenant_id = membership_role.tenant_id and m.id = membership_role.membership_id
    and (m.tenant_id = app_hidden.current_tenant_id() or app_hidden.current_app_role() = 'platform_owner')
$$;
comment on function app_hidden.membership_role(uuid, uuid) is
  'Role of a membership in the caller''s gym (NULL otherwise). SECURITY DEFINER (system) so validation triggers work whatever the caller may read.';
grant execute on function app_hidden.membership_role(uuid, uuid) to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
alter function app_hidden.membership_role(uuid, uuid) owner to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- profiles: the in-gym face of a membership (coach, personal trainer or member). 1:1 with
-- memberships, keyed (tenant_id, membership_id): a profile belongs to exactly one gym, the
-- person behind it is the membership's global user. Created automatically with the
-- membership (trigger below) and removed with it, so nobody inserts or deletes profiles.
--------------------------------------------------------------------------------
create table app_public.profiles (
  tenant_id     uuid not null default app_hidden.current_tenant_id()
                references app_public.gyms (id) on delete cascade,
  membership_id uuid not null,
  headline      text check (length(headline) <= 200),
  bio           text check (length(bio) <= 4000),
  specialties   text[] not null default '{}',
  goals         text check (length(goals) <= 2000),
  updated_at    timestamptz not null default now(),
  primary key (tenant_id, membership_id),
  foreign key (tenant_id, membership_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.profiles is
  'A person''s profile inside one gym: coaches and trainers list specialties, members their goals. Everyone in the gym can read it; only its owner (or the gym admin) edits it.';
-- The primary key (tenant_id, membership_id) covers the foreign key and tenant lookups.

create trigger _100_tenant_id_immutable before update on app_public.profiles
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg__touch_updated_at() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$ begin new.updated_at := now(); return new; end; $$;
comment on function app_private.tg__touch_updated_at() is 'Trigger: sets updated_at on every update.';
create trigger _200_touch_updated_at before update on app_public.profiles
  for each row execute function app_private.tg__touch_updated_at();

alter table app_public.profiles enable row level security;
alter table app_public.profiles force row level security;

create policy profiles_tenant on app_public.profiles as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- The gym's directory: everyone in the gym sees everyone's profile.
create policy profiles_select on app_public.profiles for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
-- You edit your own profile...
create policy profiles_update_own on app_public.profiles for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (tenant_id = app_hidden.current_tenant_id() and membership_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and membership_id = app_hidden.current_membership_id());
-- ...and the gym admin manages staff and member profiles.
create policy profiles_update_admin on app_public.profiles for update
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy profiles_select_platform on app_public.profiles for select
  to ":ROLE_PLATFORM_OWNER" using (true);
-- The system role creates the profile when a membership is created.
create policy profiles_insert_system on app_public.profiles for insert
  to ":ROLE_SYSTEM" with check (true);

grant select on app_public.profiles to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant update (headline, bio, specialties, goals) on app_public.profiles to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, membership_id) on app_public.profiles to ":ROLE_SYSTEM";

create function app_private.tg_memberships__create_profile() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  insert into app_public.profiles (tenant_id, membership_id) values (new.tenant_id, new.id);
  return null;
end;
$$;
comment on function app_private.tg_memberships__create_profile() is
  'Trigger: every new membership gets its (empty) profile. SECURITY DEFINER (system): no visitor role may insert profiles.';
create trigger _300_create_profile after insert on app_public.memberships
  for each row execute function app_private.tg_memberships__create_profile();
alter function app_private.tg_memberships__create_profile() owner to ":ROLE_SYSTEM"; -- after CREATE TRIGGER (see 1000)

-- The profile's display name, so a profile can be shown without walking to the membership.
create function app_public.profiles_display_name(p app_public.profiles) returns text
  language sql stable
  as $$
    select app_public.memberships_display_name(m) from app_public.memberships m
    where m.tenant_id = p.tenant_id and m.id = p.membership_id
  $$;
comment on function app_public.profiles_display_name(app_public.profiles) is 'Display name of the person.';
grant execute on function app_public.profiles_display_name(app_public.profiles) to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
