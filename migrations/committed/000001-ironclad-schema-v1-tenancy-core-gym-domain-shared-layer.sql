--! Previous: -
--! Hash: sha1:402d085478b9b746a8bd3e58abdbeeaf9c70a087
--! Message: Ironclad schema: tenancy core, gym domain, shared layer

--! split: 100-schemas-and-context.sql
--------------------------------------------------------------------------------
-- Schemas
--   app_public  tenant-scoped tables and functions exposed to GraphQL
--   app_hidden  helpers visitors may call but GraphQL never exposes (request context)
--   app_private credentials, sessions, internals: no visitor role has any right here
--   app_shared  the only place cross-gym data may ever be read from
--------------------------------------------------------------------------------
drop schema if exists app_public cascade;
drop schema if exists app_hidden cascade;
drop schema if exists app_private cascade;
drop schema if exists app_shared cascade;

create schema app_public;
create schema app_hidden;
create schema app_private;
create schema app_shared;

-- Functions are executable by PUBLIC by default; we grant execute explicitly instead.
alter default privileges revoke execute on functions from public;

grant usage on schema app_public, app_hidden, app_shared to :VISITOR_ROLES;

-- The system role owns SECURITY DEFINER functions (it needs CREATE to be made their owner)
-- and reads the identity tables through its own narrow policies.
grant usage, create on schema app_public, app_hidden, app_private to ":ROLE_SYSTEM";

-- The authenticator itself only ever calls the session check (src/auth asks Postgres whether
-- a verified token's session is still alive before switching role).
grant usage on schema app_hidden to ":DATABASE_AUTHENTICATOR";

--------------------------------------------------------------------------------
-- Request context. src/auth turns a verified JWT into these transaction-local settings
-- (set_config(..., true) inside the request's transaction, so they never outlive it and are
-- safe behind a transaction-mode pooler). On a reused connection an unset custom setting
-- reads as '' rather than NULL, hence nullif. Plain `language sql stable` one-liners: the
-- planner inlines them, so `tenant_id = app_hidden.current_tenant_id()` is an index condition
-- evaluated once per scan, not a function call per row.
--------------------------------------------------------------------------------
create function app_hidden.current_tenant_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.tenant_id', true), '')::uuid $$;
comment on function app_hidden.current_tenant_id() is
  'The gym (tenant) of the current request, from the verified token; NULL for anonymous and the platform owner.';

create function app_hidden.current_user_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.user_id', true), '')::uuid $$;
comment on function app_hidden.current_user_id() is
  'The user of the current request. The API checks the session is live before every request (see app_hidden.session_is_valid).';

create function app_hidden.current_session_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.session_id', true), '')::uuid $$;

create function app_hidden.current_app_role() returns text
  language sql stable parallel safe
  as $$ select coalesce(nullif(current_setting('jwt.claims.role', true), ''), 'anonymous') $$;
comment on function app_hidden.current_app_role() is
  'The JWT role claim (member, personal_trainer, coach, gym_admin, platform_owner, anonymous). Policies say TO <role> instead; this is for functions.';

create function app_hidden.current_membership_id() returns uuid
  language sql stable parallel safe
  as $$ select nullif(current_setting('jwt.claims.membership_id', true), '')::uuid $$;
comment on function app_hidden.current_membership_id() is
  'The membership the current token was issued for (NULL for anonymous and the platform owner). The API checks on every request that this membership still exists with the role and version the token names (app_hidden.session_is_valid), so policies may trust it without a lookup.';

grant execute on function
  app_hidden.current_tenant_id(), app_hidden.current_user_id(),
  app_hidden.current_session_id(), app_hidden.current_app_role(),
  app_hidden.current_membership_id()
to :VISITOR_ROLES, ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Tenant column guard, shared by every tenant-scoped table.
-- tenant_id is set once, at insert, and never moves: a row that changed gym would be a row
-- one gym wrote and another now reads. The column has no UPDATE grant either; this trigger
-- also stops the owner and definer functions.
--------------------------------------------------------------------------------
create function app_private.tg__tenant_id_immutable() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if new.tenant_id is distinct from old.tenant_id then
    raise exception 'tenant_id cannot be changed' using errcode = 'IC001',
      hint = 'A row belongs to the gym that created it; create a new row in the other gym instead.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg__tenant_id_immutable() is
  'Trigger: rejects any UPDATE that changes tenant_id (error IC001).';

--------------------------------------------------------------------------------
-- Realtime: NOTIFY on the events GraphQL subscriptions follow (src/realtime): the `_900_notify`
-- trigger of each table that has one, beside its table. A payload
-- carries ids only, never row data: the API re-reads the row under the subscriber's own
-- role and claims, so RLS decides what arrives. Gym channels are named
-- `ironclad:gym:<tenant_id>:<topic>` and the API LISTENs only to the channels of the gym
-- in the subscriber's verified token (the channel is never built from client input); the
-- network channel carries no gym data. Channel names stay under Postgres's 63-byte limit,
-- which is why narrower filters (recipient, class) are payload ids, not channel names.
-- pg_notify needs no privilege, so the triggers run as whoever made the change.
--------------------------------------------------------------------------------

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
-- CREATE: the shared role owns app_shared's tables and functions.
grant usage, create on schema app_shared to ":ROLE_SHARED";
-- The worker (owner) calls app_shared.refresh_leaderboards(); the authenticator nothing here.
grant usage on schema app_shared to ":DATABASE_OWNER";

-- Functions the shared role creates are not executable by PUBLIC either.
set role ":ROLE_SHARED";
alter default privileges revoke execute on functions from public;
reset role;

-- Error codes raised by Ironclad's own SQL live in class IC (see README "Errors").
--   IC001 tenant_id is immutable          IC002 not allowed for this role
--   IC003 invalid credentials              IC004 not a member of that gym
--   IC005 too many failed logins (locked)  IC006 invalid or expired refresh token

--! split: 150-plans.sql
--------------------------------------------------------------------------------
-- plans: what a gym's subscription to Ironclad allows. Global (every gym on the same plan
-- gets the same limits) and readable by everyone, anonymous included: it is the price list.
-- Rows are reference data written only by migrations; no visitor role may change them.
-- gyms.plan is a foreign key to this table, so a plan name is always one we know.
--------------------------------------------------------------------------------
-- The Ironclad plans a gym can be on: a Postgres enum (GraphQL: GymPlan, docs/CONVENTIONS.md
-- "Enums"); each value's limits are its row below, and gyms.plan references that row.
create type app_public.gym_plan as enum ('free', 'basic', 'pro');
comment on type app_public.gym_plan is 'An Ironclad subscription plan (its limits: app_public.plans).';

create table app_public.plans (
  id          app_public.gym_plan primary key,
  name        text not null,
  max_members integer check (max_members >= 0),
  max_staff   integer check (max_staff >= 0),
  sort_order  integer not null default 0
);
comment on table app_public.plans is
  E'@global Plan limits are the same for every gym; reference data, readable by anyone.\nAn Ironclad subscription plan and its limits.';
comment on column app_public.plans.max_members is
  'Most memberships with role member a gym on this plan may hold; NULL means unlimited.';
comment on column app_public.plans.max_staff is
  'Most staff memberships (personal_trainer, coach, gym_admin) a gym on this plan may hold; NULL means unlimited.';

-- Lets GraphQL order plans by sort_order (PostGraphile only offers orderBy on indexed columns).
create index plans_sort_order_idx on app_public.plans (sort_order);

insert into app_public.plans (id, name, max_members, max_staff, sort_order) values
  ('free',  'Free',  30,   2,    1),
  ('basic', 'Basic', 200,  null, 2),
  ('pro',   'Pro',   null, null, 3);

alter table app_public.plans enable row level security;
alter table app_public.plans force row level security;
create policy plans_select on app_public.plans for select
  to :VISITOR_ROLES, ":ROLE_SYSTEM"
  using (true);
grant select on app_public.plans to :VISITOR_ROLES, ":ROLE_SYSTEM";

--! split: 200-gyms.sql
--------------------------------------------------------------------------------
-- gyms: the tenant record. Its id IS the tenant_id every other tenant row carries.
-- Rows are created only by app_public.provision_gym (platform owner); no visitor has INSERT.
--------------------------------------------------------------------------------
create table app_public.gyms (
  id         uuid primary key default gen_random_uuid(),
  name       text not null check (length(name) between 1 and 200),
  slug       citext not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  plan       app_public.gym_plan not null default 'free' references app_public.plans (id),
  created_at timestamptz not null default now(),
  -- Set by `npm run gym -- suspend|offboard` (tenant lifecycle): nobody of the gym can log in
  -- and every session of the gym ends at its next request (IC040).
  suspended_at timestamptz,
  -- Usage counters, kept by a trigger on memberships (app_private.tg_memberships__plan_limits).
  -- Why counters on the gym row rather than count(*) at insert time: the counter UPDATE takes
  -- the gym row's lock, so two admins adding people to the same gym at the same moment are
  -- serialised there; the second waits, re-reads the committed count and is refused if the
  -- first took the last place (READ COMMITTED re-evaluates the updated row; under
  -- REPEATABLE READ the loser gets 40001 instead, never an overshoot). A plan change locks the
  -- same row, so a downgrade and an add cannot interleave either.
  -- Visitors see the counters (admins use them) but only the system role may write them.
  member_count integer not null default 0 check (member_count >= 0),
  staff_count  integer not null default 0 check (staff_count >= 0),
  -- Network opt-in and directory card. Default: not in the network.
  network_opt_in boolean not null default false,
  city           text check (length(city) between 1 and 100),
  description    text check (length(description) between 1 and 1000)
);
comment on table app_public.gyms is
  E'@tenantRoot\nA gym (affiliate): the tenant. Everything below the platform owner belongs to exactly one gym.';
comment on column app_public.gyms.member_count is 'Memberships with role member (kept by a trigger; what the plan limit counts).';
comment on column app_public.gyms.staff_count is 'Staff memberships: personal trainers, coaches and gym admins (kept by a trigger).';
comment on column app_public.gyms.network_opt_in is
  'The gym appears in the network: the public directory and cross-gym leaderboards. Off by default; turning it off hides the gym from the network at once.';
