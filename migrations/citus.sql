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
