--------------------------------------------------------------------------------
-- Network leaderboards: results of benchmark workouts (Fran, Grace…) ranked across every
-- gym and member in the network, by benchmark, Rx/scaled, all-time and this month.
--
-- How it is safe:
-- * The materialized views below belong to the shared role and are granted to nobody. A
--   materialized view has no RLS of its own; it holds what its owner could read at refresh
--   time: the shared role's policies let it read only published, benchmark-linked workouts,
--   and results of members who opted in, in gyms that opted in, and only the columns granted
--   to it (never notes, user ids, emails, metrics).
-- * Visitors read them only through app_shared.network_leaderboard (SECURITY DEFINER, owned
--   by the shared role), which returns rank, display name, gym name, score and date, and
--   re-checks the *current* opt-in of gym and member, so opting out hides a person at once,
--   before the next refresh drops their rows.
-- * Refresh: app_shared.refresh_leaderboards() (SECURITY DEFINER, shared role), called by the
--   graphile-worker task `refresh_leaderboards`, enqueued by triggers with a job key so a
--   burst of changes collapses into one refresh, and by the crontab as a safety net.
--------------------------------------------------------------------------------

-- REFRESH … CONCURRENTLY builds the new contents in a temporary table, as the views' owner.
do $$ begin
  execute format('grant temporary on database %I to %I', current_database(), ':ROLE_SHARED');
end $$;

-- Functions the shared role creates are not executable by PUBLIC either.
set role ":ROLE_SHARED";
alter default privileges revoke execute on functions from public;
reset role;

--------------------------------------------------------------------------------
-- A gym's workout may be one of the network's benchmarks. Benchmarks are global, so the
-- link needs no tenant_id; it is composite with scoring_type so that a "Fran" is always
-- scored as the catalog's Fran is (time), whatever gym wrote it.
--------------------------------------------------------------------------------
alter table app_public.workouts add column benchmark_id uuid;
alter table app_public.workouts add constraint workouts_benchmark_fkey
  foreign key (benchmark_id, scoring_type) references app_public.benchmarks (id, score_type)
  on delete set null (benchmark_id);
comment on column app_public.workouts.benchmark_id is
  'The network benchmark this workout is (e.g. Fran), if any: its results can rank on network leaderboards. The workout must score like the benchmark.';
comment on constraint workouts_benchmark_fkey on app_public.workouts is
  E'@fieldName benchmark\n@foreignFieldName workouts\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
create index workouts_benchmark_id_idx on app_public.workouts (benchmark_id, scoring_type)
  where benchmark_id is not null;
grant insert (benchmark_id), update (benchmark_id) on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";

-- Shared role: published benchmark workouts of network gyms; the columns the join needs.
create policy workouts_select_shared on app_public.workouts for select
  to ":ROLE_SHARED"
  using (benchmark_id is not null and is_published and app_shared.gym_in_network(tenant_id));
grant select (tenant_id, id, benchmark_id, is_published) on app_public.workouts to ":ROLE_SHARED";

-- Shared role: results of members who opted in (in gyms that opted in). No notes.
create policy workout_results_select_shared on app_public.workout_results for select
  to ":ROLE_SHARED"
  using (app_shared.member_in_network(tenant_id, member_id));
grant select (tenant_id, id, workout_id, member_id, score, is_rx, performed_on)
  on app_public.workout_results to ":ROLE_SHARED";

--------------------------------------------------------------------------------
-- The materialized views: each member's best result per benchmark and Rx/scaled.
-- Created by the shared role, so they are its own and run under its policies on refresh.
-- Internal keys (tenant_id, membership_id) stay inside; the function below never returns them.
--------------------------------------------------------------------------------
set role ":ROLE_SHARED";

create materialized view app_shared.network_best_all_time as
  select distinct on (w.benchmark_id, r.is_rx, r.tenant_id, r.member_id)
         w.benchmark_id, r.is_rx, r.tenant_id, r.member_id as membership_id, r.score, r.performed_on
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks b on b.id = w.benchmark_id
  order by w.benchmark_id, r.is_rx, r.tenant_id, r.member_id,
           case when b.lower_is_better then r.score else -r.score end, r.performed_on
with no data;
comment on materialized view app_shared.network_best_all_time is
  E'@behavior -*\nBest result per member, benchmark and Rx/scaled, all time. Internal: read only through app_shared.network_leaderboard.';
