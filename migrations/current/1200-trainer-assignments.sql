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
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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
-- app_hidden.is_assigned_trainer_of reads assignments as the system role.
create policy trainer_assignments_select_system on app_public.trainer_assignments for select
  to ":ROLE_SYSTEM" using (true);

grant select on app_public.trainer_assignments to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
grant insert (tenant_id, trainer_id, client_id, started_on, notes),
      update (trainer_id, client_id, started_on, notes), delete
  on app_public.trainer_assignments to ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- Is the caller (a personal trainer) assigned to this member? Used by the policies on
-- private progress tables: `app_hidden.is_assigned_trainer_of(member_id)` instead of an
-- EXISTS subquery (Citus rejects subqueries in policies). SECURITY DEFINER (system) so the
-- answer does not depend on what the caller may read, STABLE so the planner may cache it.
--------------------------------------------------------------------------------
create function app_hidden.is_assigned_trainer_of(member_id uuid) returns boolean
  language sql stable security definer set search_path = pg_catalog
as $$
  select exists (
    select 1 from app_public.trainer_assignments a
    where a.tenant_id = app_hidden.current_tenant_id()
      and a.trainer_id = app_hidden.current_membership_id()
      and a.client_id = is_assigned_trainer_of.member_id
  )
$$;
comment on function app_hidden.is_assigned_trainer_of(uuid) is
  'True when the caller is an assigned trainer of the member (a membership id) in the current gym. SECURITY DEFINER (system): policy helper, reads trainer_assignments whatever the caller may see.';
grant execute on function app_hidden.is_assigned_trainer_of(uuid) to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
alter function app_hidden.is_assigned_trainer_of(uuid) owner to ":ROLE_SYSTEM";

-- IC012 a membership has the wrong role for this column (e.g. a class coach who is not a coach)
