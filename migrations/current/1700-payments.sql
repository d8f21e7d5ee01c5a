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
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy membership_plans_select on app_public.membership_plans for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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

grant select on app_public.membership_plans to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, name, price_cents, currency, billing_period, is_active),
      update (name, price_cents, currency, billing_period, is_active), delete
  on app_public.membership_plans to ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- payments: what each member pays. Visible to the gym admin and the member themself only
-- (and the platform owner, for support); recorded and corrected by the gym admin.
--------------------------------------------------------------------------------
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
  status             text not null default 'paid' check (status in ('pending', 'paid', 'refunded', 'failed')),
  paid_at            timestamptz,
  created_at         timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, membership_plan_id) references app_public.membership_plans (tenant_id, id)
    on delete set null (membership_plan_id),
  check (period_end >= period_start)
);
comment on table app_public.payments is
  'A member''s payment for a period of a membership plan. Private to the member and the gym admin.';
create index payments_tenant_id_member_id_idx on app_public.payments (tenant_id, member_id, period_start);
create index payments_tenant_id_membership_plan_id_idx on app_public.payments (tenant_id, membership_plan_id);

create trigger _100_tenant_id_immutable before update on app_public.payments
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.payments enable row level security;
alter table app_public.payments force row level security;

create policy payments_tenant on app_public.payments as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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
