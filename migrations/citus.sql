-- Citus mode only (CITUS=1): src/db/citus.ts runs this as a superuser after the committed
-- migrations and before placing the tables on the cluster. Idempotent. A single-node database
-- never runs it, so nothing here is in migrations/schema.sql. docs/CITUS.md says why each
-- piece exists; keep one piece per table, as the migration does.

--------------------------------------------------------------------------------
-- gyms: distributed by id, so Citus cannot enforce `unique (slug)` (a unique constraint must
-- include the distribution column: each shard checks only its own rows). The slug's uniqueness
-- moves to a reference table with one row per gym, kept by a trigger on gyms; its primary key
-- keeps the constraint name clients see on a duplicate slug (gyms_slug_key, 23505).
--------------------------------------------------------------------------------
create table if not exists app_private.gym_slugs (
  slug   citext not null,
  gym_id uuid not null,
  constraint gyms_slug_key primary key (slug),
  constraint gym_slugs_gym_id_key unique (gym_id)
);
comment on table app_private.gym_slugs is
  'Citus mode: the global uniqueness of gyms.slug (gyms is sharded by id). Kept by app_private.tg_gyms__slug; nobody else writes it.';
insert into app_private.gym_slugs (slug, gym_id) select slug, id from app_public.gyms on conflict do nothing;

-- Definer (owned by the owner, who owns gym_slugs): the trigger runs as whoever writes gyms
-- (the system role while provisioning, the maintenance role while offboarding), and none of
-- them has, or should have, rights on gym_slugs.
create or replace function app_private.tg_gyms__slug() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    delete from app_private.gym_slugs where gym_id = old.id;
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into app_private.gym_slugs (slug, gym_id) values (new.slug, new.id);
    return new;
  end if;
  return old;
end;
$$;
comment on function app_private.tg_gyms__slug() is
  'Citus mode: keeps app_private.gym_slugs (the global uniqueness of gyms.slug) in step with gyms.';
revoke all on function app_private.tg_gyms__slug() from public;
-- Only once: once gyms is distributed, Citus refuses trigger DDL on it (setup runs this again).
do $$
begin
  if not exists (select 1 from pg_trigger where tgrelid = 'app_public.gyms'::regclass and tgname = '_050_slug') then
    create trigger _050_slug after insert or delete or update of slug on app_public.gyms
      for each row execute function app_private.tg_gyms__slug();
  end if;
end
$$;
alter table app_public.gyms drop constraint if exists gyms_slug_key;

--------------------------------------------------------------------------------
-- Composite foreign keys with `on delete set null (col)` (a workout's author, a class's coach,
-- a payment's plan …): Citus refuses SET NULL on a key that includes the distribution column.
-- src/db/citus.ts re-adds each such key without the action and puts this trigger, BEFORE
-- DELETE, on the referenced table: it clears the column first, so the delete goes through as
-- it does on a single node. Arguments: referencing table, its column.
-- Definer, owned by the maintenance role (BYPASSRLS, rights on every table): a foreign-key
-- action ignores row-level security and column grants on a single node, and so must this; the
-- owner cannot stand in (RLS is forced on it). The tenant_id condition keeps it in one gym.
--------------------------------------------------------------------------------
-- Only once: afterwards the maintenance role owns it and the owner may not replace it.
do $do$
begin
  if to_regprocedure('app_private.tg__citus_set_null()') is not null then
    return;
  end if;
  create or replace function app_private.tg__citus_set_null() returns trigger
    language plpgsql volatile security definer set search_path = pg_catalog
  as $fn$
  begin
    execute format('update %s set %I = null where tenant_id = $1 and %I = $2',
                   tg_argv[0]::regclass, tg_argv[1], tg_argv[1])
      using old.tenant_id, old.id;
    return old;
  end;
  $fn$;
  comment on function app_private.tg__citus_set_null() is
    'Citus mode: the ON DELETE SET NULL (col) of a composite foreign key, which Citus refuses (see migrations/citus.sql).';
  revoke all on function app_private.tg__citus_set_null() from public;
  -- Handing a function over needs CREATE on its schema at that moment only.
  grant create on schema app_private to ":ROLE_MAINTENANCE";
  alter function app_private.tg__citus_set_null() owner to ":ROLE_MAINTENANCE";
  revoke create on schema app_private from ":ROLE_MAINTENANCE";
end
$do$;

--------------------------------------------------------------------------------
-- network_leaderboard (2100): the single-node board re-checks each line's opt-ins through a
-- LATERAL lookup with LIMIT 1 over the distributed gyms and network_preferences, from the
-- coordinator's local board table. Citus cannot plan that ("cannot push down this subquery":
-- a LIMIT in a lateral subquery referencing a local table). Here the opt-ins are plain joins,
-- which Citus plans by reading the (filtered) opt-ins to the coordinator; same lines, same
-- order. `create or replace` keeps the owner (the shared role, whose the replacement must be)
-- and the grants.
--------------------------------------------------------------------------------
set role ":ROLE_SHARED";
create or replace function app_shared.network_leaderboard(benchmark text, rx boolean default true, this_month boolean default false)
  returns setof app_shared.network_leaderboard_entry
  language plpgsql stable security definer set search_path = pg_catalog
