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
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy class_sessions_select on app_public.class_sessions for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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

grant select on app_public.class_sessions to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_SYSTEM";
-- booked_count is not in these lists: only the triggers move it.
grant insert (tenant_id, title, starts_at, duration, coach_id, workout_id, capacity),
      update (title, starts_at, duration, coach_id, workout_id, capacity), delete
  on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (booked_count) on app_public.class_sessions to ":ROLE_SYSTEM";

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
alter function app_private.tg_bookings__seat() owner to ":ROLE_SYSTEM"; -- after CREATE TRIGGER (see 1000)

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
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
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
  using (tenant_id = app_hidden.current_tenant_id() and app_hidden.is_assigned_trainer_of(member_id));
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

grant select on app_public.bookings to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, class_session_id, member_id), delete on app_public.bookings to
  ":ROLE_MEMBER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (checked_in_at) on app_public.bookings to ":ROLE_COACH", ":ROLE_GYM_ADMIN";

-- IC011 class is full (constraint class_sessions_not_overbooked)
