--------------------------------------------------------------------------------
-- workouts: the gym's programming, authored by coaches (and the gym admin). A draft is
-- visible only to coaches and the admin; members and trainers see published workouts.
-- scoring_type says what a result's score means (see workout_results.score).
--------------------------------------------------------------------------------
create table app_public.workouts (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  author_id    uuid default app_hidden.current_membership_id(),
  title        text not null check (length(title) between 1 and 200),
  description  text not null default '' check (length(description) <= 10000),
  scoring_type text not null check (scoring_type in ('time', 'reps', 'load', 'rounds_reps')),
  is_published boolean not null default false,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete set null (author_id)
);
comment on table app_public.workouts is
  'A workout (programming) written by a coach: title, description, how it is scored, and whether members can see it yet.';
comment on column app_public.workouts.scoring_type is
  'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100, e.g. 5 rounds + 12 reps = 5.12).';
comment on column app_public.workouts.is_published is 'Drafts are visible only to coaches and the gym admin.';
create index workouts_tenant_id_author_id_idx on app_public.workouts (tenant_id, author_id);
create index workouts_tenant_id_published_idx on app_public.workouts (tenant_id, is_published);

create trigger _100_tenant_id_immutable before update on app_public.workouts
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.workouts enable row level security;
alter table app_public.workouts force row level security;

create policy workouts_tenant on app_public.workouts as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy workouts_select_published on app_public.workouts for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and is_published);
-- Coaches manage programming; the admin sees (and may fix) everything in the gym.
create policy workouts_select_staff on app_public.workouts for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy workouts_insert_staff on app_public.workouts for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id());
create policy workouts_update_staff on app_public.workouts for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy workouts_delete_staff on app_public.workouts for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy workouts_select_platform on app_public.workouts for select
  to ":ROLE_PLATFORM_OWNER" using (true);
-- The leaderboard (1500) reads workouts as the system role.
create policy workouts_select_system on app_public.workouts for select
  to ":ROLE_SYSTEM" using (true);

grant select on app_public.workouts to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
grant insert (tenant_id, author_id, title, description, scoring_type, is_published),
      update (author_id, title, description, scoring_type, is_published), delete
  on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