comment on column app_public.gyms.city is 'City shown on the gym''s directory card (if it is in the network).';
comment on column app_public.gyms.description is 'Short description shown on the gym''s directory card (if it is in the network).';
-- Covers the foreign key to plans (a plan's gyms).
create index gyms_plan_idx on app_public.gyms (plan);

alter table app_public.gyms enable row level security;
alter table app_public.gyms force row level security;

-- Every gym-level role sees its own gym and nothing else.
create policy gyms_select_own on app_public.gyms for select
  to :GYM_ROLES
  using (id = app_hidden.current_tenant_id());
-- The gym admin may rename the gym (plan changes are a platform-owner action).
create policy gyms_update_own on app_public.gyms for update
  to ":ROLE_GYM_ADMIN"
  using (id = app_hidden.current_tenant_id())
  with check (id = app_hidden.current_tenant_id());
-- Platform owner: exempt from the tenant rule, reads and updates every gym (support, plans).
create policy gyms_select_platform on app_public.gyms for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy gyms_update_platform on app_public.gyms for update
  to ":ROLE_PLATFORM_OWNER" using (true) with check (true);
-- System (login, provisioning) reads and creates gyms.
create policy gyms_select_system on app_public.gyms for select to ":ROLE_SYSTEM" using (true);
create policy gyms_insert_system on app_public.gyms for insert to ":ROLE_SYSTEM" with check (true);
create policy gyms_update_system on app_public.gyms for update
  to ":ROLE_SYSTEM" using (true) with check (true);

-- Shared role: sees a gym only while it is in the network, and only its public columns.
create policy gyms_select_shared on app_public.gyms for select
  to ":ROLE_SHARED" using (network_opt_in);

grant select on app_public.gyms to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant update (name, network_opt_in, city, description) on app_public.gyms to ":ROLE_GYM_ADMIN";
grant update (name, plan, network_opt_in, city, description) on app_public.gyms to ":ROLE_PLATFORM_OWNER";
grant select, insert (id, name, slug, plan), update (member_count, staff_count) on app_public.gyms to ":ROLE_SYSTEM";
grant select (id, name, network_opt_in, city, description) on app_public.gyms to ":ROLE_SHARED";
-- The network boards (2100, owned by the shared role) go with their gym.
grant references (id) on app_public.gyms to ":ROLE_SHARED";

-- Asked by the login and session checks (run as the system role, which reads every gym).
-- Not definer: its callers already hold the rights it needs. plpgsql, not SQL: Citus cannot
-- plan a SQL function's parameters against a distributed table (gyms, in Citus mode).
create function app_private.gym_is_suspended(tenant_id uuid) returns boolean
  language plpgsql stable set search_path = pg_catalog
as $$
begin
  return exists (select 1 from app_public.gyms g where g.id = gym_is_suspended.tenant_id and g.suspended_at is not null);
end;
$$;
comment on function app_private.gym_is_suspended(uuid) is
  'True when the gym is suspended (tenant lifecycle): its logins are refused with IC040 and its sessions end.';
grant execute on function app_private.gym_is_suspended(uuid) to ":ROLE_SYSTEM";

-- A plan change (platform owner) must fit what the gym already has.
create function app_private.tg_gyms__plan_fits() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  v_plan app_public.plans;
begin
  select * into v_plan from app_public.plans where id = new.plan;
  if new.member_count > v_plan.max_members then
    raise exception 'Plan limit reached: % plan allows % members', v_plan.id, v_plan.max_members
      using errcode = 'IC010', constraint = 'plan_max_members',
            hint = 'The gym has ' || new.member_count || ' members; remove some before moving to this plan.';
  elsif new.staff_count > v_plan.max_staff then
    raise exception 'Plan limit reached: % plan allows % staff', v_plan.id, v_plan.max_staff
      using errcode = 'IC010', constraint = 'plan_max_staff',
            hint = 'The gym has ' || new.staff_count || ' staff; remove some before moving to this plan.';
  end if;
  return new;
end;
$$;
comment on function app_private.tg_gyms__plan_fits() is
  'Trigger: refuses moving a gym to a plan its current members or staff exceed (IC010).';
create trigger _200_plan_fits before update of plan on app_public.gyms
  for each row execute function app_private.tg_gyms__plan_fits();

-- IC010 plan limit reached (message names the plan and the limit; constraint plan_max_members / plan_max_staff)

-- Joining or leaving the network puts the gym's members on the network boards or takes
-- them off (a recompute of that gym only; names are read live, so a rename needs nothing).
-- SECURITY DEFINER (database owner): only the owner may call the shared layer's maintenance
-- functions (app_shared.network_bests_*, 2100), which visitors must not call directly.
create function app_private.tg_gyms__network_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  perform app_shared.network_bests_recompute(new.id, null);
  return null;
end;
$$;
comment on function app_private.tg_gyms__network_bests() is
  'Trigger: recompute the gym''s network bests when it joins or leaves the network. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';
create trigger _800_network_bests after update of network_opt_in on app_public.gyms
  for each row when (old.network_opt_in is distinct from new.network_opt_in)
  execute function app_private.tg_gyms__network_bests();

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

--! split: 300-users.sql
--------------------------------------------------------------------------------
-- users: one global login identity per person. Not tenant-scoped (a person may belong to
-- several gyms), so gym roles see only their own row; who is in a gym is answered by
-- memberships. Passwords live in app_private.user_secrets, never in an exposed table.
--------------------------------------------------------------------------------
create table app_public.users (
  id           uuid primary key default gen_random_uuid(),
  email        citext not null unique check (email ~ '^[^@\s]+@[^@\s]+$'),
  display_name text not null check (length(display_name) between 1 and 100),
  is_disabled  boolean not null default false,
  created_at   timestamptz not null default now()
);
comment on table app_public.users is
  E'@global A login identity spans gyms; visibility is limited to yourself (and the platform owner).\nA person who can log in.';
comment on column app_public.users.is_disabled is
  'A disabled user''s tokens stop working at once and they cannot log in.';

alter table app_public.users enable row level security;
alter table app_public.users force row level security;

create policy users_select_self on app_public.users for select
  to :GYM_ROLES
  using (id = app_hidden.current_user_id());
create policy users_update_self on app_public.users for update
  to :GYM_ROLES
  using (id = app_hidden.current_user_id())
  with check (id = app_hidden.current_user_id());
create policy users_select_platform on app_public.users for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy users_update_platform on app_public.users for update
  to ":ROLE_PLATFORM_OWNER" using (true) with check (true);
create policy users_select_system on app_public.users for select to ":ROLE_SYSTEM" using (true);
create policy users_insert_system on app_public.users for insert to ":ROLE_SYSTEM" with check (true);

grant select (id, email, display_name, is_disabled, created_at) on app_public.users to
  :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant update (display_name) on app_public.users to :GYM_ROLES;
grant update (display_name, is_disabled) on app_public.users to ":ROLE_PLATFORM_OWNER";
grant select, insert (id, email, display_name) on app_public.users to ":ROLE_SYSTEM";

-- Credentials: bcrypt hashes (pgcrypto). Only the system role's login function reads them.
create table app_private.user_secrets (
  user_id       uuid primary key references app_public.users (id) on delete cascade,
  password_hash text not null
);
alter table app_private.user_secrets enable row level security;
alter table app_private.user_secrets force row level security;
create policy user_secrets_system on app_private.user_secrets for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update on app_private.user_secrets to ":ROLE_SYSTEM";

-- The one place a password becomes a hash, and the one password rule: 8 to 72 bytes (bcrypt
-- reads no further than 72 bytes, so a longer one would silently be truncated). The bcrypt cost
-- is app_private.bcrypt_cost().
--
-- bcrypt cost for new hashes and for the stand-in hash an unknown account is checked
-- against (authenticate). The API sets ironclad.bcrypt_cost per transaction from BCRYPT_COST
-- (default 10; tests use a low cost to stay fast); unset, it is 10. Clamped to what bcrypt allows.
create function app_private.bcrypt_cost() returns integer
  language sql stable set search_path = pg_catalog
  as $$ select greatest(4, least(15, coalesce(nullif(current_setting('ironclad.bcrypt_cost', true), '')::integer, 10))) $$;
comment on function app_private.bcrypt_cost() is
  'bcrypt cost for new password hashes (setting ironclad.bcrypt_cost from BCRYPT_COST; 10 when unset).';
grant execute on function app_private.bcrypt_cost() to ":ROLE_SYSTEM";

create function app_private.hash_password(password text) returns text
  language plpgsql volatile set search_path = pg_catalog, public
as $$
begin
  if password is null or octet_length(password) < 8 or octet_length(password) > 72 then
    raise exception 'A password must be 8 to 72 bytes long' using errcode = 'IC022';
  end if;
  return crypt(password, gen_salt('bf', app_private.bcrypt_cost()));
end;
$$;
comment on function app_private.hash_password(text) is
  'bcrypt hash of a new password at app_private.bcrypt_cost(); IC022 if it breaks the length rule. Every password hash is made here.';
grant execute on function app_private.hash_password(text) to ":ROLE_SYSTEM";

-- Platform owners: the SaaS operator's staff. A separate table, not a membership role, so
-- that no gym-level write can ever mint one.
create table app_private.platform_owners (
  user_id    uuid primary key references app_public.users (id) on delete cascade,
  created_at timestamptz not null default now()
);
alter table app_private.platform_owners enable row level security;
alter table app_private.platform_owners force row level security;
create policy platform_owners_system on app_private.platform_owners for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert on app_private.platform_owners to ":ROLE_SYSTEM";

--! split: 400-memberships.sql
--------------------------------------------------------------------------------
-- memberships: the authoritative map of who belongs to which gym with which role.
-- A person may belong to several gyms (a coach at one can be a member at another); the
-- token names one gym at a time (app_public.switch_gym changes it).
-- Created only when a person accepts an invitation (app_public.accept_invitation; the demo
-- seed uses the owner-only app_private.bootstrap_gym_user); removing one kills that user's
-- tokens for the gym at once (the API re-checks the membership on every request).
--------------------------------------------------------------------------------
-- A Postgres enum, not a CHECK list: GraphQL gets the MembershipRole enum, so a typo is a
-- validation error before any SQL runs (docs/CONVENTIONS.md, "Enums").
create type app_public.membership_role as enum ('member', 'personal_trainer', 'coach', 'gym_admin');
comment on type app_public.membership_role is 'A person''s role in one gym.';

create table app_public.memberships (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  user_id    uuid not null references app_public.users (id) on delete cascade,
  role       app_public.membership_role not null,
  -- Bumped on every role change: a token names the version it was issued for, so a role
  -- changed and changed back never revives it (see app_hidden.session_is_valid).
  token_version integer not null default 1,
  -- What this gym calls the person: chosen per gym (on the invitation), never read from the
  -- login, so no gym sees the name another gym gave the same person.
  display_name text not null check (length(btrim(display_name)) between 1 and 100),
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

create function app_private.tg_memberships__bump_token_version() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if new.role is distinct from old.role then
    new.token_version := old.token_version + 1;
  else
    new.token_version := old.token_version;
  end if;
  return new;
end;
$$;
comment on function app_private.tg_memberships__bump_token_version() is
  'Trigger: a role change gives the membership a new token_version, ending every token and refresh token issued for the old one.';
create trigger _200_bump_token_version before update on app_public.memberships
  for each row execute function app_private.tg_memberships__bump_token_version();

alter table app_public.memberships enable row level security;
alter table app_public.memberships force row level security;

-- The tenant rule, for every gym-level role and every command. Each permissive policy below
-- repeats the predicate so isolation never rests on this one policy alone.
create policy memberships_tenant on app_public.memberships as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());

-- Everyone in a gym may see who else is in it (staff lists, class rosters).
create policy memberships_select on app_public.memberships for select
  to :GYM_ROLES
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
-- System: login and session checks read across gyms; accept_invitation inserts.
create policy memberships_select_system on app_public.memberships for select
  to ":ROLE_SYSTEM" using (true);
create policy memberships_insert_system on app_public.memberships for insert
  to ":ROLE_SYSTEM" with check (true);

grant select on app_public.memberships to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant update (role, display_name) on app_public.memberships to ":ROLE_GYM_ADMIN";
grant delete on app_public.memberships to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert (tenant_id, user_id, role, display_name) on app_public.memberships to ":ROLE_SYSTEM";

-- Shared role: counts members of network gyms (directory size band) and links results
-- to members. No user_id, no role.
create policy memberships_select_shared on app_public.memberships for select
  to ":ROLE_SHARED" using (app_shared.gym_in_network(tenant_id));
grant select (tenant_id, id) on app_public.memberships to ":ROLE_SHARED";

-- Email of the person behind a membership. users rows are private to their owner, so this
-- runs as the system role; it answers only for a membership the caller can see (same gym, or
-- the platform owner), re-checked here because a definer function must not trust a row value
-- handed to it.
-- plpgsql, not sql: on Citus a SQL function whose parameters reach a distributed table cannot be
-- planned ("could not create distributed plan"); SECURITY DEFINER, so never inlined on one node.
create function app_public.memberships_email(m app_public.memberships) returns text
  language plpgsql stable security definer set search_path = pg_catalog
as $$
begin
  return (select u.email::text
          from app_public.memberships mm
          join app_public.users u on u.id = mm.user_id
          where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
            and ((mm.tenant_id = app_hidden.current_tenant_id()
                  and (app_hidden.current_app_role() = 'gym_admin' or mm.user_id = app_hidden.current_user_id()))
                 or app_hidden.current_app_role() = 'platform_owner'));
end;
$$;
comment on function app_public.memberships_email(app_public.memberships) is
  'Contact email: visible to the gym admin, the person themself and the platform owner; NULL to everyone else. SECURITY DEFINER (system): users rows are private to their owner.';
grant execute on function app_public.memberships_email(app_public.memberships)
to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";

alter function app_public.memberships_email(app_public.memberships) owner to ":ROLE_SYSTEM";

-- Which limit a role counts against.
create function app_hidden.plan_bucket(role app_public.membership_role) returns text
  language sql immutable parallel safe
  as $$ select case when role = 'member' then 'members' when role is null then null else 'staff' end $$;
grant execute on function app_hidden.plan_bucket(app_public.membership_role) to ":ROLE_SYSTEM";

create function app_private.tg_memberships__plan_limits() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_old text := case when tg_op in ('UPDATE', 'DELETE') then app_hidden.plan_bucket(old.role) end;
  v_new text := case when tg_op in ('UPDATE', 'INSERT') then app_hidden.plan_bucket(new.role) end;
  v_gym app_public.gyms;
  v_plan app_public.plans;
begin
  if v_old is not distinct from v_new then
    return null;
  end if;
  if v_old is not null then
    update app_public.gyms
       set member_count = member_count - (v_old = 'members')::int,
           staff_count  = staff_count  - (v_old = 'staff')::int
     where id = old.tenant_id;
  end if;
  if v_new is not null then
    -- This UPDATE is the lock: concurrent adds to the same gym queue here.
    update app_public.gyms
       set member_count = member_count + (v_new = 'members')::int,
           staff_count  = staff_count  + (v_new = 'staff')::int
     where id = new.tenant_id
    returning * into v_gym;
    select * into v_plan from app_public.plans where id = v_gym.plan;
    if v_new = 'members' and v_gym.member_count > v_plan.max_members then
      raise exception 'Plan limit reached: % plan allows % members', v_plan.id, v_plan.max_members
        using errcode = 'IC010', constraint = 'plan_max_members',
              hint = 'Limit max_members of the ' || v_plan.id || ' plan; the platform owner can change the gym''s plan.';
    elsif v_new = 'staff' and v_gym.staff_count > v_plan.max_staff then
      raise exception 'Plan limit reached: % plan allows % staff', v_plan.id, v_plan.max_staff
        using errcode = 'IC010', constraint = 'plan_max_staff',
              hint = 'Limit max_staff of the ' || v_plan.id || ' plan; the platform owner can change the gym''s plan.';
    end if;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_memberships__plan_limits() is
  'Trigger: keeps gyms.member_count/staff_count and refuses a membership beyond the gym''s plan (IC010). SECURITY DEFINER (system): the caller (accepting an invitation, a gym admin changing a role or removing someone) may not write the gym row''s counters.';
-- The trigger is created before the ownership moves: CREATE TRIGGER needs EXECUTE, which
-- the migration owner loses with ownership. Triggers fire whatever the caller may execute.
create trigger _200_plan_limits after insert or delete or update of role on app_public.memberships
  for each row execute function app_private.tg_memberships__plan_limits();
alter function app_private.tg_memberships__plan_limits() owner to ":ROLE_SYSTEM";

-- Every write to memberships, by any role and any path (GraphQL update/delete, acceptance,
-- the bootstrap), leaves an event. SECURITY DEFINER (system): visitors may not write the trail
-- nor read the email of the login behind the membership.
create function app_private.tg_memberships__audit() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_row app_public.memberships;
begin
  if tg_op = 'DELETE' then v_row := old; else v_row := new; end if;
  -- Deleting a gym cascades to its memberships: nothing left to audit, nobody left to read it.
  if not exists (select 1 from app_public.gyms g where g.id = v_row.tenant_id) then
    return null;
  end if;
  perform app_private.record_account_event(
    v_row.tenant_id,
    case tg_op when 'INSERT' then 'membership_created' when 'UPDATE' then 'role_changed' else 'membership_removed' end,
    v_row.id, null,
    (select u.email from app_public.users u where u.id = v_row.user_id),
    v_row.role,
    case when tg_op = 'UPDATE' then old.role end);
  return null;
end;
$$;
comment on function app_private.tg_memberships__audit() is
  'Trigger: account_events row for every membership insert, role change and removal. SECURITY DEFINER (system): writes the trail.';
create trigger _800_audit after insert or delete on app_public.memberships
  for each row execute function app_private.tg_memberships__audit();
create trigger _801_audit_role after update of role on app_public.memberships
  for each row when (old.role is distinct from new.role)
  execute function app_private.tg_memberships__audit();
alter function app_private.tg_memberships__audit() owner to ":ROLE_SYSTEM";

-- Every membership has its profile (1100-profiles.sql).
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
alter function app_private.tg_memberships__create_profile() owner to ":ROLE_SYSTEM"; -- after CREATE TRIGGER (see _200_plan_limits)

--! split: 450-login-throttle.sql
--------------------------------------------------------------------------------
-- Login throttling. Kept in Postgres so every API process shares one
-- count: failed logins per account back off and then lock (IC005), and the API spends a
-- per-client-address budget here before it runs any credential-checking field.
--------------------------------------------------------------------------------

-- The throttle key of a login: sha256 of the lower-cased email, so unknown emails back off
-- and lock exactly like known ones (a lock must not reveal that an account exists) and no
-- email is stored in clear.
create function app_private.login_key(email text) returns bytea
  language sql immutable parallel safe set search_path = pg_catalog, public
  as $$ select sha256(convert_to(lower(coalesce(email, '')), 'UTF8')) $$;
grant execute on function app_private.login_key(text) to ":ROLE_SYSTEM";

-- How long a login stays locked after its n-th consecutive failure: the first 4 are free,
-- then 1 s, 2 s, 4 s, … doubling, capped at 15 minutes (reached at the 15th failure).
create function app_private.login_backoff(failures integer) returns interval
  language sql immutable parallel safe set search_path = pg_catalog
as $$
  select case when failures < 5 then interval '0'
              else least(interval '1 second' * power(2, least(failures - 5, 20)), interval '15 minutes') end
$$;
grant execute on function app_private.login_backoff(integer) to ":ROLE_SYSTEM";

create table app_private.login_throttle (
  login_key       bytea primary key,
  failures        integer not null default 0,
  last_failure_at timestamptz not null default now(),
  locked_until    timestamptz
);
comment on table app_private.login_throttle is
  'Consecutive failed logins per account (keyed by app_private.login_key(email)). A success clears the row; a quiet hour starts the count again.';
create index login_throttle_last_failure_at_idx on app_private.login_throttle (last_failure_at);
alter table app_private.login_throttle enable row level security;
alter table app_private.login_throttle force row level security;
create policy login_throttle_system on app_private.login_throttle for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update, delete on app_private.login_throttle to ":ROLE_SYSTEM";

-- Count one failed (or locked-out) login. Called by the API, in its own transaction, when
-- app_public.authenticate refused credentials (IC003) or a locked login (IC005): the refusal
-- rolls back the request's transaction, so the count cannot be written there. Attempts
-- made while locked count too, so a burst of guesses only lengthens the lock.
-- SECURITY DEFINER (system): the authenticator has no right on the table.
create function app_hidden.record_login_failure(login_key bytea) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_failures integer;
begin
  insert into app_private.login_throttle as t (login_key, failures, last_failure_at)
    values (record_login_failure.login_key, 1, now())
  on conflict on constraint login_throttle_pkey do update
    set failures = case when t.last_failure_at < now() - interval '1 hour'
                             and coalesce(t.locked_until, '-infinity') < now()
                        then 1 else t.failures + 1 end,
        last_failure_at = now()
  returning failures into v_failures;
  update app_private.login_throttle t
    set locked_until = greatest(coalesce(t.locked_until, now()), now() + app_private.login_backoff(v_failures))
  where t.login_key = record_login_failure.login_key and v_failures >= 5;
end;
$$;
comment on function app_hidden.record_login_failure(bytea) is
  'Count a refused login for the throttle. SECURITY DEFINER (system): only the API (authenticator) calls it, after authenticate refused (IC003/IC005).';

create table app_private.login_address_budget (
  address_key       bytea primary key,
  window_started_at timestamptz not null default now(),
  attempts          integer not null default 0
);
comment on table app_private.login_address_budget is
  'Credential-checking requests per client address (an HMAC of the address made by the API) in the current window.';
create index login_address_budget_window_idx on app_private.login_address_budget (window_started_at);
alter table app_private.login_address_budget enable row level security;
alter table app_private.login_address_budget force row level security;
create policy login_address_budget_system on app_private.login_address_budget for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update, delete on app_private.login_address_budget to ":ROLE_SYSTEM";

-- Spend one credential check from an address's budget. Returns 0 when allowed, otherwise
-- the seconds until the window resets (the API answers LOGIN_RATE_LIMITED with that).
-- SECURITY DEFINER (system): the authenticator has no right on the table.
create function app_hidden.spend_login_budget(address_key bytea, budget integer, window_seconds integer)
  returns integer
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_started timestamptz;
  v_attempts integer;
begin
  insert into app_private.login_address_budget as b (address_key, window_started_at, attempts)
    values (spend_login_budget.address_key, now(), 1)
  on conflict on constraint login_address_budget_pkey do update
    set window_started_at = case when b.window_started_at <= now() - make_interval(secs => window_seconds)
                                 then now() else b.window_started_at end,
        attempts = case when b.window_started_at <= now() - make_interval(secs => window_seconds)
                        then 1 else b.attempts + 1 end
  returning window_started_at, attempts into v_started, v_attempts;
  if v_attempts <= budget then
    return 0;
  end if;
  return greatest(1, ceil(extract(epoch from v_started + make_interval(secs => window_seconds) - now())))::integer;
end;
$$;
comment on function app_hidden.spend_login_budget(bytea, integer, integer) is
  'Spend one credential check of a client address''s budget; 0 = allowed, else seconds to wait. SECURITY DEFINER (system): called by the API (authenticator) only.';

grant execute on function app_hidden.record_login_failure(bytea),
  app_hidden.spend_login_budget(bytea, integer, integer) to ":DATABASE_AUTHENTICATOR";
alter function app_hidden.record_login_failure(bytea) owner to ":ROLE_SYSTEM";
alter function app_hidden.spend_login_budget(bytea, integer, integer) owner to ":ROLE_SYSTEM";

--! split: 500-sessions-and-auth.sql
--------------------------------------------------------------------------------
-- Sessions and login. A login opens a session; access tokens are short-lived (≤ 15 min) and
-- name the session (sid) and the membership they were issued for (membership_id and its
-- token_version). The API asks Postgres on every request whether that session is still live,
-- the user still enabled and that very membership still held with that role and version, so
-- logout, disabling a user, a role change or a removal (even followed by a re-add) end the
-- token at once and for good. Rotating refresh tokens renew access tokens.
--------------------------------------------------------------------------------
create table app_private.sessions (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references app_public.users (id) on delete cascade,
  created_at timestamptz not null default now(),
  revoked_at timestamptz
);
create index sessions_user_id_idx on app_private.sessions (user_id);
alter table app_private.sessions enable row level security;
alter table app_private.sessions force row level security;
create policy sessions_system on app_private.sessions for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update (revoked_at) on app_private.sessions to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Refresh tokens: 32 random bytes handed to the client once, stored only as their sha256.
-- Each is bound to its session and to the membership (id + token_version) or platform
-- ownership the access token is for. Using one retires it (used_at) and issues the next;
-- presenting a retired one again means it was copied, so the whole session is revoked.
--------------------------------------------------------------------------------
create table app_private.refresh_tokens (
  id                 uuid primary key default gen_random_uuid(),
  session_id         uuid not null references app_private.sessions (id) on delete cascade,
  token_hash         bytea not null unique,
  tenant_id          uuid,
  membership_id      uuid,
  membership_version integer,
  created_at         timestamptz not null default now(),
  expires_at         timestamptz not null,
  used_at            timestamptz,
  check ((tenant_id is null) = (membership_id is null) and (membership_id is null) = (membership_version is null))
);
comment on table app_private.refresh_tokens is
  'Rotating refresh tokens (sha256 only). NULL tenant/membership: a platform-owner token.';
create index refresh_tokens_session_id_idx on app_private.refresh_tokens (session_id);
alter table app_private.refresh_tokens enable row level security;
alter table app_private.refresh_tokens force row level security;
create policy refresh_tokens_system on app_private.refresh_tokens for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update (used_at), delete on app_private.refresh_tokens to ":ROLE_SYSTEM";

-- What a successful login, gym switch or refresh returns. PostGraphile signs it (HS256,
-- JWT_SECRET, audience from the server config) because graphile.config.ts names it as the
-- JWT type; refresh_token is NOT a claim: src/auth/jwt-plugin.ts leaves it out of the signed
-- token and returns it as the payload's separate `refreshToken` field.
create type app_public.jwt_token as (
  role               text,
  tenant_id          uuid,
  membership_id      uuid,
  membership_version integer,
  sub                uuid,
  sid                uuid,
  exp                bigint,
  refresh_token      text
);

-- Access-token lifetime: ironclad.access_token_ttl seconds (ACCESS_TOKEN_TTL, default 900),
-- never more than 15 minutes. Refresh tokens: ironclad.refresh_token_ttl (REFRESH_TOKEN_TTL,
-- default 14 days), at most 30 days.
create function app_private.token_expiry() returns bigint
  language sql stable set search_path = pg_catalog
as $$
  select extract(epoch from now() + make_interval(secs => least(900, greatest(1,
    coalesce(nullif(current_setting('ironclad.access_token_ttl', true), '')::integer, 900)))))::bigint
$$;
create function app_private.refresh_token_lifetime() returns interval
  language sql stable set search_path = pg_catalog
as $$
  select make_interval(secs => least(30 * 86400, greatest(60,
    coalesce(nullif(current_setting('ironclad.refresh_token_ttl', true), '')::integer, 14 * 86400))))
$$;
grant execute on function app_private.token_expiry(), app_private.refresh_token_lifetime() to ":ROLE_SYSTEM";

-- A token pair for a live session: an access token for the caller's membership in
-- tenant_id (NULL: the platform-owner token) and a new refresh token bound to it.
-- Raises IC004 when the user holds no membership there.
create function app_private.issue_tokens(user_id uuid, session_id uuid, tenant_id uuid)
  returns app_public.jwt_token
  language plpgsql volatile set search_path = pg_catalog, public
as $$
declare
  v_role text := 'platform_owner';
  v_membership uuid;
  v_version integer;
  v_refresh text := translate(encode(gen_random_bytes(32), 'base64'), '+/=', '-_');
begin
  if issue_tokens.tenant_id is not null then
    select m.role, m.id, m.token_version into v_role, v_membership, v_version
    from app_public.memberships m
    where m.tenant_id = issue_tokens.tenant_id and m.user_id = issue_tokens.user_id;
    if v_membership is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
  end if;
  insert into app_private.refresh_tokens (session_id, token_hash, tenant_id, membership_id, membership_version, expires_at)
    values (issue_tokens.session_id, sha256(convert_to(v_refresh, 'UTF8')), issue_tokens.tenant_id, v_membership,
            v_version, now() + app_private.refresh_token_lifetime());
  return row(v_role, issue_tokens.tenant_id, v_membership, v_version, issue_tokens.user_id,
             issue_tokens.session_id, app_private.token_expiry(), v_refresh)::app_public.jwt_token;
end;
$$;
comment on function app_private.issue_tokens(uuid, uuid, uuid) is
  'Access token + new refresh token for a membership (or platform ownership when tenant_id is NULL) of a live session.';
grant execute on function app_private.issue_tokens(uuid, uuid, uuid) to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- authenticate(email, password[, tenantId]) → token pair
-- SECURITY DEFINER (system): a visitor cannot read password hashes or other people's
-- memberships, and must not be able to. One answer (IC003, same message) for an unknown
-- email, a wrong password, a disabled account and an account without a password, after the
-- same bcrypt work: exactly one crypt() at the configured cost in every branch. A locked
-- login (see 450-login-throttle) is refused with IC005 before any password is checked;
-- the API reads the retry-after and the throttle key from DETAIL (never shown to clients)
-- and counts the failure in its own transaction (app_hidden.record_login_failure).
--------------------------------------------------------------------------------
create function app_public.authenticate(email text, password text, tenant_id uuid default null)
  returns app_public.jwt_token
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_key bytea := app_private.login_key(email);
  v_throttle app_private.login_throttle;
  v_wait integer;
  v_user app_public.users;
  v_hash text;
  v_ok boolean;
  v_platform boolean;
  v_tenant uuid;
  v_sid uuid;
begin
  select t.* into v_throttle from app_private.login_throttle t
  where t.login_key = v_key and t.locked_until > now();
  if v_throttle.login_key is not null then
    -- The lock this attempt will extend to (it counts as a failure too).
    v_wait := ceil(extract(epoch from greatest(v_throttle.locked_until,
                now() + app_private.login_backoff(v_throttle.failures + 1)) - now()));
    raise exception 'Too many failed logins; try again later' using errcode = 'IC005',
      detail = format('login_key=%s retry_after=%s', encode(v_key, 'hex'), greatest(v_wait, 1));
  end if;

  select u.* into v_user from app_public.users u where u.email = authenticate.email::citext;
  select s.password_hash into v_hash from app_private.user_secrets s where s.user_id = v_user.id;
  -- A person added without a password has the unusable hash '!': treat it like no hash at all.
  if v_hash not like '$2_$%' then
    v_hash := null;
  end if;
  -- Exactly one bcrypt computation whatever the case: against the real hash, or against a
  -- fresh salt at the configured cost when there is none (result discarded).
  v_ok := crypt(coalesce(password, ''), coalesce(v_hash, gen_salt('bf', app_private.bcrypt_cost()))) = v_hash;
  if v_user.id is null or v_hash is null or v_user.is_disabled or v_ok is not true then
    raise exception 'Invalid email or password' using errcode = 'IC003',
      detail = format('login_key=%s', encode(v_key, 'hex'));
  end if;

  delete from app_private.login_throttle t where t.login_key = v_key;
  -- Hashes made at a lower cost than configured are upgraded on the next good login (crypt
  -- directly: the password already proved itself, the new-password rule is not re-applied).
  -- The new hash is computed in a statement of its own and the UPDATE gets only the value: on
  -- Citus user_secrets is a reference table, whose UPDATE is sent to the workers as SQL, with
  -- the password in it if crypt() were part of it (and Citus refuses gen_salt() there anyway).
  if substr(v_hash, 5, 2)::integer < app_private.bcrypt_cost() then
    v_hash := crypt(password, gen_salt('bf', app_private.bcrypt_cost()));
    update app_private.user_secrets s set password_hash = v_hash
    where s.user_id = v_user.id;
  end if;

  v_platform := authenticate.tenant_id is null
    and exists (select 1 from app_private.platform_owners p where p.user_id = v_user.id);
  if not v_platform then
    select m.tenant_id into v_tenant
    from app_public.memberships m
    where m.user_id = v_user.id
      and (authenticate.tenant_id is null or m.tenant_id = authenticate.tenant_id)
    order by m.created_at, m.tenant_id
    limit 1;
    if v_tenant is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
    if app_private.gym_is_suspended(v_tenant) then raise exception 'This gym is suspended' using errcode = 'IC040'; end if; -- [ops: tenant lifecycle]
  end if;

  insert into app_private.sessions (user_id) values (v_user.id) returning id into v_sid;
  return app_private.issue_tokens(v_user.id, v_sid, v_tenant);
end;
$$;
comment on function app_public.authenticate(text, text, uuid) is
  E'@resultFieldName jwtToken\n@anonymousOk logging in is how an anonymous visitor gets a token\nLog in. Returns a short-lived signed JWT for your first gym (or the gym given by tenantId; platform owners get a platform-wide token) and a refresh token. SECURITY DEFINER (system): reads password hashes and memberships no visitor may read.';

--------------------------------------------------------------------------------
-- refresh_token(token) → a new token pair for the same session and membership; the
-- presented refresh token is retired. Anonymous may call it (the access token it renews has
-- usually expired). One answer, IC006, for unknown, expired, retired, revoked-session,
-- disabled-user and changed-membership tokens. A retired token presented again is refused
-- with DETAIL `reuse=<hash>`: the API then revokes that session
-- (app_hidden.revoke_reused_refresh_token), because the refusal rolls back this transaction.
-- SECURITY DEFINER (system): refresh tokens and sessions are private.
--------------------------------------------------------------------------------
create function app_public.refresh_token(token text) returns app_public.jwt_token
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_hash bytea := sha256(convert_to(coalesce(token, ''), 'UTF8'));
  v_row app_private.refresh_tokens;
  v_user uuid;
begin
  select r.* into v_row from app_private.refresh_tokens r where r.token_hash = v_hash for update;
  if v_row.id is not null and v_row.used_at is not null then
    raise exception 'Invalid or expired refresh token' using errcode = 'IC006',
      detail = format('reuse=%s', encode(v_hash, 'hex'));
  end if;
  select s.user_id into v_user
  from app_private.sessions s join app_public.users u on u.id = s.user_id
  where s.id = v_row.session_id and s.revoked_at is null and not u.is_disabled
    and v_row.expires_at > now()
    and case when v_row.tenant_id is null
             then exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
             else exists (select 1 from app_public.memberships m
                          where m.tenant_id = v_row.tenant_id and m.id = v_row.membership_id
                            and m.user_id = u.id and m.token_version = v_row.membership_version)
        end;
  if v_user is null then
    raise exception 'Invalid or expired refresh token' using errcode = 'IC006';
  end if;
  update app_private.refresh_tokens r set used_at = now() where r.id = v_row.id;
  return app_private.issue_tokens(v_user, v_row.session_id, v_row.tenant_id);
end;
$$;
comment on function app_public.refresh_token(text) is
  E'@resultFieldName jwtToken\n@anonymousOk a client renews an expired access token with its refresh token alone\nExchange a refresh token for a new access token and refresh token (the old one is retired; presenting it again ends the session). SECURITY DEFINER (system): refresh tokens and sessions are private.';

-- The API calls this (as the authenticator) when refresh_token refused a retired token:
-- the session it belongs to is revoked, so whoever copied the token and the rightful
-- holder both have to log in again. SECURITY DEFINER (system): sessions are private; it
-- acts only on a token that was really retired.
create function app_hidden.revoke_reused_refresh_token(token_hash bytea) returns void
  language sql volatile security definer set search_path = pg_catalog
as $$
  update app_private.sessions s set revoked_at = now()
  from app_private.refresh_tokens r
  where r.token_hash = revoke_reused_refresh_token.token_hash and r.used_at is not null
    and s.id = r.session_id and s.revoked_at is null
$$;
comment on function app_hidden.revoke_reused_refresh_token(bytea) is
  'Revoke the session of a retired refresh token that was presented again. SECURITY DEFINER (system): called by the API only.';

--------------------------------------------------------------------------------
-- switch_gym(tenantId) → token pair for the same session, in another gym the caller belongs to.
--------------------------------------------------------------------------------
create function app_public.switch_gym(tenant_id uuid) returns app_public.jwt_token
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if app_hidden.current_session_id() is null or app_hidden.current_user_id() is null
     or not exists (select 1 from app_public.memberships m
                    where m.tenant_id = switch_gym.tenant_id and m.user_id = app_hidden.current_user_id()) then
    -- Same answer whether the gym exists or not: another gym's existence is not revealed.
    raise exception 'You are not a member of that gym' using errcode = 'IC004';
  end if;
  return app_private.issue_tokens(app_hidden.current_user_id(), app_hidden.current_session_id(), switch_gym.tenant_id);
end;
$$;
comment on function app_public.switch_gym(uuid) is
  E'@resultFieldName jwtToken\nReturns a token pair for another gym you belong to, with the role you hold there. SECURITY DEFINER (system): reads your memberships in other gyms, which RLS hides from the current gym''s context.';

--------------------------------------------------------------------------------
-- logout() revokes the current session: every access and refresh token issued for it stops working.
--------------------------------------------------------------------------------
create function app_public.logout() returns boolean
  language sql volatile security definer set search_path = pg_catalog
as $$
  update app_private.sessions set revoked_at = now()
  where id = app_hidden.current_session_id() and user_id = app_hidden.current_user_id()
    and revoked_at is null
  returning true
$$;
comment on function app_public.logout() is
  'Revokes the current session (its refresh tokens too). SECURITY DEFINER (system): sessions are private.';

--------------------------------------------------------------------------------
-- session_is_valid: asked by the API (as the authenticator, before it switches role) for
-- every request that carries a token. A gym token is honoured only while the very
-- membership it names (id, so a re-added membership is another one) still has the role and
-- token_version it was issued with (so a role changed and changed back does not revive it).
-- plpgsql, not SQL: Citus cannot plan a SQL function's parameters against a distributed
-- table (memberships, in Citus mode), and every request asks this.
--------------------------------------------------------------------------------
create function app_hidden.session_is_valid(
  sid uuid, user_id uuid, tenant_id uuid, membership_id uuid, membership_version integer, role text
) returns boolean
  language plpgsql stable security definer set search_path = pg_catalog
as $$
begin
  return exists (
    select 1
    from app_private.sessions s
    join app_public.users u on u.id = s.user_id
    where s.id = session_is_valid.sid
      and s.user_id = session_is_valid.user_id
      and s.revoked_at is null
      and not u.is_disabled
      and not app_private.gym_is_suspended(session_is_valid.tenant_id) -- [ops: tenant lifecycle]
      and case
            when session_is_valid.role = 'platform_owner' then
              session_is_valid.tenant_id is null and session_is_valid.membership_id is null
              and exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
            else exists (
              select 1 from app_public.memberships m
              where m.tenant_id = session_is_valid.tenant_id
                and m.id = session_is_valid.membership_id
                and m.user_id = u.id and m.role::text = session_is_valid.role
                and m.token_version = session_is_valid.membership_version)
          end
  );
end;
$$;
comment on function app_hidden.session_is_valid(uuid, uuid, uuid, uuid, integer, text) is
  'True while the session is live, the user enabled and the claimed membership (same id, role and token_version) or platform ownership still held. SECURITY DEFINER (system): the authenticator itself can read nothing. plpgsql, not sql: Citus cannot plan a SQL function''s parameters against a distributed table (docs/CITUS.md).';

grant execute on function app_public.authenticate(text, text, uuid), app_public.refresh_token(text) to
  :VISITOR_ROLES;

grant execute on function app_public.switch_gym(uuid), app_public.logout() to
  :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant execute on function app_hidden.session_is_valid(uuid, uuid, uuid, uuid, integer, text),
  app_hidden.revoke_reused_refresh_token(bytea) to ":DATABASE_AUTHENTICATOR";
-- Grants first: once the system role owns them, the migration owner can no longer grant.
alter function app_public.authenticate(text, text, uuid) owner to ":ROLE_SYSTEM";
alter function app_public.refresh_token(text) owner to ":ROLE_SYSTEM";
alter function app_public.switch_gym(uuid) owner to ":ROLE_SYSTEM";
alter function app_public.logout() owner to ":ROLE_SYSTEM";
alter function app_hidden.session_is_valid(uuid, uuid, uuid, uuid, integer, text) owner to ":ROLE_SYSTEM";
alter function app_hidden.revoke_reused_refresh_token(bytea) owner to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- Who am I? Plain invoker functions: RLS already limits users/gyms to the caller's own rows.
-- An anonymous visitor may ask too, but has no right on users or gyms at all (reading the
-- table would be "permission denied"), so without a user / gym the answer is null at once.
--------------------------------------------------------------------------------
create function app_public.me() returns app_public.users
  language plpgsql stable
as $$
begin
  if app_hidden.current_user_id() is null then
    return null;
  end if;
  return (select u from app_public.users u where u.id = app_hidden.current_user_id());
end;
$$;
comment on function app_public.me() is 'The logged-in user, or null.';

create function app_public.current_gym() returns app_public.gyms
  language plpgsql stable
as $$
begin
  if app_hidden.current_tenant_id() is null then
    return null;
  end if;
  return (select g from app_public.gyms g where g.id = app_hidden.current_tenant_id());
end;
$$;
comment on function app_public.current_gym() is 'The gym the current token is for, or null.';

create function app_public.my_role() returns text
  language sql stable
  as $$ select app_hidden.current_app_role() $$;
comment on function app_public.my_role() is
  'Your role in the current gym: member, personal_trainer, coach, gym_admin, platform_owner or anonymous.';

grant execute on function app_public.me(), app_public.current_gym(), app_public.my_role() to :VISITOR_ROLES;

--------------------------------------------------------------------------------
-- Housekeeping (graphile-worker task `prune_sessions`, daily): forget sessions that were
-- revoked, or are older than any token could be and hold no live refresh token, a week
-- ago; and throttle rows nobody has touched for a day.
--------------------------------------------------------------------------------
create function app_private.prune_sessions() returns integer
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_gone integer;
begin
  delete from app_private.sessions s
  where coalesce(s.revoked_at, s.created_at + interval '30 days') < now() - interval '7 days'
    and (s.revoked_at is not null or not exists (
      select 1 from app_private.refresh_tokens r
      where r.session_id = s.id and r.used_at is null and r.expires_at > now()));
  get diagnostics v_gone = row_count;
  delete from app_private.refresh_tokens r where r.expires_at < now() - interval '7 days';
  delete from app_private.login_throttle t
  where t.last_failure_at < now() - interval '1 day' and coalesce(t.locked_until, '-infinity') < now();
  delete from app_private.login_address_budget b where b.window_started_at < now() - interval '1 day';
  return v_gone;
end;
$$;
comment on function app_private.prune_sessions() is
  'Delete long-dead sessions, expired refresh tokens and stale throttle rows. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on sessions.';
alter function app_private.prune_sessions() owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM"; -- see create_platform_owner: the grant must come from the new owner
grant execute on function app_private.prune_sessions() to ":DATABASE_OWNER";
reset role;
grant delete on app_private.sessions to ":ROLE_SYSTEM";

--! split: 600-provisioning.sql
--------------------------------------------------------------------------------
-- Provisioning: the only ways gyms, users and memberships come into being.
-- All SECURITY DEFINER (system) because they write identity tables no visitor may write;
-- each is executable only by the roles named in its grant, and re-checks the caller's gym.
--------------------------------------------------------------------------------

create function app_public.provision_gym(name text, slug text, plan app_public.gym_plan default 'free')
  returns app_public.gyms
  language sql volatile security definer set search_path = pg_catalog, public
as $$
  insert into app_public.gyms (name, slug, plan)
    values (provision_gym.name, provision_gym.slug::citext, coalesce(provision_gym.plan, 'free'))
  returning *
$$;
comment on function app_public.provision_gym(text, text, app_public.gym_plan) is
  'Platform owner: create a gym (tenant). SECURITY DEFINER (system) because no visitor role may insert gyms directly.';
grant execute on function app_public.provision_gym(text, text, app_public.gym_plan) to ":ROLE_PLATFORM_OWNER";
alter function app_public.provision_gym(text, text, app_public.gym_plan) owner to ":ROLE_SYSTEM";

-- People join a gym only by accepting an invitation (610-invitations.sql): no API path sets
-- or learns anyone else's password. The two functions below are bootstrap doors for the
-- database owner only (seed, CLI, tests), never granted to a visitor role.

-- Find a login by email or create it. A login created without a password hash cannot log in
-- (unusable hash '!') until its person sets one through a password reset.
create function app_private.bootstrap_user(email text, display_name text, password_hash text)
  returns uuid
  language plpgsql volatile set search_path = pg_catalog, public
as $$
declare
  v_id uuid;
begin
  select u.id into v_id from app_public.users u where u.email = bootstrap_user.email::citext;
  if v_id is null then
    insert into app_public.users (email, display_name)
      values (bootstrap_user.email, bootstrap_user.display_name)
      returning id into v_id;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_id, coalesce(bootstrap_user.password_hash, '!'));
  end if;
  return v_id;