-- REFRESH … CONCURRENTLY needs a unique index covering every row.
create unique index network_best_all_time_key
  on app_shared.network_best_all_time (benchmark_id, is_rx, tenant_id, membership_id);

create materialized view app_shared.network_best_this_month as
  select distinct on (w.benchmark_id, r.is_rx, r.tenant_id, r.member_id)
         w.benchmark_id, r.is_rx, r.tenant_id, r.member_id as membership_id, r.score, r.performed_on
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks b on b.id = w.benchmark_id
  where r.performed_on >= date_trunc('month', now())::date
  order by w.benchmark_id, r.is_rx, r.tenant_id, r.member_id,
           case when b.lower_is_better then r.score else -r.score end, r.performed_on
with no data;
comment on materialized view app_shared.network_best_this_month is
  E'@behavior -*\nBest result per member, benchmark and Rx/scaled, in the calendar month of the last refresh. Internal.';
create unique index network_best_this_month_key
  on app_shared.network_best_this_month (benchmark_id, is_rx, tenant_id, membership_id);

-- When each leaderboard was last refreshed (exposed read-only through leaderboard_refreshed_at).
create table app_shared.leaderboard_refreshes (
  leaderboard  text primary key,
  refreshed_at timestamptz not null,
  row_count    integer not null
);
comment on table app_shared.leaderboard_refreshes is
  E'@behavior -*\n@global one row per leaderboard, no gym data\nLast refresh of each network leaderboard. Internal; see app_shared.leaderboard_refreshed_at().';
-- Granted to no visitor; RLS anyway (forced), so only the shared role's refresh writes it.
alter table app_shared.leaderboard_refreshes enable row level security;
alter table app_shared.leaderboard_refreshes force row level security;
create policy leaderboard_refreshes_shared on app_shared.leaderboard_refreshes for all
  to ":ROLE_SHARED" using (true) with check (true);

