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