end;
$$;
comment on function app_private.bootstrap_user(text, text, text) is
  'Owner-only bootstrap: the user with this email, created (with this bcrypt hash, or none) if new. An existing login is never changed.';

-- An already-accepted membership, for demo data and tests. Takes a bcrypt hash (compute it
-- once with app_private.hash_password and reuse it: seeding stays fast at production cost).
create function app_private.bootstrap_gym_user(
  tenant_id uuid, email text, display_name text, role app_public.membership_role, password_hash text
) returns app_public.memberships
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_membership app_public.memberships;
  v_user_id uuid;
begin
  -- The user first, in a statement of its own: on Citus an INSERT into a distributed table
  -- cannot evaluate a function that itself writes (users) while it is being planned.
  v_user_id := app_private.bootstrap_user(bootstrap_gym_user.email, bootstrap_gym_user.display_name, bootstrap_gym_user.password_hash);
  insert into app_public.memberships (tenant_id, user_id, role, display_name)
    values (bootstrap_gym_user.tenant_id, v_user_id, bootstrap_gym_user.role, bootstrap_gym_user.display_name)
    returning * into v_membership;
  return v_membership;
end;
$$;
comment on function app_private.bootstrap_gym_user(uuid, text, text, app_public.membership_role, text) is
  'Owner-only bootstrap (seed, tests): a person already in a gym, as if they had accepted an invitation. SECURITY DEFINER (system): writes identity tables; executable only by the database owner.';

-- The first platform owner is made by the database owner (seed / CLI), never through the API.
create function app_private.create_platform_owner(email text, display_name text, password text)
  returns uuid
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_id uuid := app_private.bootstrap_user(email, display_name, app_private.hash_password(password));
begin
  -- Not ON CONFLICT: on Citus, an upsert into a reference table takes a lock that needs
  -- UPDATE/DELETE rights the system role does not have here; a duplicate is simply ignored.
  begin
    insert into app_private.platform_owners (user_id) values (v_id);
  exception when unique_violation then null;
  end;
  return v_id;
end;
$$;
comment on function app_private.create_platform_owner(text, text, text) is
  'Make (or promote) a platform owner. SECURITY DEFINER (system); executable only by the database owner.';
alter function app_private.bootstrap_user(text, text, text) owner to ":ROLE_SYSTEM";
alter function app_private.bootstrap_gym_user(uuid, text, text, app_public.membership_role, text) owner to ":ROLE_SYSTEM";
alter function app_private.create_platform_owner(text, text, text) owner to ":ROLE_SYSTEM";
-- ALTER OWNER hands the old owner's own rights to the new owner, so the grant to the
-- database owner is made by the system role after the transfer.
set role ":ROLE_SYSTEM";
grant execute on function app_private.create_platform_owner(text, text, text) to ":DATABASE_OWNER";
grant execute on function app_private.bootstrap_gym_user(uuid, text, text, app_public.membership_role, text) to ":DATABASE_OWNER";
reset role;

--! split: 610-account-events.sql
--------------------------------------------------------------------------------
-- account_events: the gym's audit trail of who joined, left or changed role, and of every
-- invitation (created, resent, revoked, accepted). Written only by triggers and the account
-- functions (as the system role), whoever made the change; append-only; read by the gym's
-- admin for its own gym and by the platform owner. Ids of people are membership ids of this
-- gym: a gym never sees a user id.
--------------------------------------------------------------------------------
create table app_public.account_events (
  tenant_id     uuid not null default app_hidden.current_tenant_id()
                references app_public.gyms (id) on delete cascade,
  id            uuid not null default gen_random_uuid(),
  occurred_at   timestamptz not null default clock_timestamp(),
  action        text not null check (action in (
                  'invitation_created', 'invitation_resent', 'invitation_revoked', 'invitation_accepted',
                  'membership_created', 'role_changed', 'membership_removed')),
  -- Who did it: their role, and their membership in this gym (null for the platform owner,
  -- the owner-only bootstrap, or a person accepting their own invitation before joining).
  actor_role    text not null,
  actor_membership_id uuid,
  -- Whom it concerns. Plain values, not foreign keys: the trail outlives the rows it names.
  membership_id uuid,
  invitation_id uuid,
  email         citext,
  role          app_public.membership_role,
  previous_role app_public.membership_role,
  primary key (tenant_id, id)
);
comment on table app_public.account_events is
  'Audit trail of account changes in a gym (invitations, joins, role changes, removals). Append-only.';
create index account_events_tenant_occurred_idx on app_public.account_events (tenant_id, occurred_at);

alter table app_public.account_events enable row level security;
alter table app_public.account_events force row level security;
create policy account_events_tenant on app_public.account_events as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy account_events_select_admin on app_public.account_events for select
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy account_events_select_platform on app_public.account_events for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy account_events_system on app_public.account_events for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select on app_public.account_events to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert on app_public.account_events to ":ROLE_SYSTEM";

-- Append-only for everyone, the owner included. The one exception: rows of a gym that is
-- being offboarded go with it — the cascade from a deleted gym row, or the offboarding of a
-- suspended gym (`npm run gym -- offboard` suspends first, then deletes every tenant table's
-- rows) — since a trail of a gym that no longer exists has no reader. No visitor role has a
-- DELETE grant here at all. SECURITY DEFINER (system): checks the gym row, which RLS may hide
-- from whoever deletes.
create function app_private.tg_account_events__append_only() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_op = 'DELETE' and not exists (
       select 1 from app_public.gyms g where g.id = old.tenant_id and g.suspended_at is null) then
    return old;
  end if;
  raise exception 'The account audit log is append-only' using errcode = 'IC030';
end;
$$;
comment on function app_private.tg_account_events__append_only() is
  'Trigger: refuses UPDATE and DELETE on account_events (IC030), except the cascade of a deleted gym. SECURITY DEFINER (system): reads gyms.';
create trigger _100_tenant_id_immutable before update on app_public.account_events
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _110_append_only before update or delete on app_public.account_events
  for each row execute function app_private.tg_account_events__append_only();
create function app_private.tg_account_events__no_truncate() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  raise exception 'The account audit log is append-only' using errcode = 'IC030';
end;
$$;
create trigger _101_append_only_truncate before truncate on app_public.account_events
  for each statement execute function app_private.tg_account_events__no_truncate();
alter function app_private.tg_account_events__append_only() owner to ":ROLE_SYSTEM";

-- Record one event in gym `tenant_id`, stamping the actor from the request's claims.
-- Called only from the system role's own functions and triggers (no visitor may execute it).
create function app_private.record_account_event(
  tenant_id uuid, action text, membership_id uuid, invitation_id uuid, email citext,
  role app_public.membership_role, previous_role app_public.membership_role default null
) returns void
  -- plpgsql, and the actor looked up in a statement of its own: Citus cannot plan a SQL
  -- function's parameters, nor a subquery inside an INSERT … VALUES into a sharded table.
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  v_actor uuid;
begin
  select m.id into v_actor from app_public.memberships m
   where m.tenant_id = record_account_event.tenant_id and m.user_id = app_hidden.current_user_id();
  insert into app_public.account_events
    (tenant_id, action, actor_role, actor_membership_id, membership_id, invitation_id, email, role, previous_role)
  values (
    record_account_event.tenant_id, record_account_event.action,
    coalesce(nullif(current_setting('jwt.claims.role', true), ''), 'owner'),
    v_actor,
    record_account_event.membership_id, record_account_event.invitation_id,
    record_account_event.email, record_account_event.role, record_account_event.previous_role);
end;
$$;
comment on function app_private.record_account_event(uuid, text, uuid, uuid, citext, app_public.membership_role, app_public.membership_role) is
  'Append one account event; the actor comes from the request claims (owner when there are none).';
grant execute on function app_private.record_account_event(uuid, text, uuid, uuid, citext, app_public.membership_role, app_public.membership_role) to ":ROLE_SYSTEM";

--! split: 620-mail-outbox.sql
--------------------------------------------------------------------------------
-- Mail outbox: every mail the platform sends (invitations, password resets) is a row written
-- in the same transaction as the change that causes it, so a rolled-back invitation sends
-- nothing and a committed one is never lost. A trigger enqueues the graphile-worker job
-- `send_mail`, which renders the mail, hands it to the transport (src/mail) and marks it sent.
-- The one-time token a mail carries lives in `secret` only until the mail is sent, and is
-- erased then; invitations and resets themselves keep only its sha256.
--------------------------------------------------------------------------------
create table app_private.mail_outbox (
  id         uuid primary key default gen_random_uuid(),
  created_at timestamptz not null default now(),
  template   text not null check (template in ('invitation', 'password_reset')),
  recipient  citext not null,
  -- Non-secret values the template shows (gym name, role, expiry).
  params     jsonb not null default '{}',
  secret     text,
  attempts   integer not null default 0,
  sent_at    timestamptz,
  last_error text
);
comment on table app_private.mail_outbox is
  'Mails to send (sent by the graphile-worker task send_mail). `secret` (the raw one-time token) is erased once the mail is sent.';
alter table app_private.mail_outbox enable row level security;
alter table app_private.mail_outbox force row level security;
create policy mail_outbox_system on app_private.mail_outbox for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update (secret, attempts, sent_at, last_error), delete on app_private.mail_outbox to ":ROLE_SYSTEM";

-- SECURITY DEFINER (database owner, which owns graphile_worker): visitors may not add jobs.
create function app_private.tg_mail_outbox__enqueue() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  perform graphile_worker.add_job('send_mail', json_build_object('id', new.id), max_attempts := 10);
  return null;
end;
$$;
comment on function app_private.tg_mail_outbox__enqueue() is
  'Trigger: one send_mail job per outbox row. SECURITY DEFINER (database owner, which owns graphile_worker).';
create trigger _900_enqueue after insert on app_private.mail_outbox
  for each row execute function app_private.tg_mail_outbox__enqueue();

-- Queue one mail. Called by the account functions (system role) only.
create function app_private.queue_mail(template text, recipient citext, params jsonb, secret text)
  returns uuid
  language sql volatile set search_path = pg_catalog
as $$
  insert into app_private.mail_outbox (template, recipient, params, secret)
    values (queue_mail.template, queue_mail.recipient, queue_mail.params, queue_mail.secret)
  returning id
$$;
grant execute on function app_private.queue_mail(text, citext, jsonb, text) to ":ROLE_SYSTEM";

-- The worker (as the database owner) takes an unsent mail and later marks it sent or failed.
-- SECURITY DEFINER (system): the outbox is closed to everyone but the system role.
create function app_private.take_mail(id uuid) returns app_private.mail_outbox
  language sql volatile security definer set search_path = pg_catalog
as $$
  update app_private.mail_outbox o set attempts = o.attempts + 1
  where o.id = take_mail.id and o.sent_at is null
  returning o.*
$$;
comment on function app_private.take_mail(uuid) is
  'Worker: the unsent mail with this id (attempts counted), or null. SECURITY DEFINER (system): the outbox is private.';
create function app_private.finish_mail(id uuid, error text) returns void
  language sql volatile security definer set search_path = pg_catalog
as $$
  update app_private.mail_outbox o
  set sent_at = case when finish_mail.error is null then now() end,
      secret = case when finish_mail.error is null then null else o.secret end,
      last_error = left(finish_mail.error, 1000)
  where o.id = finish_mail.id and o.sent_at is null
$$;
comment on function app_private.finish_mail(uuid, text) is
  'Worker: mark a mail sent (its secret erased) or record the error of a failed attempt. SECURITY DEFINER (system): the outbox is private.';
