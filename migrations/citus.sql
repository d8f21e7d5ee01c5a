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
-- Without the constraint PostGraphile would stop offering `gymBySlug` (and `updateGymBySlug`):
-- the API on the cluster would differ from schema/<role>.graphql. The slug is still unique
-- (gym_slugs above), so the table says so to PostGraphile with a `@unique slug` smart tag, put
-- in front of the table's comment once.
do $$
declare
  v_comment text := coalesce(obj_description('app_public.gyms'::regclass, 'pg_class'), '');
begin
  if v_comment not like '@unique slug' || chr(10) || '%' then
    execute format('comment on table app_public.gyms is %L', '@unique slug' || chr(10) || v_comment);
  end if;
end
$$;

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
-- users: before a write to a reference table that references users (user_secrets, sessions,
-- refresh tokens …), Citus locks the users shard on each worker with lock_shard_resources(),
-- which refuses a role holding no UPDATE, DELETE or TRUNCATE right on users (one column is
-- enough). The system role makes those writes (a password set, changed or reset, the hash
-- upgrade at login, logout): without a right on users every one of them fails with 42501
-- ("permission denied for table users") on the cluster. It gets UPDATE on a column nobody
-- edits; no policy lets it update a row of users (RLS is forced), so the grant buys the lock
-- and nothing else.
--------------------------------------------------------------------------------
grant update (created_at) on app_public.users to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Enums in RETURNING: PostGraphile selects an enum column as `col::text`, an I/O conversion
-- Citus counts as a STABLE function, and Citus refuses non-IMMUTABLE functions in the
-- RETURNING clause of a distributed UPDATE/INSERT ("non-IMMUTABLE functions are not allowed in
-- the RETURNING clause"): a mutation payload asking for `status` failed. An explicit cast to
-- text through an IMMUTABLE function is accepted, and `col::text` then means it, on every node.
-- Immutable is true enough: a label's text changes only by ALTER TYPE … RENAME VALUE, a
-- migration, after which no plan or index holds the old text. The function has a SET clause so
-- that it is never inlined back into the STABLE conversion; its body converts through
-- enum_out, not `::text` (which would now call itself). Executable by everyone, like the
-- conversion it stands for. Every enum of ours, from the catalog, so a new enum needs no entry
-- here. Only once per type (a cast cannot be replaced).
--------------------------------------------------------------------------------
do $do$
declare
  e record;
  fn text;
begin
  for e in
    select t.oid::regtype::text as type, n.nspname as schema, t.typname as name
      from pg_type t join pg_namespace n on n.oid = t.typnamespace
     where t.typtype = 'e' and n.nspname in ('app_public', 'app_private', 'app_hidden', 'app_shared')
       and not exists (select 1 from pg_cast c where c.castsource = t.oid and c.casttarget = 'text'::regtype)
  loop
    fn := format('%I.%I', e.schema, e.name || '_text');
    execute format($f$create or replace function %s(value %s) returns text
      language sql immutable strict parallel safe set search_path = pg_catalog
      as 'select textin(enum_out($1))'$f$, fn, e.type);
    execute format('comment on function %s(%s) is %L', fn, e.type,
      'Citus mode: the text of an enum label, immutable so Citus accepts `col::text` in RETURNING (migrations/citus.sql).');
    execute format('grant execute on function %s(%s) to public', fn, e.type);
    execute format('create cast (%s as text) with function %s(%s)', e.type, fn, e.type);
  end loop;
end
$do$;

--------------------------------------------------------------------------------
-- Mail: app_private.mail_outbox stays local on the coordinator (src/db/citus.ts,
-- COORDINATOR_ONLY), beside graphile_worker, so its `_900_enqueue` trigger adds the send_mail
-- job where the worker schema is. mail_invitation, a SQL function, would be planned by Citus
-- as one query over the distributed gyms with queue_mail inside it, sent to the gym's shard,
-- where the outbox does not exist: here it is plpgsql, the gym's name looked up in a
-- statement of its own, and queue_mail runs on the coordinator. Same signature, owner and
-- grants as the migration's.
--------------------------------------------------------------------------------
create or replace function app_private.mail_invitation(inv app_public.invitations, token text) returns void
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  v_gym text;
begin
  select g.name into v_gym from app_public.gyms g where g.id = inv.tenant_id;
  if found then
    perform app_private.queue_mail('invitation', inv.email,
      jsonb_build_object('gym', v_gym, 'role', inv.role, 'display_name', inv.display_name, 'expires_at', inv.expires_at),
      token);
  end if;
end;
$$;

--------------------------------------------------------------------------------
-- Network boards (app_shared.network_best_*, local on the coordinator). On one node the
-- `_800_network_bests` triggers update them in the writing transaction; on the cluster those
-- triggers fire on the worker holding the shard, where the boards do not exist. Instead each
-- such change leaves a note in network_bests_pending, a tenant table co-located with the row
-- that changed (the note is written on the same shard group, in the same transaction: it
-- commits or rolls back with the change), and graphile-worker on the coordinator
-- (task network_bests_catch_up, src/worker/tasks/) takes the notes and recomputes exactly what
-- they name with the migration's own maintenance functions. The boards lag by the job's
-- period (docs/CITUS.md). The gym boards (app_public.workout_bests) are co-located with the
-- results and stay trigger-kept on the shards.
--------------------------------------------------------------------------------
-- Only once: on a placed database Citus re-sends an ALTER TABLE on it with this file's whole
-- text, which the workers refuse (several commands in one prepared statement).
do $do$
begin
  if to_regclass('app_private.network_bests_pending') is not null then
    return;
  end if;
  create table app_private.network_bests_pending (
    tenant_id     uuid not null references app_public.gyms (id) on delete cascade,
    id            uuid not null default gen_random_uuid(),
    -- What to recompute: a member (membership_id), the members who logged a workout
    -- (workout_id), or, both null, the whole gym (it joined or left the network).
    membership_id uuid,
    workout_id    uuid,
    queued_at     timestamptz not null default now(),
    primary key (tenant_id, id)
  );
  comment on table app_private.network_bests_pending is
    'Citus mode: changes the network boards have not followed yet, one note per changed member, workout or gym; taken and applied by the coordinator''s network_bests_catch_up job. Nobody else reads or writes it.';
  alter table app_private.network_bests_pending enable row level security;
  alter table app_private.network_bests_pending force row level security;
  -- Only the owner's definer triggers (on the shards) and its job (on the coordinator) touch
  -- it; this file runs as the owner (current_user).
  create policy network_bests_pending_owner on app_private.network_bests_pending for all
    to current_user using (true) with check (true);
end
$do$;

-- The shared role's policy helpers (app_shared.gym_in_network, member_in_network): the
-- policies on memberships, network_preferences, workouts and workout_results call them, and
-- on the cluster a policy runs on the shard. As SQL functions Citus inlines them into the
-- shard query as subqueries with parameters over distributed tables, which it cannot plan
-- ("could not create distributed plan"): the catch-up's reads of results as the shared role
-- fail. Here they are plpgsql (a routed lookup of the gym's, the member's row, from the shard:
-- the nested distributed execution the database setting allows). Same signatures, owner,
-- grants and answers as the migration's.
create or replace function app_shared.gym_in_network(tenant_id uuid) returns boolean
  language plpgsql stable parallel safe set search_path = pg_catalog
as $$
declare
  v_in boolean;
begin
  select g.network_opt_in into v_in from app_public.gyms g where g.id = gym_in_network.tenant_id;
  return coalesce(v_in, false);
end;
$$;
create or replace function app_shared.member_in_network(tenant_id uuid, membership_id uuid) returns boolean
  language plpgsql stable parallel safe set search_path = pg_catalog
as $$
declare
  v_shows boolean;
begin
  select p.show_on_leaderboards into v_shows from app_public.network_preferences p
   where p.tenant_id = member_in_network.tenant_id and p.membership_id = member_in_network.membership_id;
  return coalesce(v_shows, false) and app_shared.gym_in_network(member_in_network.tenant_id);
end;
$$;

-- What visitors read: the migration's network_leaderboard re-checks each line's gym with a
-- LATERAL … LIMIT 1 lookup into gyms, which Citus cannot plan against a coordinator-local board
-- ("Limit clause is currently unsupported when a lateral subquery references a column from …
-- local tables"). And on one node a member's lines leave the board in the opt-out's own
-- transaction; here they leave with the next catch-up, seconds later, so the member's current
-- preference is re-checked too (and its current name shown). Same signature, owner and grants,
-- in three steps that each stay on one side: the board's first lines (local, the same ordered
-- index scan, all ties of the last score included), the current opt-ins and names of exactly
-- those members (one query over the co-located gyms ⋈ network_preferences, under the shared
-- role's policies), then rank and cut at 100 with ties, in memory. When opt-outs leave fewer
-- than 100 lines, it reads four times as many lines and checks again. SECURITY DEFINER (shared
-- role), as the migration's: the boards are granted to nobody.
set role ":ROLE_SHARED";
create or replace function app_shared.network_leaderboard(benchmark text, rx boolean default true, this_month boolean default false)
  returns setof app_shared.network_leaderboard_entry
  language plpgsql stable security definer set search_path = pg_catalog
as $$
declare
  v_benchmark uuid;
  v_rx boolean := coalesce(network_leaderboard.rx, true);
  v_month date := case when coalesce(network_leaderboard.this_month, false) then date_trunc('month', current_date)::date end;
  v_want integer := 200;
  v_tenants uuid[];
  v_members uuid[];
  v_sort numeric[];
  v_scores numeric[];
  v_dates date[];
  v_ok_tenants uuid[];
  v_ok_members uuid[];
  v_names text[];
  v_gyms text[];
  v_kept integer;
begin
  select b.id into v_benchmark from app_public.benchmarks b where b.slug::text = lower(network_leaderboard.benchmark);
  if v_benchmark is null then
    return;
  end if;
  loop
    if v_month is null then
      select array_agg(l.tenant_id), array_agg(l.membership_id), array_agg(l.sort_score), array_agg(l.score), array_agg(l.performed_on)
        into v_tenants, v_members, v_sort, v_scores, v_dates
        from (select * from app_shared.network_best_all_time l
               where l.benchmark_id = v_benchmark and l.is_rx = v_rx
               order by l.sort_score fetch first v_want rows with ties) l;
    else
      select array_agg(l.tenant_id), array_agg(l.membership_id), array_agg(l.sort_score), array_agg(l.score), array_agg(l.performed_on)
        into v_tenants, v_members, v_sort, v_scores, v_dates
        from (select * from app_shared.network_best_by_month l
               where l.benchmark_id = v_benchmark and l.is_rx = v_rx and l.month = v_month
               order by l.sort_score fetch first v_want rows with ties) l;
    end if;
    if v_tenants is null then
      return;
    end if;
    select array_agg(p.tenant_id), array_agg(p.membership_id), array_agg(p.display_name), array_agg(g.name)
      into v_ok_tenants, v_ok_members, v_names, v_gyms
      from app_public.network_preferences p
      join app_public.gyms g on g.id = p.tenant_id
     where p.membership_id = any (v_members) and p.show_on_leaderboards and g.network_opt_in;
    select count(*) into v_kept
      from unnest(v_tenants, v_members) c(t, m)
      join unnest(v_ok_tenants, v_ok_members) o(t, m) on o.t = c.t and o.m = c.m;
    exit when v_kept >= 100 or cardinality(v_tenants) < v_want;
    v_want := v_want * 4;
  end loop;
  return query
    select t.rank, t.display_name, t.gym_name, t.score, t.performed_on from (
      select (rank() over (order by c.sort_score))::integer as rank, o.display_name, o.gym_name, c.score, c.performed_on
        from unnest(v_tenants, v_members, v_sort, v_scores, v_dates) c(t, m, sort_score, score, performed_on)
        join unnest(v_ok_tenants, v_ok_members, v_names, v_gyms) o(t, m, display_name, gym_name) on o.t = c.t and o.m = c.m
       order by c.sort_score
       fetch first 100 rows with ties
    ) t
    order by 1, 2, 3;
end;
$$;
-- network_bests_workout_changed passes its members as `array(select … from workout_results …)`
-- inside the call: Citus sends that whole statement, call included, to the results shard, where
-- the boards do not exist. The members are looked up in a statement of their own here. Same
-- signature, owner (shared role), grants and effect as the migration's.
create or replace function app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_members uuid[];
begin
  select array_agg(distinct r.member_id) into v_members from app_public.workout_results r
   where r.tenant_id = network_bests_workout_changed.tenant_id and r.workout_id = network_bests_workout_changed.workout_id;
  perform app_shared.network_bests_recompute(network_bests_workout_changed.tenant_id, coalesce(v_members, '{}'));
end;
$$;
reset role;

-- One trigger function for the four tables, told by its argument which one fired it (on a
-- shard tg_table_name is the shard's name). It only inserts ids: no read, so it needs no
-- policy of the visitor's. SECURITY DEFINER (database owner): the writers are visitors, who
-- have no right on the notes.
create or replace function app_private.tg__citus_network_bests_pending() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_argv[0] = 'workout_results' then
    if tg_op <> 'INSERT' then
      insert into app_private.network_bests_pending (tenant_id, membership_id) values (old.tenant_id, old.member_id);
    end if;
    if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.member_id is distinct from old.member_id) then
      insert into app_private.network_bests_pending (tenant_id, membership_id) values (new.tenant_id, new.member_id);
    end if;
  elsif tg_argv[0] = 'network_preferences' then
    -- An opt-in change or a new network name (the boards carry it): the member is recomputed.
    if tg_op = 'UPDATE' and old.show_on_leaderboards = new.show_on_leaderboards
       and old.display_name is not distinct from new.display_name then
      return null;
    end if;
    if tg_op = 'DELETE' then
      insert into app_private.network_bests_pending (tenant_id, membership_id) values (old.tenant_id, old.membership_id);
    else
      insert into app_private.network_bests_pending (tenant_id, membership_id) values (new.tenant_id, new.membership_id);
    end if;
  elsif tg_argv[0] = 'workouts' then
    insert into app_private.network_bests_pending (tenant_id, workout_id) values (new.tenant_id, new.id);
  elsif tg_argv[0] = 'gyms' then
    insert into app_private.network_bests_pending (tenant_id) values (new.id);
  else
    raise exception 'tg__citus_network_bests_pending: unknown table %', tg_argv[0];
  end if;
  return null;
end;
$$;
comment on function app_private.tg__citus_network_bests_pending() is
  'Citus mode: note a change the network boards must follow (app_private.network_bests_pending). SECURITY DEFINER (database owner): visitors have no right on the notes.';
revoke all on function app_private.tg__citus_network_bests_pending() from public;

-- The migration's triggers swapped for the notes, with the same events and conditions, once
-- (setup runs this again on a placed database). Citus refuses trigger DDL on a distributed
-- table unless told it is safe: a database placed before the swap gets it too.
set citus.enable_unsafe_triggers = on;
do $$
begin
  if exists (select 1 from pg_trigger where tgrelid = 'app_public.workout_results'::regclass and tgname = '_800_network_bests') then
    drop trigger _800_network_bests on app_public.workout_results;
    create trigger _800_network_bests_pending
      after insert or delete or update of workout_id, member_id, score, is_rx, performed_on on app_public.workout_results
      for each row execute function app_private.tg__citus_network_bests_pending('workout_results');
  end if;
  if exists (select 1 from pg_trigger where tgrelid = 'app_public.workouts'::regclass and tgname = '_800_network_bests') then
    drop trigger _800_network_bests on app_public.workouts;
    create trigger _800_network_bests_pending
      after update of benchmark_id, is_published, scoring_type on app_public.workouts
      for each row when (old.benchmark_id is distinct from new.benchmark_id or old.is_published <> new.is_published)
      execute function app_private.tg__citus_network_bests_pending('workouts');
  end if;
  if exists (select 1 from pg_trigger where tgrelid = 'app_public.network_preferences'::regclass and tgname = '_800_network_bests') then
    drop trigger _800_network_bests on app_public.network_preferences;
    create trigger _800_network_bests_pending
      after insert or delete or update of show_on_leaderboards, display_name on app_public.network_preferences
      for each row execute function app_private.tg__citus_network_bests_pending('network_preferences');
  end if;
  if exists (select 1 from pg_trigger where tgrelid = 'app_public.gyms'::regclass and tgname = '_800_network_bests') then
    drop trigger _800_network_bests on app_public.gyms;
    create trigger _800_network_bests_pending after update of network_opt_in on app_public.gyms
      for each row when (old.network_opt_in is distinct from new.network_opt_in)
      execute function app_private.tg__citus_network_bests_pending('gyms');
  end if;
end
$$;
reset citus.enable_unsafe_triggers;

-- The job (graphile-worker, as the database owner, on the coordinator): read the notes
-- committed so far, apply them with the migration's maintenance functions (which read the
-- results under the shared role's opt-in policies), one gym at a time, then delete exactly the
-- notes applied (by id: a note committed meanwhile waits for the next run). Reading first and
-- deleting after, not `delete … returning` first: Citus refuses the shared role's reads of
-- shards this transaction already modified as another role. A failure rolls back the boards
-- and leaves the notes. Returns how many notes it applied and the age of the oldest, for the
-- job's log and the lag measurement.
create or replace function app_private.network_bests_catch_up(out notes integer, out oldest interval)
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  v record;
  v_workout uuid;
begin
  notes := 0;
  for v in
    select t.tenant_id, array_agg(t.id) as ids, min(t.queued_at) as first_queued,
           bool_or(t.membership_id is null and t.workout_id is null) as whole_gym,
           array_agg(distinct t.membership_id) filter (where t.membership_id is not null) as members,
           array_agg(distinct t.workout_id) filter (where t.workout_id is not null) as workouts
      from app_private.network_bests_pending t group by t.tenant_id
  loop
    notes := notes + cardinality(v.ids);
    oldest := greatest(oldest, clock_timestamp() - v.first_queued);
    if v.whole_gym then
      perform app_shared.network_bests_recompute(v.tenant_id, null);
    else
      if v.members is not null then
        perform app_shared.network_bests_recompute(v.tenant_id, v.members);
      end if;
      foreach v_workout in array coalesce(v.workouts, '{}') loop
        perform app_shared.network_bests_workout_changed(v.tenant_id, v_workout);
      end loop;
    end if;
    delete from app_private.network_bests_pending t where t.tenant_id = v.tenant_id and t.id = any (v.ids);
  end loop;
end;
$$;
comment on function app_private.network_bests_catch_up() is
  'Citus mode: apply the network boards'' pending notes (graphile-worker task network_bests_catch_up, on the coordinator). Invoker: runs as the database owner, the only role that may call the maintenance functions.';
revoke all on function app_private.network_bests_catch_up() from public;

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

