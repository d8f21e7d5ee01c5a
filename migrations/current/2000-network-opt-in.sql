--------------------------------------------------------------------------------
-- The network: gyms and members choose to appear across gyms (directory, leaderboards).
--
-- The cross-gym layer (schema app_shared) is owned by the shared role (":ROLE_SHARED",
-- NOLOGIN, never granted to the authenticator). Tenant tables force RLS on everyone,
-- including the shared role, so the shared role reads tenant data only through the
-- policies below, each limited to rows that opted into the network, and only the columns
-- granted to it. Nothing here is granted to a visitor role except through app_shared's
-- functions, which return only the permitted columns (see docs/SHARED.md).
--------------------------------------------------------------------------------

grant usage on schema app_public, app_hidden to ":ROLE_SHARED";
-- CREATE: the shared role owns app_shared's materialized views and functions.
grant usage, create on schema app_shared to ":ROLE_SHARED";
-- The worker (owner) calls app_shared.refresh_leaderboards(); the authenticator nothing here.
grant usage on schema app_shared to ":DATABASE_OWNER";

--------------------------------------------------------------------------------
-- Gym opt-in and directory card. Default: not in the network.
--------------------------------------------------------------------------------
alter table app_public.gyms
  add column network_opt_in boolean not null default false,
  add column city text check (length(city) between 1 and 100),
  add column description text check (length(description) between 1 and 1000);
comment on column app_public.gyms.network_opt_in is
  'The gym appears in the network: the public directory and cross-gym leaderboards. Off by default; turning it off hides the gym from the network at once.';
comment on column app_public.gyms.city is 'City shown on the gym''s directory card (if it is in the network).';
comment on column app_public.gyms.description is 'Short description shown on the gym''s directory card (if it is in the network).';

grant update (network_opt_in, city, description) on app_public.gyms to ":ROLE_GYM_ADMIN";
grant update (network_opt_in, city, description) on app_public.gyms to ":ROLE_PLATFORM_OWNER";

-- Shared role: sees a gym only while it is in the network, and only its public columns.
create policy gyms_select_shared on app_public.gyms for select
  to ":ROLE_SHARED" using (network_opt_in);
grant select (id, name, network_opt_in, city, description) on app_public.gyms to ":ROLE_SHARED";

--------------------------------------------------------------------------------
-- Policy helpers for the shared role. STABLE, invoker (they run as the shared role, so
-- they see only what its policies allow), pinned search_path (REFRESH MATERIALIZED VIEW runs
-- with a restricted search_path since PostgreSQL 17; everything is schema-qualified).
--------------------------------------------------------------------------------
create function app_shared.gym_in_network(tenant_id uuid) returns boolean
  language sql stable parallel safe set search_path = pg_catalog
as $$
  select coalesce((select g.network_opt_in from app_public.gyms g where g.id = gym_in_network.tenant_id), false)
$$;
comment on function app_shared.gym_in_network(uuid) is
  E'@behavior -*\nTrue while the gym is in the network. Policy helper for the shared role (invoker).';

-- (app_hidden.current_membership_id(), the caller's membership in the current gym, is
-- defined with the profiles in 1100.)

--------------------------------------------------------------------------------
-- memberships: the shared role counts members of network gyms (directory size band) and
-- links results to members. No user_id, no role.
--------------------------------------------------------------------------------
create policy memberships_select_shared on app_public.memberships for select
  to ":ROLE_SHARED" using (app_shared.gym_in_network(tenant_id));
grant select (tenant_id, id) on app_public.memberships to ":ROLE_SHARED";