-- Forget sent mails after a month (the worker's prune task).
create function app_private.prune_mail_outbox() returns integer
  language sql volatile security definer set search_path = pg_catalog
as $$
  with gone as (
    delete from app_private.mail_outbox where sent_at < now() - interval '30 days' returning 1
  )
  select count(*)::integer from gone
$$;
comment on function app_private.prune_mail_outbox() is
  'Delete mails sent over 30 days ago. SECURITY DEFINER (system): the outbox is private.';
alter function app_private.take_mail(uuid) owner to ":ROLE_SYSTEM";
alter function app_private.finish_mail(uuid, text) owner to ":ROLE_SYSTEM";
alter function app_private.prune_mail_outbox() owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM"; -- see create_platform_owner: the grant must come from the new owner
grant execute on function app_private.take_mail(uuid), app_private.finish_mail(uuid, text),
  app_private.prune_mail_outbox() to ":DATABASE_OWNER";
reset role;

-- One-time tokens: 32 random bytes, hex. Only their sha256 is ever stored in a table that
-- outlives the mail.
create function app_private.new_token() returns text
  language sql volatile set search_path = pg_catalog, public
  as $$ select encode(gen_random_bytes(32), 'hex') $$;
create function app_private.token_hash(token text) returns bytea
  language sql immutable set search_path = pg_catalog
  as $$ select sha256(convert_to(coalesce(token, ''), 'UTF8')) $$;
grant execute on function app_private.new_token(), app_private.token_hash(text) to ":ROLE_SYSTEM";

--! split: 630-invitations.sql
--------------------------------------------------------------------------------
-- invitations: how a person joins a gym. A gym admin (own gym) or the platform owner invites
-- an email with a role and the name the gym will show; the person receives a one-time link
-- and accepts it (app_public.accept_invitation). The membership exists only after that. The
-- answer to an invitation never depends on whether the email already has a login anywhere.
--------------------------------------------------------------------------------
create table app_public.invitations (
  tenant_id     uuid not null default app_hidden.current_tenant_id()
                references app_public.gyms (id) on delete cascade,
  id            uuid not null default gen_random_uuid(),
  email         citext not null check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
  role          app_public.membership_role not null,
  display_name  text not null check (length(btrim(display_name)) between 1 and 100),
  -- sha256 of the token mailed to the person; the raw token is never stored here.
  token_hash    bytea not null,
  expires_at    timestamptz not null,
  created_at    timestamptz not null default now(),
  last_sent_at  timestamptz not null default now(),
  accepted_at   timestamptz,
  revoked_at    timestamptz,
  membership_id uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, membership_id) references app_public.memberships (tenant_id, id)
    on delete set null (membership_id)
);
comment on table app_public.invitations is
  'An invitation to join the gym with a role. Created with inviteToGym, accepted by the person with acceptInvitation.';
comment on column app_public.invitations.token_hash is
  E'@behavior -*\nsha256 of the one-time token; never readable through the API.';
-- One open invitation per email and gym.
create unique index invitations_open_email_idx on app_public.invitations (tenant_id, email)
  where accepted_at is null and revoked_at is null;
create index invitations_token_hash_idx on app_public.invitations (token_hash);
create index invitations_tenant_membership_idx on app_public.invitations (tenant_id, membership_id);
create index invitations_expires_at_idx on app_public.invitations (expires_at) where accepted_at is null;
create trigger _100_tenant_id_immutable before update on app_public.invitations
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.invitations enable row level security;
alter table app_public.invitations force row level security;
create policy invitations_tenant on app_public.invitations as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy invitations_select_admin on app_public.invitations for select
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy invitations_select_platform on app_public.invitations for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy invitations_system on app_public.invitations for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select (tenant_id, id, email, role, display_name, expires_at, created_at, last_sent_at,
              accepted_at, revoked_at, membership_id)
  on app_public.invitations to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert, update, delete on app_public.invitations to ":ROLE_SYSTEM";

-- How long an invitation link works.
create function app_private.invitation_ttl() returns interval
  language sql immutable set search_path = pg_catalog as $$ select interval '7 days' $$;
grant execute on function app_private.invitation_ttl() to ":ROLE_SYSTEM";

-- The gym the caller may manage people of: its own gym for a gym admin (tenantId, if given,
-- must be it), the named gym for the platform owner; IC002 otherwise.
create function app_private.managed_gym(tenant_id uuid) returns uuid
  language plpgsql stable set search_path = pg_catalog
as $$
declare
  v_tenant uuid;
begin
  if app_hidden.current_app_role() = 'platform_owner' then
    v_tenant := managed_gym.tenant_id;
  elsif app_hidden.current_app_role() = 'gym_admin'
        and (managed_gym.tenant_id is null or managed_gym.tenant_id = app_hidden.current_tenant_id()) then
    v_tenant := app_hidden.current_tenant_id();
  end if;
  if v_tenant is null or not exists (select 1 from app_public.gyms g where g.id = v_tenant) then
    raise exception 'Only a gym admin (for their own gym) or the platform owner may manage people'
      using errcode = 'IC002';
  end if;
  return v_tenant;
end;
$$;
grant execute on function app_private.managed_gym(uuid) to ":ROLE_SYSTEM";

-- Mail the invitation with a fresh token (invite and resend).
create function app_private.mail_invitation(inv app_public.invitations, token text) returns void
  language sql volatile set search_path = pg_catalog
as $$
  select app_private.queue_mail('invitation', inv.email,
    jsonb_build_object('gym', g.name, 'role', inv.role, 'display_name', inv.display_name, 'expires_at', inv.expires_at),
    token)
  from app_public.gyms g where g.id = inv.tenant_id
$$;
grant execute on function app_private.mail_invitation(app_public.invitations, text) to ":ROLE_SYSTEM";

create function app_public.invite_to_gym(email text, role app_public.membership_role, display_name text, tenant_id uuid default null)
  returns app_public.invitations
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_tenant uuid := app_private.managed_gym(invite_to_gym.tenant_id);
  v_token text := app_private.new_token();
  v_inv app_public.invitations;
  v_full record;
begin
  -- Only a person already in THIS gym is refused: the caller can see its own members anyway.
  -- Whether the email has a login, or is in any other gym, changes nothing in the answer.
  if exists (select 1 from app_public.memberships m join app_public.users u on u.id = m.user_id
             where m.tenant_id = v_tenant and u.email = invite_to_gym.email::citext) then
    raise exception 'That person is already in this gym' using errcode = 'IC023';
  end if;
  if exists (select 1 from app_public.invitations i
             where i.tenant_id = v_tenant and i.email = invite_to_gym.email::citext
               and i.accepted_at is null and i.revoked_at is null) then
    raise exception 'That email already has an open invitation: resend or revoke it' using errcode = 'IC024';
  end if;
  -- Tell the admin now when the gym is already full for that role (acceptance re-checks it,
  -- race-safely, in the memberships plan-limit trigger).
  select g.member_count, g.staff_count, p.id as plan, p.max_members, p.max_staff into v_full
  from app_public.gyms g join app_public.plans p on p.id = g.plan where g.id = v_tenant;
  if invite_to_gym.role = 'member' and v_full.member_count >= v_full.max_members then
    raise exception 'Plan limit reached: % plan allows % members', v_full.plan, v_full.max_members
      using errcode = 'IC010', constraint = 'plan_max_members';
  elsif invite_to_gym.role <> 'member' and v_full.staff_count >= v_full.max_staff then
    raise exception 'Plan limit reached: % plan allows % staff', v_full.plan, v_full.max_staff
      using errcode = 'IC010', constraint = 'plan_max_staff';
  end if;
  insert into app_public.invitations (tenant_id, email, role, display_name, token_hash, expires_at)
    values (v_tenant, invite_to_gym.email, invite_to_gym.role, btrim(invite_to_gym.display_name),
            app_private.token_hash(v_token), now() + app_private.invitation_ttl())
    returning * into v_inv;
  perform app_private.mail_invitation(v_inv, v_token);
  perform app_private.record_account_event(v_tenant, 'invitation_created', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$$;
comment on function app_public.invite_to_gym(text, app_public.membership_role, text, uuid) is
  'Gym admin (own gym) or platform owner (tenantId): invite an email to join with a role and the name this gym shows for them. Mails a one-time link (valid 7 days). The answer is the same whether or not the email has a login. SECURITY DEFINER (system): writes the outbox and reads memberships by email.';

-- An open invitation the caller may manage, locked; IC020 if there is none. The gym is read
-- first (no lock), then the row is locked by its full key: on Citus a row lock needs a query
-- routed to one shard, which `where id = …` alone is not; on one node the answer is the same.
create function app_private.open_invitation(invitation_id uuid) returns app_public.invitations
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  v_tenant uuid;
  v_inv app_public.invitations;
begin
  select i.tenant_id into v_tenant from app_public.invitations i where i.id = open_invitation.invitation_id;
  select i.* into v_inv from app_public.invitations i
  where i.tenant_id = v_tenant and i.id = open_invitation.invitation_id and i.accepted_at is null and i.revoked_at is null
    and (i.tenant_id = app_hidden.current_tenant_id() and app_hidden.current_app_role() = 'gym_admin'
         or app_hidden.current_app_role() = 'platform_owner')
  for update;
  if v_inv.id is null then
    raise exception 'No such open invitation' using errcode = 'IC020';
  end if;
  return v_inv;
end;
$$;
grant execute on function app_private.open_invitation(uuid) to ":ROLE_SYSTEM";

create function app_public.resend_invitation(invitation_id uuid) returns app_public.invitations
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_inv app_public.invitations := app_private.open_invitation(resend_invitation.invitation_id);
  v_token text := app_private.new_token();
begin
  update app_public.invitations i
  set token_hash = app_private.token_hash(v_token), expires_at = now() + app_private.invitation_ttl(),
      last_sent_at = now()
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id
  returning * into v_inv;
  perform app_private.mail_invitation(v_inv, v_token);
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_resent', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$$;
comment on function app_public.resend_invitation(uuid) is
  'Gym admin (own gym) or platform owner: mail an open invitation again with a new link; the old link stops working. SECURITY DEFINER (system): writes the outbox.';

create function app_public.revoke_invitation(invitation_id uuid) returns app_public.invitations
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_inv app_public.invitations := app_private.open_invitation(revoke_invitation.invitation_id);
begin
  update app_public.invitations i set revoked_at = now()
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id
  returning * into v_inv;
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_revoked', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$$;
comment on function app_public.revoke_invitation(uuid) is
  'Gym admin (own gym) or platform owner: withdraw an open invitation; its link stops working. SECURITY DEFINER (system): invitations are written only by these functions.';

-- What accepting an invitation returns: the gym joined (log in with tenantId to use it).
create type app_public.accepted_invitation as (
  tenant_id uuid,
  gym_name  text,
  role      app_public.membership_role
);
comment on type app_public.accepted_invitation is 'The gym an accepted invitation joined, and the role held there.';

create function app_public.accept_invitation(token text, password text default null)
  returns app_public.accepted_invitation
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_inv app_public.invitations;
  v_user uuid;
  v_membership uuid;
  v_hash text;
  v_key app_public.invitations;
begin
  -- Found by its token (any gym), then locked by its key and checked again: on Citus a
  -- FOR UPDATE must name one shard ("could not run distributed query with FOR UPDATE").
  select i.* into v_key from app_public.invitations i
  where i.token_hash = app_private.token_hash(accept_invitation.token);
  select i.* into v_inv from app_public.invitations i
  where i.tenant_id = v_key.tenant_id and i.id = v_key.id
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
  if v_inv.id is null then
    raise exception 'This invitation link is invalid, used, revoked or expired' using errcode = 'IC020';
  end if;

  select u.id into v_user from app_public.users u where u.email = v_inv.email;
  if v_user is null then
    -- A new person: they choose their own password, now. Hashed in a statement of its own so
    -- that only the hash goes into the INSERT, which Citus sends to the workers as SQL
    -- (user_secrets is a reference table there).
    v_hash := app_private.hash_password(accept_invitation.password);
    insert into app_public.users (email, display_name) values (v_inv.email, v_inv.display_name)
      returning id into v_user;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_user, v_hash);
  elsif v_user is distinct from app_hidden.current_user_id() then
    -- An existing login is only ever joined to a gym by that person, logged in as themself:
    -- holding the link is not enough, and no password is set or changed here.
    raise exception 'Log in as the invited person to accept this invitation' using errcode = 'IC021';
  end if;

  insert into app_public.memberships (tenant_id, user_id, role, display_name)
    values (v_inv.tenant_id, v_user, v_inv.role, v_inv.display_name)
    returning id into v_membership;
  update app_public.invitations i set accepted_at = now(), membership_id = v_membership
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id;
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_accepted', v_membership, v_inv.id, v_inv.email, v_inv.role);
  return (select row(g.id, g.name, v_inv.role)::app_public.accepted_invitation from app_public.gyms g where g.id = v_inv.tenant_id);
end;
$$;
comment on function app_public.accept_invitation(text, text) is
  E'@anonymousOk the invited person may have no login yet; the one-time token is the credential\nAccept an invitation with the token from its mail. A new email sets its password here; an existing login must be logged in as itself (no password needed). Creates the membership. SECURITY DEFINER (system): creates logins and memberships.';

-- Housekeeping (graphile-worker task `prune_invitations`, hourly): open invitations past their
-- expiry and revoked ones are deleted a day later (the trail in account_events stays).
create function app_private.prune_invitations() returns integer
  language sql volatile security definer set search_path = pg_catalog
as $$
  with gone as (
    delete from app_public.invitations i
    where i.accepted_at is null
      and coalesce(i.revoked_at, i.expires_at) < now() - interval '1 day'
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function app_private.prune_invitations() is
  'Delete invitations expired or revoked over a day ago. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on invitations.';

grant execute on function app_public.invite_to_gym(text, app_public.membership_role, text, uuid),
  app_public.resend_invitation(uuid), app_public.revoke_invitation(uuid)
  to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant execute on function app_public.accept_invitation(text, text) to :VISITOR_ROLES;
alter function app_public.invite_to_gym(text, app_public.membership_role, text, uuid) owner to ":ROLE_SYSTEM";
alter function app_public.resend_invitation(uuid) owner to ":ROLE_SYSTEM";
alter function app_public.revoke_invitation(uuid) owner to ":ROLE_SYSTEM";
alter function app_public.accept_invitation(text, text) owner to ":ROLE_SYSTEM";
alter function app_private.prune_invitations() owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM";
grant execute on function app_private.prune_invitations() to ":DATABASE_OWNER";
reset role;

--! split: 640-self-service-credentials.sql
--------------------------------------------------------------------------------
-- Self-service credentials: only the person sets their password. change_password needs the
-- current one; a forgotten one is reset through a one-time token mailed to the address.
-- Every path that sets a password ends the person's other sessions.
--------------------------------------------------------------------------------
create table app_private.password_resets (
  id         uuid primary key default gen_random_uuid(),
  user_id    uuid not null references app_public.users (id) on delete cascade,
  token_hash bytea not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz
);
create index password_resets_token_hash_idx on app_private.password_resets (token_hash);
create index password_resets_user_id_idx on app_private.password_resets (user_id, created_at);
alter table app_private.password_resets enable row level security;
alter table app_private.password_resets force row level security;
create policy password_resets_system on app_private.password_resets for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select, insert, update (used_at), delete on app_private.password_resets to ":ROLE_SYSTEM";

-- Set a user's password and end their sessions (all, or all but `keep_session`).
create function app_private.set_password(user_id uuid, password text, keep_session uuid) returns void
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  -- Hashed here, before any statement touches user_secrets, so that the writes carry only the
  -- hash: on Citus they are sent to the workers as SQL (a reference table).
  v_hash text := app_private.hash_password(set_password.password);
begin
  update app_private.user_secrets s set password_hash = v_hash
  where s.user_id = set_password.user_id;
  if not found then
    insert into app_private.user_secrets (user_id, password_hash)
      values (set_password.user_id, v_hash);
  end if;
  update app_private.sessions s set revoked_at = now()
  where s.user_id = set_password.user_id and s.revoked_at is null
    and s.id is distinct from set_password.keep_session;
end;
$$;
grant execute on function app_private.set_password(uuid, text, uuid) to ":ROLE_SYSTEM";

create function app_public.change_password(current_password text, new_password text) returns boolean
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_hash text;
begin
  select s.password_hash into v_hash from app_private.user_secrets s
  where s.user_id = app_hidden.current_user_id();
  if v_hash is null or v_hash not like '$2_$%' or crypt(coalesce(current_password, ''), v_hash) is distinct from v_hash then
    raise exception 'The current password is wrong' using errcode = 'IC003';
  end if;
  perform app_private.set_password(app_hidden.current_user_id(), new_password, app_hidden.current_session_id());
  return true;
end;
$$;
comment on function app_public.change_password(text, text) is
  'Change your own password (the current one is required). Ends every other session of yours. SECURITY DEFINER (system): password hashes and sessions are private.';

-- How long a reset link works, and how often one address may be sent a new one.
create function app_private.password_reset_ttl() returns interval
  language sql immutable set search_path = pg_catalog as $$ select interval '1 hour' $$;
grant execute on function app_private.password_reset_ttl() to ":ROLE_SYSTEM";

create function app_private.process_password_reset_request(email text) returns void
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_user uuid;
  v_email citext;
  v_token text := app_private.new_token();
  v_hash bytea := app_private.token_hash(v_token);
begin
  select u.id, u.email into v_user, v_email from app_public.users u
  where u.email = process_password_reset_request.email::citext and not u.is_disabled;
  -- At most one mail a minute per address (a flood of requests must not flood the inbox).
  if v_user is not null and not exists (
       select 1 from app_private.password_resets r
       where r.user_id = v_user and r.created_at > now() - interval '1 minute') then
    insert into app_private.password_resets (user_id, token_hash, expires_at)
      values (v_user, v_hash, now() + app_private.password_reset_ttl());
    -- To the address the login was made with, never the one typed here: citext equality folds
    -- case under the database collation, so a look-alike (İ, the Kelvin sign …) typed by an
    -- attacker matches the victim's login — the link must still only reach the victim.
    perform app_private.queue_mail('password_reset', v_email,
      jsonb_build_object('expires_at', now() + app_private.password_reset_ttl()), v_token);
  end if;
  return;
end;
$$;
comment on function app_private.process_password_reset_request(text) is
  'Worker task password_reset_request: mail a one-time reset link (valid 1 hour) to the login an address names, if it exists and is enabled, at most one a minute. SECURITY DEFINER (system): reads logins by email and writes the outbox.';

-- Queues the worker's part of a reset request. SECURITY DEFINER (database owner, which owns
-- graphile_worker): neither visitors nor the system role may add jobs themselves.
-- plpgsql, not sql: its body names graphile_worker, whose schema `db:reset` installs after the
-- committed migrations (an sql body is resolved when the function is created).
create function app_private.queue_password_reset_request(email text) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  perform graphile_worker.add_job('password_reset_request',
    json_build_object('email', queue_password_reset_request.email), max_attempts => 1);
end;
$$;
comment on function app_private.queue_password_reset_request(text) is
  E'@lint-ignore definer-owned-by-system: only the owner of graphile_worker may add jobs, and this function does nothing but queue one fixed task\nQueue graphile-worker task password_reset_request for an address. SECURITY DEFINER (database owner, which owns graphile_worker).';
grant execute on function app_private.queue_password_reset_request(text) to ":ROLE_SYSTEM";

-- Asking for a reset must answer alike for every address — same body, same time — so the
-- request itself only queues a job (the same single insert whatever the address); the lookup,
-- the one-a-minute limit, the token and the mail happen in the worker
-- (app_private.process_password_reset_request, task `password_reset_request`), out of the
-- requester's sight.
create function app_public.request_password_reset(email text) returns boolean
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
begin
  perform app_private.queue_password_reset_request(request_password_reset.email);
  return true;
end;
$$;
comment on function app_public.request_password_reset(text) is
  E'@anonymousOk a person who forgot their password has no token\nMail a one-time password-reset link (valid 1 hour) if the address has an enabled login. Always returns true, known address or not, after the same work (one queued job). SECURITY DEFINER (system): visitors may not queue jobs (app_private.queue_password_reset_request).';

create function app_public.reset_password(token text, new_password text) returns boolean
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_reset app_private.password_resets;
begin
  select r.* into v_reset from app_private.password_resets r
  join app_public.users u on u.id = r.user_id
  where r.token_hash = app_private.token_hash(reset_password.token)
    and r.used_at is null and r.expires_at > now() and not u.is_disabled
  for update of r;
  if v_reset.id is null then
    raise exception 'This reset link is invalid, used or expired' using errcode = 'IC020';
  end if;
  perform app_private.set_password(v_reset.user_id, new_password, null);
  -- Every outstanding link of this person dies with the one used.
  update app_private.password_resets r set used_at = now() where r.user_id = v_reset.user_id and r.used_at is null;
  return true;
end;
$$;
comment on function app_public.reset_password(text, text) is
  E'@anonymousOk the reset link is the credential\nSet a new password with the token from a reset mail. Ends every session of the person. SECURITY DEFINER (system): writes password hashes and sessions.';

create function app_public.logout_everywhere() returns boolean
  language sql volatile security definer set search_path = pg_catalog
as $$
  with ended as (
    update app_private.sessions s set revoked_at = now()
    where s.user_id = app_hidden.current_user_id() and s.revoked_at is null
    returning 1
  )
  select app_hidden.current_user_id() is not null
$$;
comment on function app_public.logout_everywhere() is
  'End every session of yours, this one included. SECURITY DEFINER (system): sessions are private.';

-- Used and expired reset tokens are deleted by the worker task prune_sessions' sibling.
create function app_private.prune_password_resets() returns integer
  language sql volatile security definer set search_path = pg_catalog
