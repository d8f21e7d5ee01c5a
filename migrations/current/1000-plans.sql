--------------------------------------------------------------------------------
-- plans: what a gym's subscription to Ironclad allows. Global (every gym on the same plan
-- gets the same limits) and readable by everyone, anonymous included: it is the price list.
-- Rows are reference data written only by migrations; no visitor role may change them.
-- gyms.plan becomes a foreign key to this table, so a plan name is always one we know.
--------------------------------------------------------------------------------
create table app_public.plans (
  id          text primary key check (id ~ '^[a-z][a-z0-9_]{0,30}$'),
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
  to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
     ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM"
  using (true);
grant select on app_public.plans to
  ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH",
  ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";

-- gyms.plan: from a CHECK list to a foreign key (the check in 200-gyms.sql predates plans).
alter table app_public.gyms drop constraint gyms_plan_check;
alter table app_public.gyms
  add constraint gyms_plan_fkey foreign key (plan) references app_public.plans (id);
create index gyms_plan_idx on app_public.gyms (plan);

--------------------------------------------------------------------------------
-- Usage counters, kept on the gym row by a trigger on memberships.
-- Why counters on the gym row rather than count(*) at insert time: the counter UPDATE takes
-- the gym row's lock, so two admins adding people to the same gym at the same moment are
-- serialised there; the second waits, re-reads the committed count and is refused if the
-- first took the last place (READ COMMITTED re-evaluates the updated row; under
-- REPEATABLE READ the loser gets 40001 instead, never an overshoot). A plan change locks the
-- same row, so a downgrade and an add cannot interleave either.
-- Visitors see the counters (admins use them) but only the system role may write them.
--------------------------------------------------------------------------------
alter table app_public.gyms
  add column member_count integer not null default 0 check (member_count >= 0),
  add column staff_count  integer not null default 0 check (staff_count >= 0);
comment on column app_public.gyms.member_count is 'Memberships with role member (kept by a trigger; what the plan limit counts).';
comment on column app_public.gyms.staff_count is 'Staff memberships: personal trainers, coaches and gym admins (kept by a trigger).';

create policy gyms_update_system on app_public.gyms for update
  to ":ROLE_SYSTEM" using (true) with check (true);
grant update (member_count, staff_count) on app_public.gyms to ":ROLE_SYSTEM";

-- Which limit a role counts against.
create function app_hidden.plan_bucket(role text) returns text
  language sql immutable parallel safe
  as $$ select case when role = 'member' then 'members' when role is null then null else 'staff' end $$;
grant execute on function app_hidden.plan_bucket(text) to ":ROLE_SYSTEM";

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
  'Trigger: keeps gyms.member_count/staff_count and refuses a membership beyond the gym''s plan (IC010). SECURITY DEFINER (system): the caller (add_gym_user, a gym admin changing a role or removing someone) may not write the gym row''s counters.';
-- The trigger is created before the ownership moves: CREATE TRIGGER needs EXECUTE, which
-- the migration owner loses with ownership. Triggers fire whatever the caller may execute.
create trigger _200_plan_limits after insert or delete or update of role on app_public.memberships
  for each row execute function app_private.tg_memberships__plan_limits();
alter function app_private.tg_memberships__plan_limits() owner to ":ROLE_SYSTEM";

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
