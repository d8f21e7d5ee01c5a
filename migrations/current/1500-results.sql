--------------------------------------------------------------------------------
-- workout_results: a member's score for a workout on a day. The member logs and edits
-- their own; an assigned personal trainer reads and logs them for their clients; coaches
-- and the admin read every member's results. Everyone in the gym sees the leaderboard
-- (best score per member, no notes) through workouts_leaderboard below.
--------------------------------------------------------------------------------
create table app_public.workout_results (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  workout_id   uuid not null,
  member_id    uuid not null default app_hidden.current_membership_id(),
  score        numeric(10, 2) not null check (score >= 0),
  is_rx        boolean not null default true,
  notes        text not null default '' check (length(notes) <= 2000),
  performed_on date not null default current_date,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, workout_id) references app_public.workouts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.workout_results is 'A member''s logged score for a workout.';
comment on column app_public.workout_results.score is
  'In the workout''s unit: seconds (time), reps, kg (load), or rounds + reps/100 (rounds_reps).';
comment on column app_public.workout_results.is_rx is 'True when done as prescribed (Rx), false when scaled.';
create index workout_results_tenant_id_workout_id_idx on app_public.workout_results (tenant_id, workout_id);
create index workout_results_tenant_id_member_id_idx on app_public.workout_results (tenant_id, member_id);

create trigger _100_tenant_id_immutable before update on app_public.workout_results
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.workout_results enable row level security;
alter table app_public.workout_results force row level security;

create policy workout_results_tenant on app_public.workout_results as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy workout_results_all_own on app_public.workout_results for all
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy workout_results_select_trainer on app_public.workout_results for select
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id));
create policy workout_results_insert_trainer on app_public.workout_results for insert
  to ":ROLE_PERSONAL_TRAINER"
  with check (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id));
create policy workout_results_update_trainer on app_public.workout_results for update
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id))
  with check (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id));
create policy workout_results_select_staff on app_public.workout_results for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy workout_results_select_platform on app_public.workout_results for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy workout_results_select_system on app_public.workout_results for select
  to ":ROLE_SYSTEM" using (true);

grant select on app_public.workout_results to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
grant insert (tenant_id, workout_id, member_id, score, is_rx, notes, performed_on),
      update (score, is_rx, notes, performed_on)
  on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant delete on app_public.workout_results to ":ROLE_MEMBER";

--------------------------------------------------------------------------------
-- The gym's internal leaderboard for a workout: each member's best result (Rx ahead of
-- scaled; lowest time, otherwise highest score), ranked. Members may not read each other's
-- results rows (notes are personal), so this runs as the system role and returns only
-- rank, person and score, for a published workout of the caller's own gym.
--------------------------------------------------------------------------------
create type app_public.leaderboard_entry as (
  rank          integer,
  membership_id uuid,
  display_name  text,
  score         numeric,
  is_rx         boolean,
  performed_on  date
);
comment on type app_public.leaderboard_entry is 'One line of a workout''s leaderboard.';

create function app_public.workouts_leaderboard(w app_public.workouts)
  returns setof app_public.leaderboard_entry
  language sql stable security definer set search_path = pg_catalog
as $$
  with wk as (
    -- Re-read the workout: a definer function must not trust the row it is handed.
    select x.tenant_id, x.id, x.scoring_type from app_public.workouts x
    where x.tenant_id = w.tenant_id and x.id = w.id
      and x.tenant_id = app_hidden.current_tenant_id()
      and (x.is_published or app_hidden.current_app_role() in ('coach', 'gym_admin'))
  ), best as (
    select distinct on (r.member_id) r.member_id, r.score, r.is_rx, r.performed_on, wk.scoring_type
    from wk join app_public.workout_results r on r.tenant_id = wk.tenant_id and r.workout_id = wk.id
    order by r.member_id, r.is_rx desc,
             case when wk.scoring_type = 'time' then r.score end asc,
             case when wk.scoring_type <> 'time' then r.score end desc,
             r.performed_on
  )
  select (rank() over (order by b.is_rx desc,
                               case when b.scoring_type = 'time' then b.score end asc,
                               case when b.scoring_type <> 'time' then b.score end desc))::integer,
         b.member_id,
         (select u.display_name from app_public.memberships m join app_public.users u on u.id = m.user_id
          where m.tenant_id = app_hidden.current_tenant_id() and m.id = b.member_id),
         b.score, b.is_rx, b.performed_on
  from best b
  order by 1, 3
$$;
comment on function app_public.workouts_leaderboard(app_public.workouts) is
  'The gym''s leaderboard for this workout: best result per member, ranked (Rx first). SECURITY DEFINER (system): members see each other''s scores here but not each other''s results rows; answers only for a workout of the caller''s gym.';
grant execute on function app_public.workouts_leaderboard(app_public.workouts) to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
alter function app_public.workouts_leaderboard(app_public.workouts) owner to ":ROLE_SYSTEM";