as $$
  with gone as (
    delete from app_private.password_resets r
    where coalesce(r.used_at, r.expires_at) < now() - interval '1 day'
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function app_private.prune_password_resets() is
  'Delete reset tokens used or expired over a day ago. SECURITY DEFINER (system): the table is private.';

grant execute on function app_public.request_password_reset(text), app_public.reset_password(text, text) to
  :VISITOR_ROLES;
grant execute on function app_public.change_password(text, text), app_public.logout_everywhere() to
  :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
alter function app_public.change_password(text, text) owner to ":ROLE_SYSTEM";
alter function app_public.request_password_reset(text) owner to ":ROLE_SYSTEM";
alter function app_public.reset_password(text, text) owner to ":ROLE_SYSTEM";
alter function app_public.logout_everywhere() owner to ":ROLE_SYSTEM";
alter function app_private.prune_password_resets() owner to ":ROLE_SYSTEM";
alter function app_private.process_password_reset_request(text) owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM";
grant execute on function app_private.prune_password_resets(), app_private.process_password_reset_request(text) to ":DATABASE_OWNER";
reset role;

--! split: 1100-profiles.sql
--------------------------------------------------------------------------------
-- Who am I in this gym? Domain tables name people by their membership (tenant-scoped, so
-- every reference is a composite (tenant_id, membership_id) key), not by the global user.
-- app_hidden.current_membership_id() (section 100) reads the token's membership claim.
--------------------------------------------------------------------------------
-- The membership's role, for trigger checks such as "a class's coach is a coach".
-- plpgsql, not sql: on Citus a SQL function whose parameters reach a distributed table cannot be
-- planned on the shards ("could not create distributed plan"); a plpgsql lookup is a plain
-- router query. (SECURITY DEFINER functions are never inlined, so one node plans it the same.)
create function app_hidden.membership_role(tenant_id uuid, membership_id uuid) returns text
  language plpgsql stable security definer set search_path = pg_catalog
as $$
begin
  return (select m.role::text from app_public.memberships m
          where m.tenant_id = membership_role.tenant_id and m.id = membership_role.membership_id
            and (m.tenant_id = app_hidden.current_tenant_id() or app_hidden.current_app_role() = 'platform_owner'));
end;
$$;
comment on function app_hidden.membership_role(uuid, uuid) is
  'Role of a membership in the caller''s gym (NULL otherwise). SECURITY DEFINER (system) so validation triggers work whatever the caller may read.';
grant execute on function app_hidden.membership_role(uuid, uuid) to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
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
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- The gym's directory: everyone in the gym sees everyone's profile.
create policy profiles_select on app_public.profiles for select
  to :GYM_ROLES
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

grant select on app_public.profiles to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant update (headline, bio, specialties, goals) on app_public.profiles to :GYM_ROLES;
grant insert (tenant_id, membership_id) on app_public.profiles to ":ROLE_SYSTEM";

-- The profile's display name, so a profile can be shown without walking to the membership.
create function app_public.profiles_display_name(p app_public.profiles) returns text
  language sql stable
  as $$
    select m.display_name from app_public.memberships m
    where m.tenant_id = p.tenant_id and m.id = p.membership_id
  $$;
comment on function app_public.profiles_display_name(app_public.profiles) is 'Display name of the person.';
grant execute on function app_public.profiles_display_name(app_public.profiles) to
  :GYM_ROLES, ":ROLE_PLATFORM_OWNER";

--! split: 1150-network-preferences.sql
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
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- Your own row only, whatever your role (a display name is the member's choice).
create policy network_preferences_own on app_public.network_preferences for all
  to :GYM_ROLES
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

grant select, delete on app_public.network_preferences to :GYM_ROLES;
grant update (show_on_leaderboards, display_name)
  on app_public.network_preferences to :GYM_ROLES;
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
grant execute on function app_public.set_network_preferences(boolean, text) to :GYM_ROLES;
alter function app_public.set_network_preferences(boolean, text) owner to ":ROLE_SYSTEM";

create function app_public.current_network_preferences() returns app_public.network_preferences
  language sql stable set search_path = pg_catalog
as $$
  select p.* from app_public.network_preferences p
  where p.tenant_id = app_hidden.current_tenant_id() and p.membership_id = app_hidden.current_membership_id()
$$;
comment on function app_public.current_network_preferences() is 'Your network leaderboard preference in the current gym, or null (not shown).';
grant execute on function app_public.current_network_preferences() to :GYM_ROLES;

-- Opting in or out puts the member's bests on the network boards or takes them off (a
-- recompute of that member only); a new network name is copied onto their board lines (the
-- boards carry it so that reading one looks up no preference per line). SECURITY DEFINER
-- (database owner): only the owner may call the shared layer's maintenance functions
-- (app_shared.network_bests_*, 2100).
create function app_private.tg_network_preferences__network_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  r app_public.network_preferences := case when tg_op = 'DELETE' then old else new end;
begin
  if tg_op = 'UPDATE' and old.show_on_leaderboards = new.show_on_leaderboards then
    if old.display_name is distinct from new.display_name then
      perform app_shared.network_bests_rename(new.tenant_id, new.membership_id);
    end if;
    return null;
  end if;
  perform app_shared.network_bests_recompute(r.tenant_id, array[r.membership_id]);
  return null;
end;
$$;
comment on function app_private.tg_network_preferences__network_bests() is
  'Trigger: recompute a member''s network bests when they opt in or out; copy a new network name onto their board lines. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';
create trigger _800_network_bests
  after insert or delete or update of show_on_leaderboards, display_name on app_public.network_preferences
  for each row execute function app_private.tg_network_preferences__network_bests();

--! split: 1200-trainer-assignments.sql
--------------------------------------------------------------------------------
-- trainer_assignments: which personal trainer manages which member. This is what opens a
-- member's private progress (metrics, results) to a trainer, so only the gym admin creates,
-- edits or ends assignments. The trainer and the client each see their own assignments;
-- coaches and the admin see them all.
--------------------------------------------------------------------------------
create table app_public.trainer_assignments (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  trainer_id uuid not null,
  client_id  uuid not null,
  started_on date not null default current_date,
  notes      text check (length(notes) <= 2000),
  created_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, trainer_id, client_id),
  foreign key (tenant_id, trainer_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, client_id) references app_public.memberships (tenant_id, id) on delete cascade,
  check (trainer_id <> client_id)
);
comment on table app_public.trainer_assignments is
  'A personal trainer manages a member (client): the trainer may then read and write that client''s progress.';
create index trainer_assignments_tenant_id_client_id_idx on app_public.trainer_assignments (tenant_id, client_id);
-- (tenant_id, trainer_id) is covered by the unique constraint's index.

create trigger _100_tenant_id_immutable before update on app_public.trainer_assignments
  for each row execute function app_private.tg__tenant_id_immutable();

-- The trainer must be a personal trainer and the client a member of this gym.
create function app_private.tg_trainer_assignments__check_roles() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if app_hidden.membership_role(new.tenant_id, new.trainer_id) is distinct from 'personal_trainer' then
    raise exception 'The trainer must be a personal trainer of this gym' using errcode = 'IC012';
  end if;
  if app_hidden.membership_role(new.tenant_id, new.client_id) is distinct from 'member' then
    raise exception 'The client must be a member of this gym' using errcode = 'IC012';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_trainer_assignments__check_roles() is
  'Trigger: the trainer is a personal_trainer and the client a member (IC012).';
-- AFTER, not BEFORE: row-level security (checked after BEFORE triggers) refuses a row for
-- another gym first, with 42501, rather than this check answering about another gym.
create trigger _200_check_roles after insert or update of trainer_id, client_id on app_public.trainer_assignments
  for each row execute function app_private.tg_trainer_assignments__check_roles();

alter table app_public.trainer_assignments enable row level security;
alter table app_public.trainer_assignments force row level security;

create policy trainer_assignments_tenant on app_public.trainer_assignments as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy trainer_assignments_select_client on app_public.trainer_assignments for select
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and client_id = app_hidden.current_membership_id());
create policy trainer_assignments_select_trainer on app_public.trainer_assignments for select
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and trainer_id = app_hidden.current_membership_id());
create policy trainer_assignments_select_staff on app_public.trainer_assignments for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy trainer_assignments_insert_admin on app_public.trainer_assignments for insert
  to ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id());
create policy trainer_assignments_update_admin on app_public.trainer_assignments for update
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy trainer_assignments_delete_admin on app_public.trainer_assignments for delete
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy trainer_assignments_select_platform on app_public.trainer_assignments for select
  to ":ROLE_PLATFORM_OWNER" using (true);
-- app_hidden.assigned_client_ids reads assignments as the system role.
create policy trainer_assignments_select_system on app_public.trainer_assignments for select
  to ":ROLE_SYSTEM" using (true);

grant select on app_public.trainer_assignments to :GYM_ROLES, ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
grant insert (tenant_id, trainer_id, client_id, started_on, notes),
      update (trainer_id, client_id, started_on, notes), delete
  on app_public.trainer_assignments to ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- The caller's (a personal trainer's) clients in the current gym, as one array. Used by the
-- policies on private progress tables as `member_id = any (app_hidden.assigned_client_ids())`:
-- the argument does not depend on the row, so the planner makes it a runtime index key on
-- (tenant_id, member_id), computed once per scan, where a per-member boolean helper would run
-- once per row of the gym (~100 µs per definer call: 15 s for a 650 k-result gym; see
-- bench/RESULTS.md). No subquery in the policy (Citus rejects them). SECURITY DEFINER
-- (system) so the answer does not depend on what the caller may read; never NULL, so
-- `= any` is false, not unknown, for a trainer without clients. COST 1000 (not the default
-- 100) tells the planner the truth about a definer call, so it prefers plans that evaluate it
-- once as an index key over plans that evaluate it per row as a filter.
--------------------------------------------------------------------------------
create function app_hidden.assigned_client_ids() returns uuid[]
  language sql stable parallel safe security definer cost 1000 set search_path = pg_catalog
as $$
  select coalesce(array_agg(a.client_id), '{}')
  from app_public.trainer_assignments a
  where a.tenant_id = app_hidden.current_tenant_id()
    and a.trainer_id = app_hidden.current_membership_id()
$$;
comment on function app_hidden.assigned_client_ids() is
  'The members (membership ids) the caller is the assigned trainer of in the current gym; empty, never NULL. SECURITY DEFINER (system): policy helper, reads trainer_assignments whatever the caller may see.';
grant execute on function app_hidden.assigned_client_ids() to :GYM_ROLES;
alter function app_hidden.assigned_client_ids() owner to ":ROLE_SYSTEM";

-- IC012 a membership has the wrong role for this column (e.g. a class coach who is not a coach)

--! split: 1250-benchmarks.sql
--------------------------------------------------------------------------------
-- benchmarks: the global catalog of named benchmark workouts (Fran, Grace, Murph…). A gym's
-- workout may link to one; results of such workouts rank on network leaderboards.
--------------------------------------------------------------------------------
-- What a score means, shared by benchmarks and workouts (a benchmark workout scores as its
-- benchmark): a Postgres enum (GraphQL: ScoringType).
create type app_public.scoring_type as enum ('time', 'reps', 'load', 'rounds_reps');
comment on type app_public.scoring_type is
  'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100).';

create table app_public.benchmarks (
  id              uuid primary key default gen_random_uuid(),
  slug            citext not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name            text not null check (length(name) between 1 and 100),
  description     text not null default '',
  score_type      app_public.scoring_type not null,
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
  to ":ROLE_ANONYMOUS", :GYM_ROLES, ":ROLE_SHARED"
  using (archived_at is null);
create policy benchmarks_platform on app_public.benchmarks for all
  to ":ROLE_PLATFORM_OWNER" using (true) with check (true);

grant select on app_public.benchmarks to :VISITOR_ROLES, ":ROLE_SHARED";
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

--! split: 1300-workouts.sql
--------------------------------------------------------------------------------
-- workouts: the gym's programming, authored by coaches (and the gym admin). A draft is
-- visible only to coaches and the admin; members and trainers see published workouts.
-- scoring_type says what a result's score means (see workout_results.score).
--------------------------------------------------------------------------------
create table app_public.workouts (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  -- Stamped from the token: no role may insert or update it (see the grants below).
  author_id    uuid default app_hidden.current_membership_id(),
  title        text not null check (length(title) between 1 and 200),
  description  text not null default '' check (length(description) <= 10000),
  scoring_type app_public.scoring_type not null,
  is_published boolean not null default false,
  created_at   timestamptz not null default now(),
  -- A workout may be one of the network's benchmarks. Benchmarks are global, so the link
  -- needs no tenant_id; it is composite with scoring_type so that a "Fran" is always scored
  -- as the catalog's Fran is (time), whatever gym wrote it.
  benchmark_id uuid,
  primary key (tenant_id, id),
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete set null (author_id),
  constraint workouts_benchmark_fkey
    foreign key (benchmark_id, scoring_type) references app_public.benchmarks (id, score_type)
    on delete set null (benchmark_id)
);
comment on table app_public.workouts is
  'A workout (programming) written by a coach: title, description, how it is scored, and whether members can see it yet.';
comment on column app_public.workouts.scoring_type is
  'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100, e.g. 5 rounds + 12 reps = 5.12).';
comment on column app_public.workouts.is_published is 'Drafts are visible only to coaches and the gym admin.';
comment on column app_public.workouts.author_id is
  'The coach (or admin) who wrote it: always the caller that created it, never chosen by the client.';
create index workouts_tenant_id_author_id_idx on app_public.workouts (tenant_id, author_id);
create index workouts_tenant_id_published_idx on app_public.workouts (tenant_id, is_published);
comment on column app_public.workouts.benchmark_id is
  'The network benchmark this workout is (e.g. Fran), if any: its results can rank on network leaderboards. The workout must score like the benchmark.';
comment on constraint workouts_benchmark_fkey on app_public.workouts is
  E'@fieldName benchmark\n@foreignFieldName workouts\n@behavior -manyRelation:resource:list -manyRelation:resource:connection';
create index workouts_benchmark_id_idx on app_public.workouts (benchmark_id, scoring_type)
  where benchmark_id is not null;

create trigger _100_tenant_id_immutable before update on app_public.workouts
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.workouts enable row level security;
alter table app_public.workouts force row level security;

create policy workouts_tenant on app_public.workouts as restrictive for all
  to :GYM_ROLES
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

-- Shared role: published benchmark workouts of network gyms; the columns the join needs.
create policy workouts_select_shared on app_public.workouts for select
  to ":ROLE_SHARED"
  using (benchmark_id is not null and is_published and app_shared.gym_in_network(tenant_id));

grant select on app_public.workouts to :GYM_ROLES, ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
-- author_id is in neither list: it is the default (the caller), so nobody writes under
-- another coach's name and GraphQL offers no authorId input.
grant insert (tenant_id, title, description, scoring_type, is_published, benchmark_id),
      update (title, description, scoring_type, is_published, benchmark_id), delete
  on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant select (tenant_id, id, benchmark_id, is_published) on app_public.workouts to ":ROLE_SHARED";

-- The network boards rank results of published benchmark workouts: linking, unlinking,
-- publishing or unpublishing one recomputes the members who logged it (a deleted workout's
-- results are deleted by cascade, and their own trigger handles them). SECURITY DEFINER
-- (database owner): only the owner may call the maintenance functions (2100).
create function app_private.tg_workouts__network_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  perform app_shared.network_bests_workout_changed(new.tenant_id, new.id);
  return null;
end;
$$;
comment on function app_private.tg_workouts__network_bests() is
  'Trigger: recompute the network bests of the members who logged a workout when it starts or stops counting. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';
create trigger _800_network_bests
  after update of benchmark_id, is_published, scoring_type on app_public.workouts
  for each row when (old.benchmark_id is distinct from new.benchmark_id or old.is_published <> new.is_published)
  execute function app_private.tg_workouts__network_bests();

-- The gym leaderboard's bests (app_public.workout_bests, 1450) follow how the workout is
-- scored (a recompute) and whether it is published (their copy of the flag, which their read
-- policy uses). SECURITY DEFINER (system): only the system role writes workout_bests.
create function app_private.tg_workouts__workout_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if new.scoring_type is distinct from old.scoring_type then
    perform app_private.workout_bests_recompute(new.tenant_id, new.id, null);
  else
    update app_public.workout_bests b set is_published = new.is_published
     where b.tenant_id = new.tenant_id and b.workout_id = new.id;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_workouts__workout_bests() is
  'Trigger: keep the gym leaderboard''s bests of a workout in step with its scoring type and publication. SECURITY DEFINER (system): only the system role writes workout_bests.';
-- Created before the ownership moves: CREATE TRIGGER needs EXECUTE, which the migration
-- owner loses with ownership. Triggers fire whatever the caller may execute.
create trigger _810_workout_bests after update of scoring_type, is_published on app_public.workouts
  for each row when (old.scoring_type is distinct from new.scoring_type or old.is_published <> new.is_published)
  execute function app_private.tg_workouts__workout_bests();
alter function app_private.tg_workouts__workout_bests() owner to ":ROLE_SYSTEM";

--! split: 1400-classes-and-bookings.sql
--------------------------------------------------------------------------------
-- class_sessions: the gym's schedule. One row per class at a time, run by a coach, with a
-- capacity. booked_count is kept by the bookings triggers below; the CHECK
-- (booked_count <= capacity) is the last line of defence, the trigger's conditional UPDATE
-- the first (it refuses with IC011 before the check would fire).
--------------------------------------------------------------------------------
create table app_public.class_sessions (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  title        text not null check (length(title) between 1 and 200),
  starts_at    timestamptz not null,
  duration     interval not null default interval '1 hour'
               check (duration > interval '0' and duration <= interval '12 hours'),
  coach_id     uuid,
  workout_id   uuid,
  capacity     integer not null check (capacity between 1 and 500),
  booked_count integer not null default 0,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, coach_id) references app_public.memberships (tenant_id, id) on delete set null (coach_id),
  foreign key (tenant_id, workout_id) references app_public.workouts (tenant_id, id) on delete set null (workout_id),
  constraint class_sessions_not_overbooked check (booked_count between 0 and capacity)
);
comment on table app_public.class_sessions is
  'A scheduled class: when, who coaches it, which workout, and how many seats.';
comment on column app_public.class_sessions.starts_at is E'@behavior +orderBy +filterBy\nWhen the class starts (the schedule is ordered by it).';
comment on column app_public.class_sessions.booked_count is
  'Seats taken (kept by the bookings triggers; the capacity check makes overbooking impossible).';
create index class_sessions_tenant_id_starts_at_idx on app_public.class_sessions (tenant_id, starts_at);
create index class_sessions_tenant_id_coach_id_idx on app_public.class_sessions (tenant_id, coach_id);
create index class_sessions_tenant_id_workout_id_idx on app_public.class_sessions (tenant_id, workout_id);

create trigger _100_tenant_id_immutable before update on app_public.class_sessions
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg_class_sessions__check_coach() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if coalesce(app_hidden.membership_role(new.tenant_id, new.coach_id), '') not in ('coach', 'gym_admin') then
    raise exception 'A class is run by a coach (or the gym admin)' using errcode = 'IC012';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_class_sessions__check_coach() is 'Trigger: a class''s coach holds the coach or gym_admin role (IC012).';
-- AFTER so RLS answers first (see trainer_assignments); WHEN so that the foreign key's
-- ON DELETE SET NULL (run as the table owner, who may not call membership_role) skips it.
create trigger _200_check_coach after insert or update of coach_id on app_public.class_sessions
  for each row when (new.coach_id is not null) execute function app_private.tg_class_sessions__check_coach();

alter table app_public.class_sessions enable row level security;
alter table app_public.class_sessions force row level security;

create policy class_sessions_tenant on app_public.class_sessions as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_select on app_public.class_sessions for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_insert_staff on app_public.class_sessions for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_update_staff on app_public.class_sessions for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_delete_staff on app_public.class_sessions for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_select_platform on app_public.class_sessions for select
  to ":ROLE_PLATFORM_OWNER" using (true);
-- The bookings triggers move booked_count as the system role.
create policy class_sessions_select_system on app_public.class_sessions for select
  to ":ROLE_SYSTEM" using (true);
create policy class_sessions_update_system on app_public.class_sessions for update
  to ":ROLE_SYSTEM" using (true) with check (true);

grant select on app_public.class_sessions to :GYM_ROLES, ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
-- booked_count is not in these lists: only the triggers move it.
grant insert (tenant_id, title, starts_at, duration, coach_id, workout_id, capacity),
      update (title, starts_at, duration, coach_id, workout_id, capacity), delete
  on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (booked_count) on app_public.class_sessions to ":ROLE_SYSTEM";

create function app_private.tg_class_sessions__notify() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  perform pg_catalog.pg_notify('ironclad:gym:' || new.tenant_id || ':bookings',
    pg_catalog.json_build_object('id', new.id)::text);
  return null;
end;
$$;
comment on function app_private.tg_class_sessions__notify() is
  'Trigger: NOTIFY ironclad:gym:<tenant_id>:bookings with the class''s id when its booked count moves (ids only).';
create trigger _900_notify after update of booked_count on app_public.class_sessions
  for each row when (old.booked_count is distinct from new.booked_count)
  execute function app_private.tg_class_sessions__notify();

--------------------------------------------------------------------------------
-- bookings: a member holds a seat in a class. Members book and cancel their own seats;
-- coaches and the admin book anyone in, check people in, and cancel. A trainer sees the
-- bookings of their assigned clients.
--
-- Capacity, race-safe: the AFTER INSERT trigger runs
--   update class_sessions set booked_count = booked_count + 1 where … and booked_count < capacity
-- The UPDATE locks the class row, so concurrent bookings of one class queue there; each
-- re-checks `booked_count < capacity` against the latest committed count (READ COMMITTED
-- re-evaluation), and a booking that finds the class full raises IC011 and is rolled back.
-- AFTER (not BEFORE) so that RLS and foreign keys have already accepted the row: a refused
-- booking never learns whether some class is full.
--------------------------------------------------------------------------------
create table app_public.bookings (
  tenant_id        uuid not null default app_hidden.current_tenant_id()
                   references app_public.gyms (id) on delete cascade,
  id               uuid not null default gen_random_uuid(),
  class_session_id uuid not null,
  member_id        uuid not null default app_hidden.current_membership_id(),
  checked_in_at    timestamptz,
  created_at       timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, class_session_id, member_id),
  foreign key (tenant_id, class_session_id) references app_public.class_sessions (tenant_id, id) on delete cascade,
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.bookings is 'A seat in a class, held by a member of the gym.';
comment on column app_public.bookings.checked_in_at is 'Set by the coach when the member shows up.';
create index bookings_tenant_id_member_id_idx on app_public.bookings (tenant_id, member_id);
-- (tenant_id, class_session_id) is covered by the unique constraint's index.

create trigger _100_tenant_id_immutable before update on app_public.bookings
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg_bookings__seat() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' then
    update app_public.class_sessions
       set booked_count = booked_count + 1
     where tenant_id = new.tenant_id and id = new.class_session_id
       and booked_count < capacity;
    if not found then
      raise exception 'Class is full' using errcode = 'IC011', constraint = 'class_sessions_not_overbooked',
        hint = 'Every seat of this class is booked; cancel another booking or pick another class.';
    end if;
  else
    -- When the class itself is being deleted the row is already gone: nothing to do.
    update app_public.class_sessions
       set booked_count = booked_count - 1
     where tenant_id = old.tenant_id and id = old.class_session_id and booked_count > 0;
  end if;
  return null;
