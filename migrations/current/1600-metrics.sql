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
  value       numeric(10, 2) not null check (value >= 0),
  unit        text not null check (unit in ('kg', 'lb', 'percent', 'reps', 'seconds', 'm')),
  measured_on date not null default current_date,
  recorded_by uuid default app_hidden.current_membership_id(),
  created_at  timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, member_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, recorded_by) references app_public.memberships (tenant_id, id) on delete set null (recorded_by),
  check (kind <> 'personal_record' or label is not null),
  check (kind <> 'body_fat' or (unit = 'percent' and value <= 100))
);
comment on table app_public.progress_metrics is
  'A member''s progress measurement: body weight, body fat or a personal record (label says which lift/benchmark). Private to the member, their assigned trainers and the gym admin.';
-- A member's series of one kind (body weight over time) is the common read.
create index progress_metrics_tenant_id_member_id_idx on app_public.progress_metrics (tenant_id, member_id, kind, measured_on);
create index progress_metrics_tenant_id_recorded_by_idx on app_public.progress_metrics (tenant_id, recorded_by);

create trigger _100_tenant_id_immutable before update on app_public.progress_metrics
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.progress_metrics enable row level security;
alter table app_public.progress_metrics force row level security;

create policy progress_metrics_tenant on app_public.progress_metrics as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy progress_metrics_all_own on app_public.progress_metrics for all
  to ":ROLE_MEMBER"
  using (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and member_id = app_hidden.current_membership_id());
create policy progress_metrics_all_trainer on app_public.progress_metrics for all
  to ":ROLE_PERSONAL_TRAINER"
  using (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id))
  with check (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id));
create policy progress_metrics_select_admin on app_public.progress_metrics for select
  to ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy progress_metrics_select_platform on app_public.progress_metrics for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.progress_metrics to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, member_id, kind, label, value, unit, measured_on, recorded_by),
      update (kind, label, value, unit, measured_on), delete
  on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