--------------------------------------------------------------------------------
-- network_preferences: a member's own choice to appear on network leaderboards, and the
-- name shown there. No row (the default) or show_on_leaderboards = false: not shown.
--------------------------------------------------------------------------------
create table app_public.network_preferences (
  tenant_id            uuid not null default app_hidden.current_tenant_id()
                       references app_public.gyms (id) on delete cascade,
  membership_id        uuid not null default app_hidden.current_membership_id(),
  show_on_leaderboards boolean not null default true,
  display_name         text not null check (length(btrim(display_name)) between 1 and 50),
  updated_at           timestamptz not null default now(),
  primary key (tenant_id, membership_id),
  foreign key (tenant_id, membership_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.network_preferences is
  'Your choice to appear on network (cross-gym) leaderboards, and the name shown there. Only yours is visible to you. Without a row you do not appear.';
comment on column app_public.network_preferences.display_name is
  'The name other gyms see next to your scores (not your login name).';
-- The primary key (tenant_id, membership_id) covers the foreign key.

create trigger _100_tenant_id_immutable before update on app_public.network_preferences
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg_network_preferences__touch() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  new.updated_at := now();
  if new.membership_id is distinct from old.membership_id then
    raise exception 'A preference belongs to one membership' using errcode = 'IC002';
  end if;
  return new;
end;
$$;
create trigger _200_touch before update on app_public.network_preferences
  for each row execute function app_private.tg_network_preferences__touch();

alter table app_public.network_preferences enable row level security;
alter table app_public.network_preferences force row level security;

create policy network_preferences_tenant on app_public.network_preferences as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- Your own row only, whatever your role (a display name is the member's choice).
create policy network_preferences_own on app_public.network_preferences for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and membership_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and membership_id = app_hidden.current_membership_id());
create policy network_preferences_select_platform on app_public.network_preferences for select
  to ":ROLE_PLATFORM_OWNER" using (true);
-- Shared role: only members who chose to show, in gyms that are in the network.
create policy network_preferences_select_shared on app_public.network_preferences for select
  to ":ROLE_SHARED" using (show_on_leaderboards and app_shared.gym_in_network(tenant_id));

-- Rows are created through app_public.set_network_preferences (below), never by a direct
-- INSERT: one row per membership, always the caller's own.
create policy network_preferences_system on app_public.network_preferences for all
  to ":ROLE_SYSTEM" using (true) with check (true);

grant select, delete on app_public.network_preferences to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (show_on_leaderboards, display_name)
  on app_public.network_preferences to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant select on app_public.network_preferences to ":ROLE_PLATFORM_OWNER";
grant select, insert (tenant_id, membership_id, show_on_leaderboards, display_name),
      update (show_on_leaderboards, display_name)
  on app_public.network_preferences to ":ROLE_SYSTEM";
grant select (tenant_id, membership_id, show_on_leaderboards, display_name)
  on app_public.network_preferences to ":ROLE_SHARED";

-- True while this member shows on network leaderboards (their choice and their gym's).
create function app_shared.member_in_network(tenant_id uuid, membership_id uuid) returns boolean
  language sql stable parallel safe set search_path = pg_catalog
as $$
  select exists (
    select 1 from app_public.network_preferences p
    where p.tenant_id = member_in_network.tenant_id
      and p.membership_id = member_in_network.membership_id
      and p.show_on_leaderboards
  ) and app_shared.gym_in_network(member_in_network.tenant_id)
$$;
comment on function app_shared.member_in_network(uuid, uuid) is
  E'@behavior -*\nTrue while the member and their gym are in the network. Policy helper for the shared role (invoker).';

grant execute on function app_shared.gym_in_network(uuid), app_shared.member_in_network(uuid, uuid)
  to ":ROLE_SHARED";

-- Set (create or change) your own preference. SECURITY DEFINER (system) so that the row is
-- always the caller's own: it takes gym and membership from the token, never from input.
create function app_public.set_network_preferences(show_on_leaderboards boolean, display_name text)
  returns app_public.network_preferences
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_membership uuid := app_hidden.current_membership_id();
  v_row app_public.network_preferences;
begin
  if v_membership is null then
    raise exception 'Only a member of a gym has network preferences' using errcode = 'IC002';
  end if;
  insert into app_public.network_preferences as p (tenant_id, membership_id, show_on_leaderboards, display_name)
    values (app_hidden.current_tenant_id(), v_membership,
            coalesce(set_network_preferences.show_on_leaderboards, false), set_network_preferences.display_name)
  on conflict (tenant_id, membership_id) do update
    set show_on_leaderboards = excluded.show_on_leaderboards, display_name = excluded.display_name
  returning p.* into v_row;
  return v_row;
end;
$$;
comment on function app_public.set_network_preferences(boolean, text) is
  'Choose whether your scores appear on network leaderboards, and under which name. Takes effect on the live leaderboards at once. SECURITY DEFINER (system): creates only the caller''s own row (gym and membership from the token).';
grant execute on function app_public.set_network_preferences(boolean, text) to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
alter function app_public.set_network_preferences(boolean, text) owner to ":ROLE_SYSTEM";

create function app_public.current_network_preferences() returns app_public.network_preferences
  language sql stable set search_path = pg_catalog
as $$
  select p.* from app_public.network_preferences p
  where p.tenant_id = app_hidden.current_tenant_id() and p.membership_id = app_hidden.current_membership_id()
$$;
comment on function app_public.current_network_preferences() is 'Your network leaderboard preference in the current gym, or null (not shown).';
grant execute on function app_public.current_network_preferences() to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- benchmarks: the global catalog of named benchmark workouts (Fran, Grace, Murph…). A gym's
-- workout may link to one; results of such workouts rank on network leaderboards.
--------------------------------------------------------------------------------
create table app_public.benchmarks (
  id              uuid primary key default gen_random_uuid(),
  slug            citext not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name            text not null check (length(name) between 1 and 100),
  description     text not null default '',
  score_type      text not null check (score_type in ('time', 'reps', 'rounds_reps', 'load')),
  lower_is_better boolean not null generated always as (score_type = 'time') stored,
  archived_at     timestamptz,
  -- target of workouts (benchmark_id, scoring_type): a linked workout scores the same way.
  unique (id, score_type)
);
comment on table app_public.benchmarks is
  E'@global The benchmark catalog is platform-wide reference data (no gym''s data): every gym links its workouts to the same Fran.\nA named benchmark workout ranked across the network.';
comment on column app_public.benchmarks.score_type is
  'How a result is scored, as workouts.scoring_type: time (seconds, lower is better), reps, rounds_reps (rounds + reps/100) or load (kg); higher is better except for time.';

alter table app_public.benchmarks enable row level security;
alter table app_public.benchmarks force row level security;
-- Everyone (and the shared role) reads the live catalog; archived entries only the platform owner.
create policy benchmarks_select on app_public.benchmarks for select
  to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_SHARED"
  using (archived_at is null);
create policy benchmarks_platform on app_public.benchmarks for all
  to ":ROLE_PLATFORM_OWNER" using (true) with check (true);

grant select on app_public.benchmarks to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN",
  ":ROLE_PLATFORM_OWNER", ":ROLE_SHARED";
grant insert (slug, name, description, score_type), update (name, description, archived_at)
  on app_public.benchmarks to ":ROLE_PLATFORM_OWNER";

-- The catalog ships with the classic benchmarks. (Runs as the owner: a bypass of the
-- platform-owner policy is needed only here, hence the brief role switch.)
set role ":ROLE_PLATFORM_OWNER";
insert into app_public.benchmarks (slug, name, score_type, description) values
  ('fran',   'Fran',   'time',        '21-15-9 thrusters (43/30 kg) and pull-ups'),
  ('grace',  'Grace',  'time',        '30 clean and jerks (61/43 kg) for time'),
  ('helen',  'Helen',  'time',        '3 rounds: 400 m run, 21 kettlebell swings, 12 pull-ups'),
  ('diane',  'Diane',  'time',        '21-15-9 deadlifts (102/70 kg) and handstand push-ups'),
  ('karen',  'Karen',  'time',        '150 wall-ball shots for time'),
  ('murph',  'Murph',  'time',        '1 mile run, 100 pull-ups, 200 push-ups, 300 squats, 1 mile run'),
  ('cindy',  'Cindy',  'rounds_reps', 'AMRAP 20: 5 pull-ups, 10 push-ups, 15 squats'),
  ('back-squat-1rm', 'Back squat 1RM', 'load', 'Heaviest single back squat');
reset role;