end;
$$;
comment on function app_private.tg_bookings__seat() is
  'Trigger: takes (or gives back) a seat in the class, refusing when it is full (IC011). SECURITY DEFINER (system): members may not write class rows.';
create trigger _200_seat after insert or delete on app_public.bookings
  for each row execute function app_private.tg_bookings__seat();
alter function app_private.tg_bookings__seat() owner to ":ROLE_SYSTEM"; -- after CREATE TRIGGER (see _200_plan_limits)

create function app_private.tg_bookings__member_only() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  if app_hidden.membership_role(new.tenant_id, new.member_id) is distinct from 'member' then
    raise exception 'Only members book classes' using errcode = 'IC012';
  end if;
  return null;
end;
$$;
comment on function app_private.tg_bookings__member_only() is 'Trigger: only memberships with role member hold bookings (IC012).';
-- AFTER so RLS answers first; _150 so it runs before _200_seat takes a seat.
create trigger _150_member_only after insert on app_public.bookings
  for each row execute function app_private.tg_bookings__member_only();

alter table app_public.bookings enable row level security;
alter table app_public.bookings force row level security;

create policy bookings_tenant on app_public.bookings as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy bookings_select_own on app_public.bookings for select
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy bookings_insert_own on app_public.bookings for insert
  to ":ROLE_MEMBER"
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy bookings_delete_own on app_public.bookings for delete
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy bookings_select_trainer on app_public.bookings for select
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()));
create policy bookings_select_staff on app_public.bookings for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy bookings_insert_staff on app_public.bookings for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id());
create policy bookings_update_staff on app_public.bookings for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy bookings_delete_staff on app_public.bookings for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy bookings_select_platform on app_public.bookings for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.bookings to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, class_session_id, member_id), delete on app_public.bookings to
  ":ROLE_MEMBER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (checked_in_at) on app_public.bookings to ":ROLE_COACH", ":ROLE_GYM_ADMIN";

-- IC011 class is full (constraint class_sessions_not_overbooked)

--! split: 1450-workout-bests.sql
--------------------------------------------------------------------------------
-- workout_bests: each member's best result of each workout (Rx ahead of scaled; lowest time,
-- otherwise highest score; then the earlier day), the rows the gym's leaderboard ranks
-- (workouts_leaderboard, 1500). Kept current by triggers on workout_results (1500) and
-- workouts (1300), so a board is an index scan in rank order that stops at the page asked
-- for. Readable within the gym exactly as the leaderboard is (published workouts; drafts for
-- coaches and the admin), so the leaderboard can be a plain inlinable SQL function; written
-- only by the system role's triggers. Not in GraphQL: Workout.leaderboard is the way in.
--------------------------------------------------------------------------------
create table app_public.workout_bests (
  tenant_id    uuid not null references app_public.gyms (id) on delete cascade,
  workout_id   uuid not null,
  member_id    uuid not null,
  is_rx        boolean not null,
  -- The score itself when lower is better (time), otherwise its negation: ascending is best.
  sort_score   numeric not null,
  score        numeric not null,
  performed_on date not null,
  result_id    uuid not null,
  -- The workout's, copied (kept by the workouts trigger) so the read policy needs no lookup.
  is_published boolean not null,
  primary key (tenant_id, workout_id, member_id),
  foreign key (tenant_id, workout_id) references app_public.workouts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.workout_bests is
  E'@behavior -*\nBest result per member and workout, kept current by triggers; what Workout.leaderboard ranks. Read it through that field.';
-- The board: the gym's workout, in rank order.
create index workout_bests_board
  on app_public.workout_bests (tenant_id, workout_id, is_rx desc, sort_score, performed_on);
create index workout_bests_tenant_id_member_id_idx on app_public.workout_bests (tenant_id, member_id);

create trigger _100_tenant_id_immutable before update on app_public.workout_bests
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.workout_bests enable row level security;
alter table app_public.workout_bests force row level security;
create policy workout_bests_tenant on app_public.workout_bests as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- As the leaderboard: everyone in the gym sees the bests of published workouts (scores and
-- dates only, no notes); coaches and the admin also those of drafts.
create policy workout_bests_select_published on app_public.workout_bests for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and is_published);
create policy workout_bests_select_staff on app_public.workout_bests for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
-- The system role's triggers keep it, for any gym (each trigger acts on its own row's gym).
create policy workout_bests_system on app_public.workout_bests for all
  to ":ROLE_SYSTEM" using (true) with check (true);
grant select on app_public.workout_bests to :GYM_ROLES;
grant select, insert (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published),
      update (is_rx, sort_score, score, performed_on, result_id, is_published), delete
  on app_public.workout_bests to ":ROLE_SYSTEM";

-- Recompute the bests of one workout (members null: every member) from its results: after a
-- best was changed or deleted, or the workout's scoring changed. Costs those results only.
-- Invoker: called by the system role's triggers (1300, 1500), which hold the rights.
create function app_private.workout_bests_recompute(tenant_id uuid, workout_id uuid, members uuid[]) returns void
  language plpgsql volatile set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_tenant uuid := workout_bests_recompute.tenant_id;
  v_workout uuid := workout_bests_recompute.workout_id;
  v_members uuid[] := workout_bests_recompute.members;
begin
  delete from app_public.workout_bests b
   where b.tenant_id = v_tenant and b.workout_id = v_workout
     and (v_members is null or b.member_id = any (v_members));
  insert into app_public.workout_bests
    (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
  select distinct on (r.member_id)
         r.tenant_id, r.workout_id, r.member_id, r.is_rx,
         case when w.scoring_type = 'time' then r.score else -r.score end, r.score, r.performed_on, r.id, w.is_published
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  where r.tenant_id = v_tenant and r.workout_id = v_workout
    and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, r.is_rx desc, case when w.scoring_type = 'time' then r.score else -r.score end, r.performed_on;
end;
$$;
comment on function app_private.workout_bests_recompute(uuid, uuid, uuid[]) is
  'Recompute the best result of these members (null: all) for one workout. Called by the system role''s triggers.';
grant execute on function app_private.workout_bests_recompute(uuid, uuid, uuid[]) to ":ROLE_SYSTEM";

-- Repair: recompute every gym's bests (after a bulk load that bypassed the triggers: bench
-- seed, restore), or one gym's. SECURITY DEFINER (system): only the system role writes it. Executable by the database owner (the worker, the tools) only.
create function app_private.rebuild_workout_bests(tenant_id uuid default null) returns integer
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_tenant uuid := rebuild_workout_bests.tenant_id;
  v_rows integer;
begin
  delete from app_public.workout_bests b where v_tenant is null or b.tenant_id = v_tenant;
  insert into app_public.workout_bests
    (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
  select distinct on (r.tenant_id, r.workout_id, r.member_id)
         r.tenant_id, r.workout_id, r.member_id, r.is_rx,
         case when w.scoring_type = 'time' then r.score else -r.score end, r.score, r.performed_on, r.id, w.is_published
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  where v_tenant is null or r.tenant_id = v_tenant
  order by r.tenant_id, r.workout_id, r.member_id, r.is_rx desc,
           case when w.scoring_type = 'time' then r.score else -r.score end, r.performed_on
  on conflict (tenant_id, workout_id, member_id) do nothing;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$$;
comment on function app_private.rebuild_workout_bests(uuid) is
  'Recompute the gym leaderboards'' bests of every gym (or one) from all results: a repair after bulk loads that bypass triggers. SECURITY DEFINER (system): only the system role writes workout_bests.';
-- Owner change first, then the grant from the new owner: a grant the database owner makes to
-- itself is only its owner's right, which goes with the ownership.
alter function app_private.rebuild_workout_bests(uuid) owner to ":ROLE_SYSTEM";
set role ":ROLE_SYSTEM";
grant execute on function app_private.rebuild_workout_bests(uuid) to ":DATABASE_OWNER";
reset role;

--! split: 1500-results.sql
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
  -- numeric without a typmod: numeric(10, 2) would store NaN and refuse ±Infinity with a
  -- bare overflow (22003) before any CHECK runs. Unconstrained, every non-number meets
  -- workout_results_score_finite (23514, named; checks run in name order, so it answers
  -- before _range), _range keeps numeric(10, 2)'s bounds and _round_score its two decimals.
  score        numeric not null,
  is_rx        boolean not null default true,
  notes        text not null default '' check (length(notes) <= 2000),
  performed_on date not null default current_date,
  -- Stamped from the token: the member, or the trainer logging for a client.
  recorded_by  uuid default app_hidden.current_membership_id(),
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, workout_id) references app_public.workouts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, recorded_by) references app_public.memberships (tenant_id, id) on delete set null (recorded_by),
  constraint workout_results_score_finite check (score not in ('NaN', 'Infinity', '-Infinity')),
  constraint workout_results_score_range check (score between 0 and 99999999.99)
);
comment on table app_public.workout_results is 'A member''s logged score for a workout.';
-- Screens sort and filter results by score, date and Rx: each has its tenant-leading index
-- (db:lint rule orderable-column-index), so the tag never exposes an unindexed sort.
comment on column app_public.workout_results.score is
  E'@behavior +orderBy +filterBy\nIn the workout''s unit: seconds (time), reps, kg (load), or rounds + reps/100 (rounds_reps).';
comment on column app_public.workout_results.is_rx is E'@behavior +orderBy +filterBy\nTrue when done as prescribed (Rx), false when scaled.';
comment on column app_public.workout_results.performed_on is E'@behavior +orderBy +filterBy\nThe day the workout was done.';
comment on column app_public.workout_results.recorded_by is
  'Who logged it (the member, or their assigned trainer): always the caller that created it, never chosen by the client.';
create index workout_results_tenant_id_workout_id_idx on app_public.workout_results (tenant_id, workout_id);
create index workout_results_tenant_id_member_id_idx on app_public.workout_results (tenant_id, member_id);
create index workout_results_tenant_id_recorded_by_idx on app_public.workout_results (tenant_id, recorded_by);
create index workout_results_tenant_id_score_idx on app_public.workout_results (tenant_id, score);
create index workout_results_tenant_id_performed_on_idx on app_public.workout_results (tenant_id, performed_on);
create index workout_results_tenant_id_is_rx_idx on app_public.workout_results (tenant_id, is_rx, score);

create trigger _100_tenant_id_immutable before update on app_public.workout_results
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg_workout_results__round_score() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$ begin new.score := round(new.score, 2); return new; end; $$;
comment on function app_private.tg_workout_results__round_score() is
  'Trigger: keeps a score to two decimals (5.125 -> 5.13, 61 -> 61.00), as numeric(10, 2) would.';
create trigger _150_round_score before insert or update of score on app_public.workout_results
  for each row execute function app_private.tg_workout_results__round_score();

alter table app_public.workout_results enable row level security;
alter table app_public.workout_results force row level security;

create policy workout_results_tenant on app_public.workout_results as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy workout_results_all_own on app_public.workout_results for all
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy workout_results_select_trainer on app_public.workout_results for select
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()));
create policy workout_results_insert_trainer on app_public.workout_results for insert
  to ":ROLE_PERSONAL_TRAINER"
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()));
create policy workout_results_update_trainer on app_public.workout_results for update
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()))
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()));
create policy workout_results_select_staff on app_public.workout_results for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy workout_results_select_platform on app_public.workout_results for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy workout_results_select_system on app_public.workout_results for select
  to ":ROLE_SYSTEM" using (true);

grant select on app_public.workout_results to :GYM_ROLES, ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
-- member_id (the subject) is choosable within the policies; recorded_by is not granted: it
-- is the default (the caller).
grant insert (tenant_id, workout_id, member_id, score, is_rx, notes, performed_on),
      update (score, is_rx, notes, performed_on)
  on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant delete on app_public.workout_results to ":ROLE_MEMBER";

-- Shared role: results of members who opted in (in gyms that opted in). No notes.
create policy workout_results_select_shared on app_public.workout_results for select
  to ":ROLE_SHARED"
  using (app_shared.member_in_network(tenant_id, member_id));
grant select (tenant_id, id, workout_id, member_id, score, is_rx, performed_on)
  on app_public.workout_results to ":ROLE_SHARED";

-- The network boards follow results as they are written: a new result is one upsert; a
-- change or delete of a member's best recomputes that member's bests; any other change is an
-- upsert of the new value. SECURITY DEFINER (database owner): only the owner may call the
-- shared layer's maintenance functions (app_shared.network_bests_*, 2100).
create function app_private.tg_workout_results__network_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_op = 'INSERT' then
    perform app_shared.network_bests_add(new.tenant_id, new.id);
  elsif tg_op = 'DELETE' then
    if app_shared.network_bests_holds(old.tenant_id, old.member_id, old.id) then
      perform app_shared.network_bests_recompute(old.tenant_id, array[old.member_id]);
    end if;
  elsif new.member_id is distinct from old.member_id
        or app_shared.network_bests_holds(old.tenant_id, old.member_id, old.id) then
    perform app_shared.network_bests_recompute(old.tenant_id, array[old.member_id, new.member_id]);
  else
    perform app_shared.network_bests_add(new.tenant_id, new.id);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_workout_results__network_bests() is
  'Trigger: keep the network bests current (upsert a new result; recompute the member when a best changes or goes). SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';
create trigger _800_network_bests
  after insert or delete or update of workout_id, member_id, score, is_rx, performed_on on app_public.workout_results
  for each row execute function app_private.tg_workout_results__network_bests();

-- The gym leaderboard's bests (app_public.workout_bests, 1450) likewise: a new result is one
-- upsert; a change or delete of a best recomputes that member for that workout.
-- SECURITY DEFINER (system): only the system role writes workout_bests.
create function app_private.tg_workout_results__workout_bests() returns trigger
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
begin
  if tg_op <> 'INSERT' and exists (
       select 1 from app_public.workout_bests b
       where b.tenant_id = old.tenant_id and b.workout_id = old.workout_id
         and b.member_id = old.member_id and b.result_id = old.id) then
    perform app_private.workout_bests_recompute(old.tenant_id, old.workout_id, array[old.member_id]);
  end if;
  if tg_op <> 'DELETE' then
    insert into app_public.workout_bests as b
      (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
    select new.tenant_id, new.workout_id, new.member_id, new.is_rx,
           case when w.scoring_type = 'time' then new.score else -new.score end, new.score, new.performed_on, new.id,
           w.is_published
    from app_public.workouts w
    where w.tenant_id = new.tenant_id and w.id = new.workout_id
    on conflict (tenant_id, workout_id, member_id) do update
      set is_rx = excluded.is_rx, sort_score = excluded.sort_score, score = excluded.score,
          performed_on = excluded.performed_on, result_id = excluded.result_id
      where (not excluded.is_rx, excluded.sort_score, excluded.performed_on)
          < (not b.is_rx, b.sort_score, b.performed_on);
  end if;
  return null;
end;
$$;
comment on function app_private.tg_workout_results__workout_bests() is
  'Trigger: keep the gym leaderboard''s bests current (upsert a new result; recompute the member when a best changes or goes). SECURITY DEFINER (system): only the system role writes workout_bests.';
-- Created before the ownership moves (CREATE TRIGGER needs EXECUTE).
create trigger _810_workout_bests
  after insert or delete or update of workout_id, member_id, score, is_rx, performed_on on app_public.workout_results
  for each row execute function app_private.tg_workout_results__workout_bests();
alter function app_private.tg_workout_results__workout_bests() owner to ":ROLE_SYSTEM";

create function app_private.tg_workout_results__notify() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
declare
  r app_public.workout_results := case when tg_op = 'DELETE' then old else new end;
begin
  -- NOTIFY folds identical payloads within a transaction: one event per workout.
  perform pg_catalog.pg_notify('ironclad:gym:' || r.tenant_id || ':leaderboard',
    pg_catalog.json_build_object('workout_id', r.workout_id)::text);
  return null;
end;
$$;
comment on function app_private.tg_workout_results__notify() is
  'Trigger: NOTIFY ironclad:gym:<tenant_id>:leaderboard with the workout''s id when one of its results changes (ids only).';
create trigger _900_notify after insert or update or delete on app_public.workout_results
  for each row execute function app_private.tg_workout_results__notify();

--------------------------------------------------------------------------------
-- The gym's internal leaderboard for a workout: each member's best result (Rx ahead of
-- scaled; lowest time, otherwise highest score), ranked, with the member's name in this gym.
-- Members may not read each other's results rows (notes are personal); they read the bests
-- (app_public.workout_bests, scores and dates only) under its policies: the caller's gym,
-- published workouts (drafts for coaches and the admin), whatever row it is handed.
-- Plain SQL, invoker, no SET clause: the planner inlines it, so the page GraphQL asks for
-- (first: n) stops the index scan of the board instead of ranking every member first.
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
  language sql stable
as $$
  -- The name is a subquery, not a join: a join lets the planner hash every member of the gym
  -- and sort the whole board; this way the board index is read in rank order, and the names
  -- (for ties) are fetched only for the rows the page takes.
  select (rank() over (order by b.is_rx desc, b.sort_score))::integer,
         b.member_id,
         (select m.display_name from app_public.memberships m
          where m.tenant_id = b.tenant_id and m.id = b.member_id) as display_name,
         b.score, b.is_rx, b.performed_on
  from app_public.workout_bests b
  where b.tenant_id = w.tenant_id and b.workout_id = w.id
  order by b.is_rx desc, b.sort_score, display_name
$$;
comment on function app_public.workouts_leaderboard(app_public.workouts) is
  'The gym''s leaderboard for this workout: best result per member, ranked (Rx first). Members see each other''s scores here but not each other''s results rows; the bests it reads answer only within the caller''s gym.';
grant execute on function app_public.workouts_leaderboard(app_public.workouts) to :GYM_ROLES;

--! split: 1600-metrics.sql
--------------------------------------------------------------------------------
-- progress_metrics: body weight, body fat, personal records. Private: the member, their
-- assigned personal trainer(s) and the gym admin see them (and the platform owner, for
-- support). Coaches and other members do not. The member and their assigned trainers
-- record and correct them.
--------------------------------------------------------------------------------
create table app_public.progress_metrics (
  tenant_id   uuid not null default app_hidden.current_tenant_id()
              references app_public.gyms (id) on delete cascade,
  id          uuid not null default gen_random_uuid(),
  member_id   uuid not null default app_hidden.current_membership_id(),
  kind        text not null check (kind in ('body_weight', 'body_fat', 'personal_record')),
  label       text check (length(label) <= 200),
  -- numeric without a typmod, for the reason given on workout_results.score: _value_finite
  -- names NaN and ±Infinity (23514), _value_range and _round_value keep numeric(10, 2).
  value       numeric not null,
  unit        text not null check (unit in ('kg', 'lb', 'percent', 'reps', 'seconds', 'm')),
  measured_on date not null default current_date,
  -- Stamped from the token: the member, or the trainer measuring a client.
  recorded_by uuid default app_hidden.current_membership_id(),
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, recorded_by) references app_public.memberships (tenant_id, id) on delete set null (recorded_by),
  check (kind <> 'personal_record' or label is not null),
  check (kind <> 'body_fat' or (unit = 'percent' and value <= 100)),
  constraint progress_metrics_value_finite check (value not in ('NaN', 'Infinity', '-Infinity')),
  constraint progress_metrics_value_range check (value between 0 and 99999999.99)
);
comment on table app_public.progress_metrics is
  'A member''s progress measurement: body weight, body fat or a personal record (label says which lift/benchmark). Private to the member, their assigned trainers and the gym admin.';
-- A member's series of one kind (body weight over time) is the common read.
create index progress_metrics_tenant_id_member_id_idx on app_public.progress_metrics (tenant_id, member_id, kind, measured_on);
create index progress_metrics_tenant_id_recorded_by_idx on app_public.progress_metrics (tenant_id, recorded_by);

comment on column app_public.progress_metrics.recorded_by is
  'Who recorded it (the member, or their assigned trainer): always the caller that created it, never chosen by the client.';

create trigger _100_tenant_id_immutable before update on app_public.progress_metrics
  for each row execute function app_private.tg__tenant_id_immutable();

create function app_private.tg_progress_metrics__round_value() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$ begin new.value := round(new.value, 2); return new; end; $$;
comment on function app_private.tg_progress_metrics__round_value() is
  'Trigger: keeps a measurement to two decimals, as numeric(10, 2) would.';
create trigger _150_round_value before insert or update of value on app_public.progress_metrics
  for each row execute function app_private.tg_progress_metrics__round_value();

alter table app_public.progress_metrics enable row level security;
alter table app_public.progress_metrics force row level security;

create policy progress_metrics_tenant on app_public.progress_metrics as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy progress_metrics_all_own on app_public.progress_metrics for all
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy progress_metrics_all_trainer on app_public.progress_metrics for all
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()))
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = any (app_hidden.assigned_client_ids()));
create policy progress_metrics_select_admin on app_public.progress_metrics for select
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy progress_metrics_select_platform on app_public.progress_metrics for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.progress_metrics to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
-- recorded_by is not granted: it is the default (the caller), never the client's choice.
grant insert (tenant_id, member_id, kind, label, value, unit, measured_on),
      update (kind, label, value, unit, measured_on), delete
  on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";