--------------------------------------------------------------------------------
-- Refresh. SECURITY DEFINER (shared role): only the owner of a materialized view may refresh
-- it, and the refresh must run under the shared role's policies. Executable by the database
-- owner only (the worker's login).
--------------------------------------------------------------------------------
create function app_shared.refresh_leaderboards() returns integer
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_view text;
  v_rows integer;
  v_total integer := 0;
begin
  foreach v_view in array array['network_best_all_time', 'network_best_this_month'] loop
    if (select m.ispopulated from pg_catalog.pg_matviews m
        where m.schemaname = 'app_shared' and m.matviewname = v_view) then
      -- CONCURRENTLY: readers keep reading the old contents while the new ones are built.
      execute format('refresh materialized view concurrently app_shared.%I', v_view);
    else
      execute format('refresh materialized view app_shared.%I', v_view);
    end if;
    execute format('select count(*)::integer from app_shared.%I', v_view) into v_rows;
    insert into app_shared.leaderboard_refreshes (leaderboard, refreshed_at, row_count)
      values (v_view, pg_catalog.clock_timestamp(), v_rows)
      on conflict (leaderboard) do update
        set refreshed_at = excluded.refreshed_at, row_count = excluded.row_count;
    v_total := v_total + v_rows;
  end loop;
  return v_total;
end;
$$;
comment on function app_shared.refresh_leaderboards() is
  E'@behavior -*\nRefresh every network leaderboard (concurrently once populated) and record when. SECURITY DEFINER (shared role): only the views'' owner may refresh them, and they must be built under its opt-in-limited policies. Executable by the database owner (graphile-worker) only.';
grant execute on function app_shared.refresh_leaderboards() to ":DATABASE_OWNER";

--------------------------------------------------------------------------------
-- What visitors get: one ranked line per member. SECURITY DEFINER (shared role) because the
-- views are granted to nobody; safe because it returns only rank, display name (the member's
-- chosen network name), gym name, score and date, never an id, and because it joins the
-- *current* opt-ins (under the shared role's policies), so an opt-out hides a member or gym
-- immediately.
--------------------------------------------------------------------------------
create type app_shared.network_leaderboard_entry as (
  rank         integer,
  display_name text,
  gym_name     text,
  score        numeric,
  performed_on date
);
comment on type app_shared.network_leaderboard_entry is
  E'@name network_leaderboard_entry\nOne line of a network leaderboard: nothing but rank, the athlete''s chosen network name, their gym, score and date.';

create function app_shared.network_leaderboard(benchmark text, rx boolean default true, this_month boolean default false)
  returns setof app_shared.network_leaderboard_entry
  language sql stable security definer set search_path = pg_catalog
as $$
  with best as (
    select a.benchmark_id, a.is_rx, a.tenant_id, a.membership_id, a.score, a.performed_on
      from app_shared.network_best_all_time a where not coalesce(network_leaderboard.this_month, false)
    union all
    select m.benchmark_id, m.is_rx, m.tenant_id, m.membership_id, m.score, m.performed_on
      from app_shared.network_best_this_month m where coalesce(network_leaderboard.this_month, false)
  )
  select (rank() over (order by case when bm.lower_is_better then l.score else -l.score end))::integer,
         p.display_name, g.name, l.score, l.performed_on
  from best l
  join app_public.benchmarks bm on bm.id = l.benchmark_id
  join app_public.gyms g on g.id = l.tenant_id and g.network_opt_in
  join app_public.network_preferences p
    on p.tenant_id = l.tenant_id and p.membership_id = l.membership_id and p.show_on_leaderboards
  where bm.slug::text = lower(network_leaderboard.benchmark)
    and l.is_rx = coalesce(network_leaderboard.rx, true)
  order by 1, 2, 3
$$;
comment on function app_shared.network_leaderboard(text, boolean, boolean) is
  E'@name network_leaderboard\n@sharedSafe returns only rank, chosen display name, gym name, score and date of opted-in members of opted-in gyms (current opt-ins re-checked on every call)\nThe network leaderboard of a benchmark (by slug, e.g. "fran"): Rx or scaled, all time or this month. Updated by a background refresh; see leaderboardRefreshedAt.';

create function app_shared.leaderboard_refreshed_at() returns timestamptz
  language sql stable security definer set search_path = pg_catalog
as $$ select min(r.refreshed_at) from app_shared.leaderboard_refreshes r $$;
comment on function app_shared.leaderboard_refreshed_at() is
  E'@name leaderboard_refreshed_at\n@sharedSafe a timestamp only\nWhen the network leaderboards were last refreshed (null: not yet). SECURITY DEFINER (shared role): the refresh log is granted to nobody.';

-- Logged-in people only: the leaderboard names athletes, so it is not for anonymous visitors.
grant execute on function
  app_shared.network_leaderboard(text, boolean, boolean), app_shared.leaderboard_refreshed_at()
to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
   ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

reset role;

-- First fill (as the shared role, under its policies).
select app_shared.refresh_leaderboards();

--------------------------------------------------------------------------------
-- Enqueue a refresh whenever what the leaderboards show may have changed. One job key:
-- while a refresh is waiting, further changes only join it (preserve_run_at keeps the first
-- run time, so a steady stream of results cannot postpone it forever).
-- SECURITY DEFINER (database owner): visitors have no rights on graphile_worker, which the
-- owner owns. Statement-level: a bulk insert enqueues once.
--------------------------------------------------------------------------------
create function app_private.tg__enqueue_leaderboard_refresh() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  perform graphile_worker.add_job(
    'refresh_leaderboards',
    job_key := 'refresh_leaderboards',
    run_at := pg_catalog.now() + interval '1 second',
    job_key_mode := 'preserve_run_at'
  );
  return null;
end;
$$;
comment on function app_private.tg__enqueue_leaderboard_refresh() is
  'Trigger: enqueue one (debounced) refresh_leaderboards job. SECURITY DEFINER (database owner, which owns graphile_worker): visitors may not add jobs themselves.';

create trigger _900_enqueue_leaderboard_refresh
  after insert or update or delete on app_public.workout_results
  for each statement execute function app_private.tg__enqueue_leaderboard_refresh();
create trigger _900_enqueue_leaderboard_refresh
  after update of benchmark_id, is_published, scoring_type or delete on app_public.workouts
  for each statement execute function app_private.tg__enqueue_leaderboard_refresh();
create trigger _900_enqueue_leaderboard_refresh
  after update of network_opt_in, name on app_public.gyms
  for each statement execute function app_private.tg__enqueue_leaderboard_refresh();
create trigger _900_enqueue_leaderboard_refresh
  after insert or update or delete on app_public.network_preferences
  for each statement execute function app_private.tg__enqueue_leaderboard_refresh();