as $$
declare
  v_benchmark uuid := (select b.id from app_public.benchmarks b
                       where b.slug::text = lower(network_leaderboard.benchmark));
  v_month boolean := coalesce(network_leaderboard.this_month, false);
begin
  if v_benchmark is null then
    return;
  end if;
  return query execute format($q$
    select t.rank, t.display_name, t.gym_name, t.score, t.performed_on from (
      select (rank() over (order by l.sort_score))::integer as rank,
             p.display_name, g.name as gym_name, l.score, l.performed_on
      from app_shared.%I l
      join app_public.gyms g on g.id = l.tenant_id and g.network_opt_in
      join app_public.network_preferences p
        on p.tenant_id = l.tenant_id and p.membership_id = l.membership_id and p.show_on_leaderboards
      where l.benchmark_id = $1 and l.is_rx = $2 %s
      order by l.sort_score
      fetch first 100 rows with ties
    ) t
    order by 1, 2, 3 $q$,
    case when v_month then 'network_best_by_month' else 'network_best_all_time' end,
    case when v_month then $c$and l.month = date_trunc('month', current_date)::date$c$ else '' end)
  using v_benchmark, coalesce(network_leaderboard.rx, true);
end;
$$;
reset role;

--------------------------------------------------------------------------------
-- workouts_leaderboard (1500): a SQL function whose parameter reaches a distributed table
-- (workout_bests) cannot be planned by Citus ("parameterized queries for SQL functions
-- referencing distributed tables are not supported"). On one node it stays SQL (inlined, the
-- board index read in rank order); here the same query in plpgsql, routed to the gym's shard.
--------------------------------------------------------------------------------
create or replace function app_public.workouts_leaderboard(w app_public.workouts)
  returns setof app_public.leaderboard_entry
  language plpgsql stable
as $$
begin
  return query
  select (rank() over (order by b.is_rx desc, b.sort_score))::integer,
         b.member_id,
         (select m.display_name from app_public.memberships m
          where m.tenant_id = b.tenant_id and m.id = b.member_id) as display_name,
         b.score, b.is_rx, b.performed_on
  from app_public.workout_bests b
  where b.tenant_id = w.tenant_id and b.workout_id = w.id
  order by b.is_rx desc, b.sort_score, display_name;
end;
$$;

--------------------------------------------------------------------------------
-- profiles_display_name (1100): as workouts_leaderboard, a SQL function reading a distributed
-- table with its parameter ("could not create distributed plan"); plpgsql here, inlinable SQL on
-- one node. The shards' row-type overloads of both are made at placement (src/db/citus.ts).
--------------------------------------------------------------------------------
create or replace function app_public.profiles_display_name(p app_public.profiles) returns text
  language plpgsql stable
as $$
begin
  return (select m.display_name from app_public.memberships m
          where m.tenant_id = p.tenant_id and m.id = p.membership_id);
end;
$$;