--! split: 1700-payments.sql
--------------------------------------------------------------------------------
-- membership_plans: the gym's own price list (e.g. "Unlimited, 120 EUR / month"). Not to be
-- confused with app_public.plans (Ironclad's subscription plans for gyms). The list itself
-- is no secret inside the gym, so everyone in the gym reads it; the gym admin manages it.
--------------------------------------------------------------------------------
create table app_public.membership_plans (
  tenant_id      uuid not null default app_hidden.current_tenant_id()
                 references app_public.gyms (id) on delete cascade,
  id             uuid not null default gen_random_uuid(),
  name           text not null check (length(name) between 1 and 100),
  price_cents    integer not null check (price_cents >= 0),
  currency       text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  billing_period text not null default 'month' check (billing_period in ('week', 'month', 'year', 'once')),
  is_active      boolean not null default true,
  created_at     timestamptz not null default now(),
  primary key (tenant_id, id)
);
comment on table app_public.membership_plans is
  'What the gym sells: a membership plan with its price. Everyone in the gym sees the price list; the gym admin manages it.';
create unique index membership_plans_tenant_id_name_key on app_public.membership_plans (tenant_id, lower(name));

create trigger _100_tenant_id_immutable before update on app_public.membership_plans
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.membership_plans enable row level security;
alter table app_public.membership_plans force row level security;

create policy membership_plans_tenant on app_public.membership_plans as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_select on app_public.membership_plans for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_insert_admin on app_public.membership_plans for insert
  to ":ROLE_GYM_ADMIN" with check (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_update_admin on app_public.membership_plans for update
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_delete_admin on app_public.membership_plans for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_select_platform on app_public.membership_plans for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.membership_plans to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, name, price_cents, currency, billing_period, is_active),
      update (name, price_cents, currency, billing_period, is_active), delete
  on app_public.membership_plans to ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- payments: what each member pays. Visible to the gym admin and the member themself only
-- (and the platform owner, for support); recorded and corrected by the gym admin.
--------------------------------------------------------------------------------
-- A Postgres enum (GraphQL: PaymentStatus).
create type app_public.payment_status as enum ('pending', 'paid', 'refunded', 'failed');
comment on type app_public.payment_status is 'Where a payment stands: pending, paid, refunded or failed.';

create table app_public.payments (
  tenant_id          uuid not null default app_hidden.current_tenant_id()
                     references app_public.gyms (id) on delete cascade,
  id                 uuid not null default gen_random_uuid(),
  member_id          uuid not null,
  membership_plan_id uuid,
  amount_cents       integer not null check (amount_cents >= 0),
  currency           text not null default 'EUR' check (currency ~ '^[A-Z]{3}$'),
  period_start       date not null,
  period_end         date not null,
  status             app_public.payment_status not null default 'paid',
  paid_at            timestamptz,
  created_at         timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, membership_plan_id) references app_public.membership_plans (tenant_id, id)
    on delete set null (membership_plan_id),
  check (period_end >= period_start)
);
comment on table app_public.payments is
  E'@retainOnErasure a gym must keep its accounting; erasing the member anonymises them instead\nA member''s payment for a period of a membership plan. Private to the member and the gym admin.';
create index payments_tenant_id_member_id_idx on app_public.payments (tenant_id, member_id, period_start);
create index payments_tenant_id_membership_plan_id_idx on app_public.payments (tenant_id, membership_plan_id);
-- The admin's payments for a period (a month across all members): member_id leads the index
-- above, so without this one a month is a scan of every payment of the gym.
create index payments_tenant_id_period_start_idx on app_public.payments (tenant_id, period_start);
create index payments_tenant_id_paid_at_idx on app_public.payments (tenant_id, paid_at);
create index payments_tenant_id_status_idx on app_public.payments (tenant_id, status);
-- The admin's payment screens sort and filter by period, payment date and status.
comment on column app_public.payments.period_start is E'@behavior +orderBy +filterBy\nFirst day of the period paid for.';
comment on column app_public.payments.paid_at is E'@behavior +orderBy +filterBy\nWhen the money arrived (null while pending or failed).';
comment on column app_public.payments.status is E'@behavior +orderBy +filterBy\nWhere the payment stands.';

create trigger _100_tenant_id_immutable before update on app_public.payments
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.payments enable row level security;
alter table app_public.payments force row level security;

create policy payments_tenant on app_public.payments as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy payments_select_own on app_public.payments for select
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy payments_select_admin on app_public.payments for select
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy payments_insert_admin on app_public.payments for insert
  to ":ROLE_GYM_ADMIN" with check (tenant_id = app_hidden.current_tenant_id());
create policy payments_update_admin on app_public.payments for update
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy payments_delete_admin on app_public.payments for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy payments_select_platform on app_public.payments for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.payments to ":ROLE_MEMBER", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, member_id, membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at),
      update (membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at), delete
  on app_public.payments to ":ROLE_GYM_ADMIN";

--! split: 1800-messages.sql
--------------------------------------------------------------------------------
-- messages: direct messages between two people of the same gym. Visible to the sender and
-- the recipient only: not to the gym admin, and not to the platform owner (it has no policy
-- here at all, unlike every other tenant table). Both ends are memberships of the same gym
-- (composite foreign keys), so a message can never cross gyms. The sender is always the
-- caller. Messages are a record: nobody edits or deletes them through the API; the
-- recipient may only mark one read.
--------------------------------------------------------------------------------
create table app_public.messages (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  -- Stamped from the token (no grant); the insert policy re-checks it.
  sender_id    uuid not null default app_hidden.current_membership_id(),
  recipient_id uuid not null,
  body         text not null check (length(body) between 1 and 5000),
  read_at      timestamptz,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, sender_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, recipient_id) references app_public.memberships (tenant_id, id) on delete cascade,
  check (sender_id <> recipient_id)
);
comment on table app_public.messages is
  'A private message between two people in the same gym. Only the sender and the recipient can ever read it.';
create index messages_tenant_id_sender_id_idx on app_public.messages (tenant_id, sender_id, created_at);
create index messages_tenant_id_recipient_id_idx on app_public.messages (tenant_id, recipient_id, created_at);
create index messages_tenant_id_created_at_idx on app_public.messages (tenant_id, created_at);
comment on column app_public.messages.created_at is E'@behavior +orderBy +filterBy\nWhen the message was sent.';

create trigger _100_tenant_id_immutable before update on app_public.messages
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.messages enable row level security;
alter table app_public.messages force row level security;

create policy messages_tenant on app_public.messages as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy messages_select_sender on app_public.messages for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id() and sender_id = app_hidden.current_membership_id());
create policy messages_select_recipient on app_public.messages for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id());
create policy messages_insert_sender on app_public.messages for insert
  to :GYM_ROLES
  with check (tenant_id = app_hidden.current_tenant_id() and sender_id = app_hidden.current_membership_id());
create policy messages_update_recipient on app_public.messages for update
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id());
-- Deliberately no policy for the platform owner or the system role.

grant select on app_public.messages to :GYM_ROLES;
-- sender_id is not granted: it is the default (the caller), so GraphQL offers no senderId.
grant insert (tenant_id, recipient_id, body), update (read_at) on app_public.messages to :GYM_ROLES;

create function app_private.tg_messages__notify() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  perform pg_catalog.pg_notify('ironclad:gym:' || new.tenant_id || ':messages',
    pg_catalog.json_build_object('id', new.id, 'recipient_id', new.recipient_id)::text);
  return null;
end;
$$;
comment on function app_private.tg_messages__notify() is
  'Trigger: NOTIFY ironclad:gym:<tenant_id>:messages with the new message''s id and recipient (ids only).';
create trigger _900_notify after insert on app_public.messages
  for each row execute function app_private.tg_messages__notify();

--! split: 1900-feed.sql
--------------------------------------------------------------------------------
-- The community feed: posts and comments, visible to everyone in the gym (and to the
-- platform owner for support). Anyone in the gym posts and comments as themself and edits
-- or deletes their own; the gym admin moderates (deletes anything).
--------------------------------------------------------------------------------
create table app_public.posts (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  -- Stamped from the token (no grant); the insert policy re-checks it.
  author_id  uuid not null default app_hidden.current_membership_id(),
  body       text not null check (length(body) between 1 and 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.posts is 'A post on the gym''s community feed.';
create index posts_tenant_id_created_at_idx on app_public.posts (tenant_id, created_at);
create index posts_tenant_id_author_id_idx on app_public.posts (tenant_id, author_id);

create trigger _100_tenant_id_immutable before update on app_public.posts
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _200_touch_updated_at before update on app_public.posts
  for each row execute function app_private.tg__touch_updated_at();

alter table app_public.posts enable row level security;
alter table app_public.posts force row level security;

create policy posts_tenant on app_public.posts as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy posts_select on app_public.posts for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id());
create policy posts_insert_own on app_public.posts for insert
  to :GYM_ROLES
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_update_own on app_public.posts for update
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_delete_own on app_public.posts for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_delete_admin on app_public.posts for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy posts_select_platform on app_public.posts for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.posts to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
-- author_id is not granted: it is the default (the caller), so GraphQL offers no authorId.
grant insert (tenant_id, body), update (body), delete on app_public.posts to :GYM_ROLES;

create table app_public.comments (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  post_id    uuid not null,
  -- Stamped from the token (no grant); the insert policy re-checks it.
  author_id  uuid not null default app_hidden.current_membership_id(),
  body       text not null check (length(body) between 1 and 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, post_id) references app_public.posts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.comments is 'A comment on a feed post.';
create index comments_tenant_id_post_id_idx on app_public.comments (tenant_id, post_id, created_at);
create index comments_tenant_id_author_id_idx on app_public.comments (tenant_id, author_id);

create trigger _100_tenant_id_immutable before update on app_public.comments
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _200_touch_updated_at before update on app_public.comments
  for each row execute function app_private.tg__touch_updated_at();

alter table app_public.comments enable row level security;
alter table app_public.comments force row level security;

create policy comments_tenant on app_public.comments as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy comments_select on app_public.comments for select
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id());
create policy comments_insert_own on app_public.comments for insert
  to :GYM_ROLES
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_update_own on app_public.comments for update
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_delete_own on app_public.comments for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_delete_admin on app_public.comments for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy comments_select_platform on app_public.comments for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.comments to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";
-- author_id is not granted, as for posts.
grant insert (tenant_id, post_id, body), update (body), delete on app_public.comments to :GYM_ROLES;

--! split: 2100-network-leaderboards.sql
--------------------------------------------------------------------------------
-- Network leaderboards: results of benchmark workouts (Fran, Grace…) ranked across every
-- gym and member in the network, by benchmark, Rx/scaled, all-time and this month.
--
-- How it is safe:
-- * Each member's best per benchmark and Rx/scaled is kept in two tables owned by the
--   shared role and granted to nobody (network_best_all_time, network_best_by_month). Only
--   functions owned by the shared role write them, and they read results under its policies,
--   so only results of published benchmark workouts of members who opted in, in gyms that
--   opted in, ever land there, and only the columns granted to it (never notes, emails…).
-- * Visitors read them only through app_shared.network_leaderboard (SECURITY DEFINER, owned
--   by the shared role), which returns rank, display name, gym name, score and date, and
--   re-checks the *current* opt-in of gym and member.
-- How it stays current at a cost proportional to what changed: triggers on workout_results,
-- workouts, network_preferences and gyms (each beside its table) call the two maintenance
-- functions below in the writing transaction, so a result is on the board when it commits:
-- a new result is one upsert; a change or delete of a member's best, or an opt-in change,
-- recomputes only that member (a gym's opt-in: that gym). Reads are an index scan of
-- (benchmark_id, is_rx, sort_score) that stops after the top 100.
-- app_shared.refresh_leaderboards() recomputes everything; it is a repair (daily crontab,
-- after a bulk load that bypassed triggers), not the way the boards follow results.
--------------------------------------------------------------------------------
set role ":ROLE_SHARED";

-- sort_score orders every benchmark ascending: the time itself when lower is better,
-- otherwise its negation, so one index order serves every board.
create table app_shared.network_best_all_time (
  tenant_id     uuid not null references app_public.gyms (id) on delete cascade,
  -- No foreign key to memberships: a member's rows go with their results (the triggers), and
  -- the erasure and offboarding tools enumerate keys into memberships as the maintenance role.
  membership_id uuid not null,
  benchmark_id  uuid not null,
  is_rx         boolean not null,
  sort_score    numeric not null,
  score         numeric not null,
  performed_on  date not null,
  result_id     uuid not null,
  -- The member's chosen network name, copied from network_preferences (kept by its trigger),
  -- so reading a board looks up no preference per line (see network_leaderboard).
  display_name  text not null,
  primary key (tenant_id, membership_id, benchmark_id, is_rx)
);
comment on table app_shared.network_best_all_time is
  E'@behavior -*\nBest result per network member, benchmark and Rx/scaled, all time, kept current by triggers. Internal: read only through app_shared.network_leaderboard.';
-- The board: an ordered scan that stops after the first 100 rows kept.
create index network_best_all_time_board
  on app_shared.network_best_all_time (benchmark_id, is_rx, sort_score, performed_on);

-- The same per calendar month: "this month" reads the current month's rows, so the board
-- rolls over at midnight on the 1st without any refresh.
create table app_shared.network_best_by_month (
  tenant_id     uuid not null references app_public.gyms (id) on delete cascade,
  -- No foreign key to memberships: a member's rows go with their results (the triggers), and
  -- the erasure and offboarding tools enumerate keys into memberships as the maintenance role.
  membership_id uuid not null,
  benchmark_id  uuid not null,
  is_rx         boolean not null,
  month         date not null,
  sort_score    numeric not null,
  score         numeric not null,
  performed_on  date not null,
  result_id     uuid not null,
  -- As in network_best_all_time: the chosen network name, kept by the preferences trigger.
  display_name  text not null,
  primary key (tenant_id, membership_id, benchmark_id, is_rx, month)
);
comment on table app_shared.network_best_by_month is
  E'@behavior -*\nBest result per network member, benchmark, Rx/scaled and calendar month, kept current by triggers. Internal: read only through app_shared.network_leaderboard.';
create index network_best_by_month_board
  on app_shared.network_best_by_month (benchmark_id, is_rx, month, sort_score, performed_on);

-- Granted to no visitor; RLS forced anyway, so only the shared role's functions touch them.
alter table app_shared.network_best_all_time enable row level security;
alter table app_shared.network_best_all_time force row level security;
alter table app_shared.network_best_by_month enable row level security;
alter table app_shared.network_best_by_month force row level security;
-- Gym roles hold no grant here; should one ever be added, it stays within the caller's gym.
create policy network_best_all_time_tenant on app_shared.network_best_all_time as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy network_best_by_month_tenant on app_shared.network_best_by_month as restrictive for all
  to :GYM_ROLES
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
-- The shared role writes rows only for gyms in the network (its reads of results already
-- admit only opted-in members), and sees all of its rows: a gym that just left the network
-- must still be found to be removed.
create policy network_best_all_time_shared on app_shared.network_best_all_time for all
  to ":ROLE_SHARED" using (true) with check (app_shared.gym_in_network(tenant_id));
create policy network_best_by_month_shared on app_shared.network_best_by_month for all
  to ":ROLE_SHARED" using (true) with check (app_shared.gym_in_network(tenant_id));

-- A board row never moves to another gym, whoever writes it. The boards belong to the shared
-- role: it lends the TRIGGER privilege for these CREATE TRIGGERs and takes it back (it may
-- not use app_private itself).
grant trigger on app_shared.network_best_all_time, app_shared.network_best_by_month to ":DATABASE_OWNER";
reset role;
create trigger _100_tenant_id_immutable before update on app_shared.network_best_all_time
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _100_tenant_id_immutable before update on app_shared.network_best_by_month
  for each row execute function app_private.tg__tenant_id_immutable();
set role ":ROLE_SHARED";
revoke trigger on app_shared.network_best_all_time, app_shared.network_best_by_month from ":DATABASE_OWNER";

-- When each leaderboard was last recomputed in full (exposed read-only through leaderboard_refreshed_at).
create table app_shared.leaderboard_refreshes (
  leaderboard  text primary key,
  refreshed_at timestamptz not null,
  row_count    integer not null
);
comment on table app_shared.leaderboard_refreshes is
  E'@behavior -*\n@global one row per leaderboard, no gym data\nLast full recompute (repair) of each network leaderboard. Internal; see app_shared.leaderboard_refreshed_at().';
-- Granted to no visitor; RLS anyway (forced), so only the shared role's repair writes it.
alter table app_shared.leaderboard_refreshes enable row level security;
alter table app_shared.leaderboard_refreshes force row level security;
create policy leaderboard_refreshes_shared on app_shared.leaderboard_refreshes for all
  to ":ROLE_SHARED" using (true) with check (true);

--------------------------------------------------------------------------------
-- Maintenance. SECURITY DEFINER (shared role): the writers of results are visitors of one
-- gym, who may neither read other members' opt-ins nor write the boards; these read results
-- under the shared role's opt-in policies, so nothing else can land on a board. They take
-- ids only, never scores, so a caller cannot put a made-up value on a board. Executable by
-- the database owner only: the triggers beside each table (SECURITY DEFINER, database owner)
-- call them.
--------------------------------------------------------------------------------

-- Realtime: NOTIFY ironclad:network:leaderboards with the board's name (no gym data) when a
-- board changed. NOTIFY folds identical payloads within a transaction, so a burst in one
-- transaction is one event per board, sent at commit; a result that beats nobody's best sends
-- nothing. Invoker: called by the maintenance functions below (pg_notify needs no privilege).
create function app_shared.network_boards_changed(leaderboard text) returns void
  language sql volatile set search_path = pg_catalog
as $$
  select pg_catalog.pg_notify('ironclad:network:leaderboards',
    pg_catalog.json_build_object('leaderboard', network_boards_changed.leaderboard)::text)
$$;
comment on function app_shared.network_boards_changed(text) is
  E'@behavior -*\nNOTIFY subscribers that a network board changed (its name only). Called by the maintenance functions.';

-- A result was logged (or changed without having been a best): one upsert per board, kept
-- only if it beats the member's best (lower sort_score, then the earlier day).
create function app_shared.network_bests_add(tenant_id uuid, result_id uuid) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_rows integer;
begin
  insert into app_shared.network_best_all_time as b
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = network_bests_add.tenant_id and r.id = network_bests_add.result_id
  on conflict (tenant_id, membership_id, benchmark_id, is_rx) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on) < (b.sort_score, b.performed_on);
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_all_time');
  end if;

  insert into app_shared.network_best_by_month as b
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = network_bests_add.tenant_id and r.id = network_bests_add.result_id
  on conflict (tenant_id, membership_id, benchmark_id, is_rx, month) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on) < (b.sort_score, b.performed_on);
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_by_month');
  end if;
end;
$$;
comment on function app_shared.network_bests_add(uuid, uuid) is
  E'@behavior -*\nPut one result on the network boards if it is its member''s best (an upsert per board). SECURITY DEFINER (shared role): reads the result under the shared role''s opt-in policies; takes ids, never scores. Executable by the database owner (the triggers) only.';

-- Recompute the bests of some members of a gym (members null: the whole gym) from their
-- results: after a best was changed or deleted, a workout stopped or started counting, or an
-- opt-in changed. Costs those members' results, nothing else.
create function app_shared.network_bests_recompute(tenant_id uuid, members uuid[]) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_tenant uuid := network_bests_recompute.tenant_id;
  v_members uuid[] := network_bests_recompute.members;
begin
  delete from app_shared.network_best_all_time b
   where b.tenant_id = v_tenant and (v_members is null or b.membership_id = any (v_members));
  delete from app_shared.network_best_by_month b
   where b.tenant_id = v_tenant and (v_members is null or b.membership_id = any (v_members));

  insert into app_shared.network_best_all_time
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.member_id, w.benchmark_id, r.is_rx)
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = v_tenant and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, w.benchmark_id, r.is_rx,
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on;

  insert into app_shared.network_best_by_month
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on))
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = v_tenant and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on),
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on;
  perform app_shared.network_boards_changed('network_best_all_time');
  perform app_shared.network_boards_changed('network_best_by_month');
end;
$$;
comment on function app_shared.network_bests_recompute(uuid, uuid[]) is
  E'@behavior -*\nRecompute the network bests of these members of a gym (null: every member) from their results. SECURITY DEFINER (shared role): reads results under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';

-- A workout started or stopped counting (benchmark link, published): recompute the members
-- who logged it. The shared role sees the results of opted-in members only, the only ones
-- who can have a row on a board.
create function app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
begin
  perform app_shared.network_bests_recompute(network_bests_workout_changed.tenant_id, array(
    select distinct r.member_id from app_public.workout_results r
    where r.tenant_id = network_bests_workout_changed.tenant_id
      and r.workout_id = network_bests_workout_changed.workout_id));
end;
$$;
comment on function app_shared.network_bests_workout_changed(uuid, uuid) is
  E'@behavior -*\nRecompute the network bests of the members who logged this workout. SECURITY DEFINER (shared role): reads results under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';

-- A result counts for the boards' "is it a best" test: only a best's change or delete needs
-- a recompute; any other result's change is an upsert of its new value.
create function app_shared.network_bests_holds(tenant_id uuid, membership_id uuid, result_id uuid) returns boolean
  language sql stable security definer set search_path = pg_catalog
as $$
  select exists (select 1 from app_shared.network_best_all_time b
                 where b.tenant_id = network_bests_holds.tenant_id and b.membership_id = network_bests_holds.membership_id
                   and b.result_id = network_bests_holds.result_id)
      or exists (select 1 from app_shared.network_best_by_month b
                 where b.tenant_id = network_bests_holds.tenant_id and b.membership_id = network_bests_holds.membership_id
                   and b.result_id = network_bests_holds.result_id)
$$;
comment on function app_shared.network_bests_holds(uuid, uuid, uuid) is
  E'@behavior -*\nTrue when this result is one of its member''s bests on a network board. SECURITY DEFINER (shared role): the boards are granted to nobody. Executable by the database owner (the triggers) only.';

-- A member chose a new network name: copy it onto their board lines (the boards carry it so
-- that reading a board looks up no preference per line). Reads the name under the shared
-- role's policies, so only a member who shows on the boards has one to copy.
create function app_shared.network_bests_rename(tenant_id uuid, membership_id uuid) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
#variable_conflict use_column
declare
  v_name text := (select p.display_name from app_public.network_preferences p
                  where p.tenant_id = network_bests_rename.tenant_id
                    and p.membership_id = network_bests_rename.membership_id);
  v_rows integer;
begin
  if v_name is null then
    return;
  end if;
  update app_shared.network_best_all_time b set display_name = v_name
   where b.tenant_id = network_bests_rename.tenant_id and b.membership_id = network_bests_rename.membership_id
     and b.display_name is distinct from v_name;
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_all_time');
  end if;
  update app_shared.network_best_by_month b set display_name = v_name
   where b.tenant_id = network_bests_rename.tenant_id and b.membership_id = network_bests_rename.membership_id
     and b.display_name is distinct from v_name;
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_by_month');
  end if;
end;
$$;
comment on function app_shared.network_bests_rename(uuid, uuid) is
  E'@behavior -*\nCopy a member''s current network name onto their board lines. SECURITY DEFINER (shared role): the boards are granted to nobody; reads the name under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';

grant execute on function
  app_shared.network_bests_add(uuid, uuid), app_shared.network_bests_recompute(uuid, uuid[]),
  app_shared.network_bests_workout_changed(uuid, uuid), app_shared.network_bests_holds(uuid, uuid, uuid),
  app_shared.network_bests_rename(uuid, uuid)
