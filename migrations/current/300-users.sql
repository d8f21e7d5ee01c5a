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
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (id = app_hidden.current_user_id());
create policy users_update_self on app_public.users for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (id = app_hidden.current_user_id())
  with check (id = app_hidden.current_user_id());
create policy users_select_platform on app_public.users for select
  to ":ROLE_PLATFORM_OWNER" using (true);
create policy users_update_platform on app_public.users for update
  to ":ROLE_PLATFORM_OWNER" using (true) with check (true);
create policy users_select_system on app_public.users for select to ":ROLE_SYSTEM" using (true);
create policy users_insert_system on app_public.users for insert to ":ROLE_SYSTEM" with check (true);

grant select (id, email, display_name, is_disabled, created_at) on app_public.users to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant update (display_name) on app_public.users to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
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
