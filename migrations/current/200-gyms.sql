--------------------------------------------------------------------------------
-- gyms: the tenant record. Its id IS the tenant_id every other tenant row carries.
-- Rows are created only by app_public.provision_gym (platform owner); no visitor has INSERT.
--------------------------------------------------------------------------------
create table app_public.gyms (
  id         uuid primary key default gen_random_uuid(),
  name       text not null check (length(name) between 1 and 200),
  slug       citext not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  plan       text not null default 'free' check (plan in ('free', 'basic', 'pro')),
  created_at timestamptz not null default now()
);
comment on table app_public.gyms is
  E'@tenantRoot\nA gym (affiliate): the tenant. Everything below the platform owner belongs to exactly one gym.';

alter table app_public.gyms enable row level security;
alter table app_public.gyms force row level security;

-- Every gym-level role sees its own gym and nothing else.
create policy gyms_select_own on app_public.gyms for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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

grant select on app_public.gyms to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant update (name) on app_public.gyms to ":ROLE_GYM_ADMIN";
grant update (name, plan) on app_public.gyms to ":ROLE_PLATFORM_OWNER";
grant select, insert (id, name, slug, plan) on app_public.gyms to ":ROLE_SYSTEM";