to ":DATABASE_OWNER";

--------------------------------------------------------------------------------
-- Repair: recompute every board in full and record when. SECURITY DEFINER (shared role):
-- the boards must be built under its opt-in-limited policies. Runs daily from the crontab
-- and after bulk loads that bypass triggers (bench seed, tenant import, restore). Readers
-- keep reading the old rows until it commits (plain DELETE + INSERT, no table lock).
-- Executable by the database owner only (the worker's login).
--------------------------------------------------------------------------------
create function app_shared.refresh_leaderboards() returns integer
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
declare
  v_all integer;
  v_month integer;
begin
  delete from app_shared.network_best_all_time;
  insert into app_shared.network_best_all_time
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.tenant_id, r.member_id, w.benchmark_id, r.is_rx)
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  order by r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on
  -- A result logged meanwhile by a committed writer already holds its key: keep the better.
  on conflict (tenant_id, membership_id, benchmark_id, is_rx) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on)
        < (network_best_all_time.sort_score, network_best_all_time.performed_on);
  get diagnostics v_all = row_count;

  delete from app_shared.network_best_by_month;
  insert into app_shared.network_best_by_month
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on))
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  order by r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on),
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on
  on conflict (tenant_id, membership_id, benchmark_id, is_rx, month) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on)
        < (network_best_by_month.sort_score, network_best_by_month.performed_on);
  get diagnostics v_month = row_count;

  insert into app_shared.leaderboard_refreshes (leaderboard, refreshed_at, row_count)
    values ('network_best_all_time', pg_catalog.clock_timestamp(), v_all),
           ('network_best_by_month', pg_catalog.clock_timestamp(), v_month)
    on conflict (leaderboard) do update
      set refreshed_at = excluded.refreshed_at, row_count = excluded.row_count;
  return v_all + v_month;
end;
$$;
comment on function app_shared.refresh_leaderboards() is
  E'@behavior -*\nRecompute every network leaderboard in full (a repair: triggers keep them current) and record when. SECURITY DEFINER (shared role): the boards must be built under its opt-in-limited policies. Executable by the database owner (graphile-worker) only.';
grant execute on function app_shared.refresh_leaderboards() to ":DATABASE_OWNER";

--------------------------------------------------------------------------------
-- What visitors get: the top 100 of a board (and anyone tied with the 100th), one ranked line
-- per member. SECURITY DEFINER (shared role) because the boards are granted to nobody; safe
-- because it returns only rank, display name (the member's chosen network name), gym name,
-- score and date, never an id. A board holds lines of opted-in members only: the preferences
-- and gyms triggers take a member's or a gym's lines off in the same transaction as the
-- opt-out, and the maintenance functions read results under the shared role's opt-in
-- policies. The gym's opt-in is re-checked here anyway (one primary-key lookup per line, the
-- gym name needs it); the member's name comes from the line itself: re-reading their
-- preference cost ≈ 25 µs a line (its policy calls gym_in_network per row), most of a read.
-- The limit is inside: a definer function is never inlined, so a caller's LIMIT cannot stop
-- its scan; the ordered index scan stops after the first 100 rows kept.
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
  language plpgsql stable security definer set search_path = pg_catalog
as $$
declare
  -- The benchmark is looked up first, so the board query has benchmark_id and is_rx as
  -- values: an index condition, read in sort_score order with no sort.
  v_benchmark uuid := (select b.id from app_public.benchmarks b
                       where b.slug::text = lower(network_leaderboard.benchmark));
  v_month boolean := coalesce(network_leaderboard.this_month, false);
begin
  if v_benchmark is null then
    return;
  end if;
  -- One query for both boards (the table and the month condition are the only difference).
  -- The gym (name, current opt-in) is a LATERAL primary-key lookup per line: a plain join lets
  -- the planner hash every gym of the network before the first line; LATERAL keeps it a
  -- nested loop over the ordered index scan, which stops after 100 lines and anyone tied with
  -- the 100th.
  return query execute format($q$
    select t.rank, t.display_name, t.gym_name, t.score, t.performed_on from (
      select (rank() over (order by l.sort_score))::integer as rank,
             l.display_name, o.gym_name, l.score, l.performed_on
      from app_shared.%I l
      cross join lateral (
        select g.name as gym_name
        from app_public.gyms g
        where g.id = l.tenant_id and g.network_opt_in
        limit 1 -- one row anyway; keeps the planner from flattening it into a join
      ) o
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
comment on function app_shared.network_leaderboard(text, boolean, boolean) is
  E'@name network_leaderboard\n@sharedSafe returns only rank, chosen display name, gym name, score and date of opted-in members of opted-in gyms (lines leave the board in the transaction that opts out; the gym''s opt-in is re-checked on every call)\nThe top 100 (with ties) of a benchmark''s network leaderboard (by slug, e.g. "fran"): Rx or scaled, all time or this month. Live: a result counts as soon as it is saved.';

create function app_shared.leaderboard_refreshed_at() returns timestamptz
  language sql stable security definer set search_path = pg_catalog
as $$ select min(r.refreshed_at) from app_shared.leaderboard_refreshes r $$;
comment on function app_shared.leaderboard_refreshed_at() is
  E'@name leaderboard_refreshed_at\n@sharedSafe a timestamp only\nWhen the network leaderboards were last recomputed in full (a repair; null: not yet). The boards follow every result as it is saved. SECURITY DEFINER (shared role): the refresh log is granted to nobody.';

-- Logged-in people only: the leaderboard names athletes, so it is not for anonymous visitors.
grant execute on function
  app_shared.network_leaderboard(text, boolean, boolean), app_shared.leaderboard_refreshed_at()
to :GYM_ROLES, ":ROLE_PLATFORM_OWNER";

reset role;

create function app_private.tg_leaderboard_refreshes__notify() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  perform pg_catalog.pg_notify('ironclad:network:leaderboards',
    pg_catalog.json_build_object('leaderboard', new.leaderboard)::text);
  return null;
end;
$$;
comment on function app_private.tg_leaderboard_refreshes__notify() is
  'Trigger: NOTIFY ironclad:network:leaderboards with the recomputed board''s name (no gym data).';
-- The refresh log belongs to the shared role: it lends the TRIGGER privilege for this one
-- CREATE TRIGGER and takes it back (the shared role may not use app_private itself).
set role ":ROLE_SHARED";
grant trigger on app_shared.leaderboard_refreshes to ":DATABASE_OWNER";
reset role;
create trigger _900_notify after insert or update on app_shared.leaderboard_refreshes
  for each row execute function app_private.tg_leaderboard_refreshes__notify();
set role ":ROLE_SHARED";
revoke trigger on app_shared.leaderboard_refreshes from ":DATABASE_OWNER";
reset role;

-- First fill (as the shared role, under its policies).
select app_shared.refresh_leaderboards();
--! split: 2200-directory.sql
--------------------------------------------------------------------------------
-- Affiliate directory: a public card for every gym in the network.
-- SECURITY DEFINER (shared role): visitors of one gym cannot read other gyms, and anonymous
-- visitors nothing at all. Safe because the shared role sees only gyms that opted in (its
-- policy on gyms), and this returns only name, city, description and a coarse member count
-- band: no id, no plan, no exact counts, no people.
--------------------------------------------------------------------------------
set role ":ROLE_SHARED";

create type app_shared.gym_card as (
  name              text,
  city              text,
  description       text,
  member_count_band text
);
comment on type app_shared.gym_card is E'@name gym_card\nA gym''s public directory card.';
comment on column app_shared.gym_card.member_count_band is 'Roughly how many people train there: 1–10, 11–50, 51–200 or 200+.';

create function app_shared.gym_directory() returns setof app_shared.gym_card
  language sql stable security definer set search_path = pg_catalog
as $$
  select g.name, g.city, g.description,
         case when c.n <= 10 then '1–10' when c.n <= 50 then '11–50'
              when c.n <= 200 then '51–200' else '200+' end
  from app_public.gyms g
  cross join lateral (
    select count(*) as n from app_public.memberships m where m.tenant_id = g.id
  ) c
  where g.network_opt_in
  order by g.name
$$;
comment on function app_shared.gym_directory() is
  E'@name gym_directory\n@anonymousOk the directory is the network''s public shop window\n@sharedSafe only opted-in gyms, only name, city, description and a member count band\nThe network''s gym directory (gyms that chose to be listed). Open to everyone, logged in or not.';
grant execute on function app_shared.gym_directory() to :VISITOR_ROLES;

reset role;

--! split: 2300-platform-analytics.sql
--------------------------------------------------------------------------------
-- Platform-owner analytics: one "facts" view per measure, with the gym, its Ironclad plan
-- and a month to group by; totals come from @graphile/pg-aggregates (aggregates and
-- groupedAggregates on each connection).
--
-- security_invoker = true: the views read the tenant tables with the caller's rights and
-- policies. Only the platform owner is granted them (and only its policies see across
-- gyms); for any other role they are "permission denied", and even if one were granted a
-- view it would see only its own gym through the tenant policies.
--------------------------------------------------------------------------------

-- Members (everyone in a gym, by role), and whether they were active in the last 30 days
-- (logged a result or booked a class): `active` is 0/1 so that sum { active } counts them;
-- distinctCount { membershipId } counts members (likewise the other views' ids).
create view app_public.platform_membership_facts with (security_invoker = true) as
  select m.tenant_id, m.id as membership_id, g.name as gym_name, g.plan as gym_plan, m.role,
         date_trunc('month', m.created_at)::date as joined_month,
         (exists (select 1 from app_public.workout_results r
                  where r.tenant_id = m.tenant_id and r.member_id = m.id
                    and r.performed_on >= current_date - 30)
          or exists (select 1 from app_public.bookings b
                     where b.tenant_id = m.tenant_id and b.member_id = m.id
                       and b.created_at >= now() - interval '30 days'))::integer as active
  from app_public.memberships m
  join app_public.gyms g on g.id = m.tenant_id;
comment on view app_public.platform_membership_facts is
  'Platform owner only: one row per membership (gym, plan, role, month joined, active (1) in the last 30 days or not (0)). Aggregate with groupedAggregates.';

create view app_public.platform_class_facts with (security_invoker = true) as
  select c.tenant_id, c.id as class_session_id, g.name as gym_name, g.plan as gym_plan,
         date_trunc('month', c.starts_at)::date as month, c.capacity, c.booked_count
  from app_public.class_sessions c
  join app_public.gyms g on g.id = c.tenant_id;
comment on view app_public.platform_class_facts is
  'Platform owner only: one row per scheduled class (gym, plan, month, capacity, seats booked).';

create view app_public.platform_result_facts with (security_invoker = true) as
  select r.tenant_id, r.id as result_id, g.name as gym_name, g.plan as gym_plan,
         date_trunc('month', r.performed_on)::date as month, r.is_rx
  from app_public.workout_results r
  join app_public.gyms g on g.id = r.tenant_id;
comment on view app_public.platform_result_facts is
  'Platform owner only: one row per logged workout result (gym, plan, month, Rx). No scores, no notes.';

create view app_public.platform_revenue_facts with (security_invoker = true) as
  select p.tenant_id, p.id as payment_id, g.name as gym_name, g.plan as gym_plan,
         date_trunc('month', coalesce(p.paid_at, p.created_at))::date as month,
         p.currency, p.amount_cents
  from app_public.payments p
  join app_public.gyms g on g.id = p.tenant_id
  where p.status = 'paid';
comment on view app_public.platform_revenue_facts is
  'Platform owner only: one row per paid payment (gym, plan, month, currency, amount). No member.';

grant select on app_public.platform_membership_facts, app_public.platform_class_facts,
  app_public.platform_result_facts, app_public.platform_revenue_facts to ":ROLE_PLATFORM_OWNER";

--! split: 2400-platform-audit.sql
--------------------------------------------------------------------------------
-- Platform audit log: every API request made with the platform-owner role: who, when, the
-- operation's type and name as the document defines them, the document itself (stored once
-- per distinct text, keyed by its sha256) and the variables. Secrets are redacted by the API
-- by the SCHEMA (src/auth/audit.ts): every value that fills an argument or input field whose
-- name matches /password|token|secret/i, whatever the variable is called, and such literals
-- in the document; keys that look secret are redacted here again. Append-only; no gym role
-- can read it. The API (as the authenticator) writes it through
-- app_hidden.record_platform_request before the request runs; the platform owner reads it
-- through platform_audit_entries().
--------------------------------------------------------------------------------
create table app_private.platform_audit_documents (
  sha256        bytea primary key,
  document      text not null,
  first_seen_at timestamptz not null default now()
);
comment on table app_private.platform_audit_documents is
  'Each distinct (redacted) GraphQL document a platform owner sent, once, keyed by sha256 of its text.';
alter table app_private.platform_audit_documents enable row level security;
alter table app_private.platform_audit_documents force row level security;
create policy platform_audit_documents_system_insert on app_private.platform_audit_documents for insert
  to ":ROLE_SYSTEM" with check (true);
create policy platform_audit_documents_system_select on app_private.platform_audit_documents for select
  to ":ROLE_SYSTEM" using (true);
grant select, insert (sha256, document) on app_private.platform_audit_documents to ":ROLE_SYSTEM";

create table app_private.platform_audit_log (
  id              bigint generated always as identity primary key,
  occurred_at     timestamptz not null default now(),
  user_id         uuid not null references app_public.users (id),
  session_id      uuid,
  operation_type  text check (operation_type in ('query', 'mutation', 'subscription')),
  operation_name  text,
  document_sha256 bytea references app_private.platform_audit_documents (sha256),
  variables       jsonb not null default '{}'
);
comment on table app_private.platform_audit_log is
  'Append-only record of every platform-owner API request: operation, document (by hash) and variables with secrets redacted by the schema.';
create index platform_audit_log_occurred_at_idx on app_private.platform_audit_log (occurred_at);
create index platform_audit_log_user_id_idx on app_private.platform_audit_log (user_id);
create index platform_audit_log_document_idx on app_private.platform_audit_log (document_sha256);

alter table app_private.platform_audit_log enable row level security;
alter table app_private.platform_audit_log force row level security;
create policy platform_audit_log_system_insert on app_private.platform_audit_log for insert
  to ":ROLE_SYSTEM" with check (true);
create policy platform_audit_log_system_select on app_private.platform_audit_log for select
  to ":ROLE_SYSTEM" using (true);
grant select, insert (user_id, session_id, operation_type, operation_name, document_sha256, variables)
  on app_private.platform_audit_log to ":ROLE_SYSTEM";

-- Append-only, for everyone (the owner and superusers included): no UPDATE, DELETE, TRUNCATE.
create function app_private.tg_platform_audit_log__append_only() returns trigger
  language plpgsql volatile set search_path = pg_catalog
as $$
begin
  raise exception 'The platform audit log is append-only' using errcode = 'IC030';
end;
$$;
comment on function app_private.tg_platform_audit_log__append_only() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on the audit log and its documents (IC030).';
create trigger _100_append_only before update or delete on app_private.platform_audit_log
  for each row execute function app_private.tg_platform_audit_log__append_only();
create trigger _101_append_only_truncate before truncate on app_private.platform_audit_log
  for each statement execute function app_private.tg_platform_audit_log__append_only();
create trigger _100_append_only before update or delete on app_private.platform_audit_documents
  for each row execute function app_private.tg_platform_audit_log__append_only();
create trigger _101_append_only_truncate before truncate on app_private.platform_audit_documents
  for each statement execute function app_private.tg_platform_audit_log__append_only();

-- Replace the value of every key matching /pass|secret|token/i, at any depth: a second
-- layer under the API's schema-based redaction.
create function app_private.redact_secrets(v jsonb) returns jsonb
  language plpgsql immutable parallel safe set search_path = pg_catalog
as $$
begin
  if jsonb_typeof(v) = 'object' then
    return coalesce((
      select jsonb_object_agg(e.key,
               case when e.key ~* '(pass|secret|token)' then '"[REDACTED]"'::jsonb
                    else app_private.redact_secrets(e.value) end)
      from jsonb_each(v) e), '{}'::jsonb);
  elsif jsonb_typeof(v) = 'array' then
    return coalesce((
      select jsonb_agg(app_private.redact_secrets(a.value) order by a.ord)
      from jsonb_array_elements(v) with ordinality a(value, ord)), '[]'::jsonb);
  end if;
  return v;
end;
$$;
comment on function app_private.redact_secrets(jsonb) is
  'Variables with every value under a key matching /pass|secret|token/i replaced by "[REDACTED]".';
grant execute on function app_private.redact_secrets(jsonb) to ":ROLE_SYSTEM";

-- Called by the API (authenticator) for each platform-owner request, after the token was
-- verified. SECURITY DEFINER (system): the authenticator has no rights on the log; the
-- function re-checks that the session is a live platform-owner session, so it cannot be
-- used to write entries for anyone else, and redacts secret-named keys itself too.
create function app_hidden.record_platform_request(
  session_id uuid, user_id uuid, operation_type text, operation_name text, document text, variables jsonb
) returns void
  language plpgsql volatile security definer set search_path = pg_catalog, public
as $$
declare
  v_sha bytea;
begin
  if not exists (
    select 1 from app_private.sessions s
    join app_private.platform_owners p on p.user_id = s.user_id
    where s.id = record_platform_request.session_id and s.user_id = record_platform_request.user_id
      and s.revoked_at is null
  ) then
    raise exception 'Not a platform-owner session' using errcode = 'IC002';
  end if;
  if record_platform_request.document is not null then
    v_sha := sha256(convert_to(record_platform_request.document, 'UTF8'));
    -- Not ON CONFLICT: on Citus, an upsert into a reference table takes a lock that needs
    -- UPDATE/DELETE rights (the table is append-only); a document already stored is ignored.
    begin
      insert into app_private.platform_audit_documents (sha256, document)
        values (v_sha, record_platform_request.document);
    exception when unique_violation then null;
    end;
  end if;
  insert into app_private.platform_audit_log
      (user_id, session_id, operation_type, operation_name, document_sha256, variables)
    values (record_platform_request.user_id, record_platform_request.session_id,
            record_platform_request.operation_type,
            left(record_platform_request.operation_name, 200), v_sha,
            app_private.redact_secrets(coalesce(record_platform_request.variables, '{}'::jsonb)));
end;
$$;
comment on function app_hidden.record_platform_request(uuid, uuid, text, text, text, jsonb) is
  'Audit one platform-owner request. SECURITY DEFINER (system): the API login may append to the audit log through this only, for a live platform-owner session.';
grant execute on function app_hidden.record_platform_request(uuid, uuid, text, text, text, jsonb) to ":DATABASE_AUTHENTICATOR";
alter function app_hidden.record_platform_request(uuid, uuid, text, text, text, jsonb) owner to ":ROLE_SYSTEM";

-- The platform owner reads the log. SECURITY DEFINER (system): app_private is closed to
-- visitors; re-checks the role, and only the platform owner may execute it.
create type app_public.platform_audit_entry as (
  id              bigint,
  occurred_at     timestamptz,
  user_id         uuid,
  operation_type  text,
  operation_name  text,
  document_sha256 text,
  document        text,
  variables       jsonb
);
comment on type app_public.platform_audit_entry is 'One audited platform-owner request (document_sha256 in hex).';

create function app_public.platform_audit_entries() returns setof app_public.platform_audit_entry
  language sql stable security definer set search_path = pg_catalog
as $$
  select a.id, a.occurred_at, a.user_id, a.operation_type, a.operation_name,
         encode(a.document_sha256, 'hex'), d.document, a.variables
  from app_private.platform_audit_log a
  left join app_private.platform_audit_documents d on d.sha256 = a.document_sha256
  where app_hidden.current_app_role() = 'platform_owner'
  order by a.id desc
$$;
comment on function app_public.platform_audit_entries() is
  'Platform owner only: the audit log of platform-owner requests, newest first. SECURITY DEFINER (system): the log is private.';
grant execute on function app_public.platform_audit_entries() to ":ROLE_PLATFORM_OWNER";
alter function app_public.platform_audit_entries() owner to ":ROLE_SYSTEM";

--! split: 2500-operations.sql
--------------------------------------------------------------------------------
-- Operating the platform: readiness and the maintenance role's rights.
--------------------------------------------------------------------------------

-- /readyz asks (as the authenticator) whether the newest committed migration is applied.
-- SECURITY DEFINER (system): graphile-migrate's bookkeeping is not the authenticator's to read,
-- and this returns a hash only.
grant usage on schema graphile_migrate to ":ROLE_SYSTEM";
grant select (hash, filename) on graphile_migrate.migrations to ":ROLE_SYSTEM";
create function app_hidden.latest_migration_hash() returns text
  language sql stable security definer set search_path = pg_catalog
as $$ select m.hash from graphile_migrate.migrations m order by m.filename desc limit 1 $$;
comment on function app_hidden.latest_migration_hash() is
  'The hash of the newest applied committed migration (for /readyz). SECURITY DEFINER (system): graphile_migrate is private.';
grant execute on function app_hidden.latest_migration_hash() to ":DATABASE_AUTHENTICATOR";
alter function app_hidden.latest_migration_hash() owner to ":ROLE_SYSTEM";

-- The maintenance role (NOLOGIN, BYPASSRLS, reachable only by the owner; see roles.sql) is
-- what the operator's CLI becomes for tenant export/import/offboard, person erasure and
-- backups. It reads and writes every table of our schemas, including tables added later
-- (default privileges), so those tools need no code change for a new tenant table.
-- (Tables the shared role owns — its materialized views and refresh log — are derived data:
-- they are rebuilt by a refresh, never exported or restored.)
grant usage on schema app_public, app_hidden, app_private, app_shared to ":ROLE_MAINTENANCE";
do $$
declare
  t regclass;
begin
  for t in
    select c.oid::regclass from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname in ('app_public', 'app_hidden', 'app_private', 'app_shared')
      and c.relkind in ('r', 'p', 'S') and c.relowner = current_user::regrole
  loop
    execute format('grant %s on %s to %I',
      case when (select relkind from pg_class where oid = t) = 'S' then 'usage, select' else 'select, insert, update, delete' end,
      t, ':ROLE_MAINTENANCE');
  end loop;
end
$$;
alter default privileges in schema app_public, app_hidden, app_private, app_shared
  grant select, insert, update, delete on tables to ":ROLE_MAINTENANCE";
alter default privileges in schema app_public, app_hidden, app_private, app_shared
  grant usage, select on sequences to ":ROLE_MAINTENANCE";
