-- The current state of the Ironclad schema, generated from the catalog of a freshly migrated
-- database by `npm run db:dump` (src/db/schema-dump.ts). Do not edit: change the migrations
-- and run `npm run db:dump`; test/generated-docs.test.ts fails while this file is stale.
-- Role names are the migrations' placeholders. Every object is owned by ":DATABASE_OWNER"
-- unless an `owner to` line follows it. Per-table access pages: docs/access/README.md.

-- Default privileges (apply to objects the role creates later)
alter default privileges for role ":DATABASE_OWNER" revoke execute on functions from public;
alter default privileges for role ":ROLE_SHARED" revoke execute on functions from public;

--------------------------------------------------------------------------------
-- schema app_hidden
--------------------------------------------------------------------------------
create schema app_hidden;
grant usage on schema app_hidden to ":DATABASE_AUTHENTICATOR", ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant usage, create on schema app_hidden to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_hidden.current_app_role()
 RETURNS text
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select coalesce(nullif(current_setting('jwt.claims.role', true), ''), 'anonymous') $function$;
comment on function app_hidden.current_app_role() is 'The JWT role claim (member, personal_trainer, coach, gym_admin, platform_owner, anonymous). Policies say TO <role> instead; this is for functions.';
grant execute on function app_hidden.current_app_role() to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.current_membership_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select m.id from app_public.memberships m
  where m.tenant_id = app_hidden.current_tenant_id()
    and m.user_id = app_hidden.current_user_id()
$function$;
alter function app_hidden.current_membership_id() owner to ":ROLE_SYSTEM";
comment on function app_hidden.current_membership_id() is 'The caller''s membership in the current gym (NULL for anonymous and the platform owner). SECURITY DEFINER (system) so policies can use it without a subquery.';
grant execute on function app_hidden.current_membership_id() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.current_session_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select nullif(current_setting('jwt.claims.session_id', true), '')::uuid $function$;
grant execute on function app_hidden.current_session_id() to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.current_tenant_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select nullif(current_setting('jwt.claims.tenant_id', true), '')::uuid $function$;
comment on function app_hidden.current_tenant_id() is 'The gym (tenant) of the current request, from the verified token; NULL for anonymous and the platform owner.';
grant execute on function app_hidden.current_tenant_id() to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.current_user_id()
 RETURNS uuid
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$ select nullif(current_setting('jwt.claims.user_id', true), '')::uuid $function$;
comment on function app_hidden.current_user_id() is 'The user of the current request. The API checks the session is live before every request (see app_hidden.session_is_valid).';
grant execute on function app_hidden.current_user_id() to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.is_assigned_trainer_of(member_id uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select exists (
    select 1 from app_public.trainer_assignments a
    where a.tenant_id = app_hidden.current_tenant_id()
      and a.trainer_id = app_hidden.current_membership_id()
      and a.client_id = is_assigned_trainer_of.member_id
  )
$function$;
alter function app_hidden.is_assigned_trainer_of(member_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_hidden.is_assigned_trainer_of(member_id uuid) is 'True when the caller is an assigned trainer of the member (a membership id) in the current gym. SECURITY DEFINER (system): policy helper, reads trainer_assignments whatever the caller may see.';
grant execute on function app_hidden.is_assigned_trainer_of(member_id uuid) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

CREATE OR REPLACE FUNCTION app_hidden.membership_role(tenant_id uuid, membership_id uuid)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select m.role from app_public.memberships m
  where m.tenant_id = membership_role.tenant_id and m.id = membership_role.membership_id
    and (m.tenant_id = app_hidden.current_tenant_id() or app_hidden.current_app_role() = 'platform_owner')
$function$;
alter function app_hidden.membership_role(tenant_id uuid, membership_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_hidden.membership_role(tenant_id uuid, membership_id uuid) is 'Role of a membership in the caller''s gym (NULL otherwise). SECURITY DEFINER (system) so validation triggers work whatever the caller may read.';
grant execute on function app_hidden.membership_role(tenant_id uuid, membership_id uuid) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.plan_bucket(role text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select case when role = 'member' then 'members' when role is null then null else 'staff' end $function$;
grant execute on function app_hidden.plan_bucket(role text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_name text, variables jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if not exists (
    select 1 from app_private.sessions s
    join app_private.platform_owners p on p.user_id = s.user_id
    where s.id = record_platform_request.session_id and s.user_id = record_platform_request.user_id
      and s.revoked_at is null
  ) then
    raise exception 'Not a platform-owner session' using errcode = 'IC002';
  end if;
  insert into app_private.platform_audit_log (user_id, session_id, operation_name, variables)
    values (record_platform_request.user_id, record_platform_request.session_id,
            left(record_platform_request.operation_name, 200),
            app_private.redact_secrets(coalesce(record_platform_request.variables, '{}'::jsonb)));
end;
$function$;
alter function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_name text, variables jsonb) owner to ":ROLE_SYSTEM";
comment on function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_name text, variables jsonb) is 'Audit one platform-owner request. SECURITY DEFINER (system): the API login may append to the audit log through this only, for a live platform-owner session.';
grant execute on function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_name text, variables jsonb) to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, role text)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select exists (
    select 1
    from app_private.sessions s
    join app_public.users u on u.id = s.user_id
    where s.id = session_is_valid.sid
      and s.user_id = session_is_valid.user_id
      and s.revoked_at is null
      and not u.is_disabled
      and case
            when session_is_valid.role = 'platform_owner' then
              session_is_valid.tenant_id is null
              and exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
            else exists (
              select 1 from app_public.memberships m
              where m.tenant_id = session_is_valid.tenant_id
                and m.user_id = u.id and m.role = session_is_valid.role)
          end
  )
$function$;
alter function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, role text) owner to ":ROLE_SYSTEM";
comment on function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, role text) is 'True while the session is live, the user enabled and the claimed membership (or platform ownership) still held. SECURITY DEFINER (system): the authenticator itself can read nothing.';
grant execute on function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, role text) to ":DATABASE_AUTHENTICATOR";

--------------------------------------------------------------------------------
-- schema app_private
--------------------------------------------------------------------------------
create schema app_private;
grant usage, create on schema app_private to ":ROLE_SYSTEM";

-- table app_private.platform_audit_log
create table app_private.platform_audit_log (
  id bigint generated always as identity not null,
  occurred_at timestamp with time zone not null default now(),
  user_id uuid not null,
  session_id uuid,
  operation_name text,
  variables jsonb not null default '{}'::jsonb
);
comment on table app_private.platform_audit_log is 'Append-only record of every platform-owner API request. Variables have keys matching /pass|secret|token/i redacted.';
alter table app_private.platform_audit_log add constraint platform_audit_log_pkey PRIMARY KEY (id);
alter table app_private.platform_audit_log add constraint platform_audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id);
CREATE INDEX platform_audit_log_occurred_at_idx ON app_private.platform_audit_log USING btree (occurred_at);
CREATE INDEX platform_audit_log_user_id_idx ON app_private.platform_audit_log USING btree (user_id);
alter table app_private.platform_audit_log enable row level security;
alter table app_private.platform_audit_log force row level security;
create policy platform_audit_log_system_insert on app_private.platform_audit_log as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy platform_audit_log_system_select on app_private.platform_audit_log as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
grant select on app_private.platform_audit_log to ":ROLE_SYSTEM";
grant insert (user_id, session_id, operation_name, variables) on app_private.platform_audit_log to ":ROLE_SYSTEM";
CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON app_private.platform_audit_log FOR EACH ROW EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();
CREATE TRIGGER _101_append_only_truncate BEFORE TRUNCATE ON app_private.platform_audit_log FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();

-- sequence app_private.platform_audit_log_id_seq
create sequence app_private.platform_audit_log_id_seq;

-- table app_private.platform_owners
create table app_private.platform_owners (
  user_id uuid not null,
  created_at timestamp with time zone not null default now()
);
alter table app_private.platform_owners add constraint platform_owners_pkey PRIMARY KEY (user_id);
alter table app_private.platform_owners add constraint platform_owners_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;
alter table app_private.platform_owners enable row level security;
alter table app_private.platform_owners force row level security;
create policy platform_owners_system on app_private.platform_owners as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert on app_private.platform_owners to ":ROLE_SYSTEM";

-- table app_private.sessions
create table app_private.sessions (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  created_at timestamp with time zone not null default now(),
  revoked_at timestamp with time zone
);
alter table app_private.sessions add constraint sessions_pkey PRIMARY KEY (id);
alter table app_private.sessions add constraint sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;
CREATE INDEX sessions_user_id_idx ON app_private.sessions USING btree (user_id);
alter table app_private.sessions enable row level security;
alter table app_private.sessions force row level security;
create policy sessions_system on app_private.sessions as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, delete on app_private.sessions to ":ROLE_SYSTEM";
grant update (revoked_at) on app_private.sessions to ":ROLE_SYSTEM";

-- table app_private.user_secrets
create table app_private.user_secrets (
  user_id uuid not null,
  password_hash text not null
);
alter table app_private.user_secrets add constraint user_secrets_pkey PRIMARY KEY (user_id);
alter table app_private.user_secrets add constraint user_secrets_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;
alter table app_private.user_secrets enable row level security;
alter table app_private.user_secrets force row level security;
create policy user_secrets_system on app_private.user_secrets as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, update on app_private.user_secrets to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.create_platform_owner(email text, display_name text, password text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_id uuid := app_private.find_or_create_user(email, display_name, password);
begin
  insert into app_private.platform_owners (user_id) values (v_id) on conflict do nothing;
  return v_id;
end;
$function$;
alter function app_private.create_platform_owner(email text, display_name text, password text) owner to ":ROLE_SYSTEM";
comment on function app_private.create_platform_owner(email text, display_name text, password text) is 'Make (or promote) a platform owner. SECURITY DEFINER (system); executable only by the database owner.';
grant execute on function app_private.create_platform_owner(email text, display_name text, password text) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.find_or_create_user(email text, display_name text, password text)
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_id uuid;
begin
  select u.id into v_id from app_public.users u where u.email = find_or_create_user.email::citext;
  if v_id is null then
    insert into app_public.users (email, display_name)
      values (find_or_create_user.email, find_or_create_user.display_name)
      returning id into v_id;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_id, case when password is null then '!' else crypt(password, gen_salt('bf', 8)) end);
  end if;
  return v_id;
end;
$function$;
alter function app_private.find_or_create_user(email text, display_name text, password text) owner to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.prune_sessions()
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with gone as (
    delete from app_private.sessions
    where coalesce(revoked_at, created_at + interval '30 days') < now() - interval '7 days'
    returning 1
  )
  select count(*)::integer from gone
$function$;
alter function app_private.prune_sessions() owner to ":ROLE_SYSTEM";
comment on function app_private.prune_sessions() is 'Delete long-dead sessions. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on sessions.';
grant execute on function app_private.prune_sessions() to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.redact_secrets(v jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog'
AS $function$
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
$function$;
comment on function app_private.redact_secrets(v jsonb) is 'Variables with every value under a key matching /pass|secret|token/i replaced by "[REDACTED]".';
grant execute on function app_private.redact_secrets(v jsonb) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.tg__enqueue_leaderboard_refresh()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform graphile_worker.add_job(
    'refresh_leaderboards',
    job_key := 'refresh_leaderboards',
    run_at := pg_catalog.now() + interval '1 second',
    job_key_mode := 'preserve_run_at'
  );
  return null;
end;
$function$;
comment on function app_private.tg__enqueue_leaderboard_refresh() is 'Trigger: enqueue one (debounced) refresh_leaderboards job. SECURITY DEFINER (database owner, which owns graphile_worker): visitors may not add jobs themselves.';

CREATE OR REPLACE FUNCTION app_private.tg__tenant_id_immutable()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if new.tenant_id is distinct from old.tenant_id then
    raise exception 'tenant_id cannot be changed' using errcode = 'IC001',
      hint = 'A row belongs to the gym that created it; create a new row in the other gym instead.';
  end if;
  return new;
end;
$function$;
comment on function app_private.tg__tenant_id_immutable() is 'Trigger: rejects any UPDATE that changes tenant_id (error IC001).';

CREATE OR REPLACE FUNCTION app_private.tg__touch_updated_at()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$ begin new.updated_at := now(); return new; end; $function$;
comment on function app_private.tg__touch_updated_at() is 'Trigger: sets updated_at on every update.';

CREATE OR REPLACE FUNCTION app_private.tg_bookings__member_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if app_hidden.membership_role(new.tenant_id, new.member_id) is distinct from 'member' then
    raise exception 'Only members book classes' using errcode = 'IC012';
  end if;
  return null;
end;
$function$;
comment on function app_private.tg_bookings__member_only() is 'Trigger: only memberships with role member hold bookings (IC012).';

CREATE OR REPLACE FUNCTION app_private.tg_bookings__seat()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
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
$function$;
alter function app_private.tg_bookings__seat() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_bookings__seat() is 'Trigger: takes (or gives back) a seat in the class, refusing when it is full (IC011). SECURITY DEFINER (system): members may not write class rows.';

CREATE OR REPLACE FUNCTION app_private.tg_class_sessions__check_coach()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if coalesce(app_hidden.membership_role(new.tenant_id, new.coach_id), '') not in ('coach', 'gym_admin') then
    raise exception 'A class is run by a coach (or the gym admin)' using errcode = 'IC012';
  end if;
  return null;
end;
$function$;
comment on function app_private.tg_class_sessions__check_coach() is 'Trigger: a class''s coach holds the coach or gym_admin role (IC012).';

CREATE OR REPLACE FUNCTION app_private.tg_gyms__plan_fits()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
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
$function$;
comment on function app_private.tg_gyms__plan_fits() is 'Trigger: refuses moving a gym to a plan its current members or staff exceed (IC010).';

CREATE OR REPLACE FUNCTION app_private.tg_memberships__create_profile()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  insert into app_public.profiles (tenant_id, membership_id) values (new.tenant_id, new.id);
  return null;
end;
$function$;
alter function app_private.tg_memberships__create_profile() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_memberships__create_profile() is 'Trigger: every new membership gets its (empty) profile. SECURITY DEFINER (system): no visitor role may insert profiles.';

CREATE OR REPLACE FUNCTION app_private.tg_memberships__plan_limits()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
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
$function$;
alter function app_private.tg_memberships__plan_limits() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_memberships__plan_limits() is 'Trigger: keeps gyms.member_count/staff_count and refuses a membership beyond the gym''s plan (IC010). SECURITY DEFINER (system): the caller (add_gym_user, a gym admin changing a role or removing someone) may not write the gym row''s counters.';

CREATE OR REPLACE FUNCTION app_private.tg_network_preferences__touch()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  new.updated_at := now();
  if new.membership_id is distinct from old.membership_id then
    raise exception 'A preference belongs to one membership' using errcode = 'IC002';
  end if;
  return new;
end;
$function$;

CREATE OR REPLACE FUNCTION app_private.tg_platform_audit_log__append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  raise exception 'The platform audit log is append-only' using errcode = 'IC030';
end;
$function$;
comment on function app_private.tg_platform_audit_log__append_only() is 'Trigger: refuses UPDATE, DELETE and TRUNCATE on the audit log (IC030).';

CREATE OR REPLACE FUNCTION app_private.tg_trainer_assignments__check_roles()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if app_hidden.membership_role(new.tenant_id, new.trainer_id) is distinct from 'personal_trainer' then
    raise exception 'The trainer must be a personal trainer of this gym' using errcode = 'IC012';
  end if;
  if app_hidden.membership_role(new.tenant_id, new.client_id) is distinct from 'member' then
    raise exception 'The client must be a member of this gym' using errcode = 'IC012';
  end if;
  return null;
end;
$function$;
comment on function app_private.tg_trainer_assignments__check_roles() is 'Trigger: the trainer is a personal_trainer and the client a member (IC012).';

CREATE OR REPLACE FUNCTION app_private.token_expiry()
 RETURNS bigint
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$ select extract(epoch from now() + interval '12 hours')::bigint $function$;
grant execute on function app_private.token_expiry() to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- schema app_public
--------------------------------------------------------------------------------
create schema app_public;
grant usage on schema app_public to ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant usage, create on schema app_public to ":ROLE_SYSTEM";

create type app_public.jwt_token as (
  role text,
  tenant_id uuid,
  sub uuid,
  sid uuid,
  exp bigint
);

create type app_public.leaderboard_entry as (
  rank integer,
  membership_id uuid,
  display_name text,
  score numeric,
  is_rx boolean,
  performed_on date
);
comment on type app_public.leaderboard_entry is 'One line of a workout''s leaderboard.';

create type app_public.platform_audit_entry as (
  id bigint,
  occurred_at timestamp with time zone,
  user_id uuid,
  operation_name text,
  variables jsonb
);
comment on type app_public.platform_audit_entry is 'One audited platform-owner request.';

-- table app_public.benchmarks
create table app_public.benchmarks (
  id uuid not null default gen_random_uuid(),
  slug citext not null,
  name text not null,
  description text not null default ''::text,
  score_type text not null,
  lower_is_better boolean generated always as ((score_type = 'time'::text)) stored not null,
  archived_at timestamp with time zone
);
comment on table app_public.benchmarks is '@global The benchmark catalog is platform-wide reference data (no gym''s data): every gym links its workouts to the same Fran.
A named benchmark workout ranked across the network.';
comment on column app_public.benchmarks.score_type is 'How a result is scored, as workouts.scoring_type: time (seconds, lower is better), reps, rounds_reps (rounds + reps/100) or load (kg); higher is better except for time.';
alter table app_public.benchmarks add constraint benchmarks_pkey PRIMARY KEY (id);
alter table app_public.benchmarks add constraint benchmarks_id_score_type_key UNIQUE (id, score_type);
alter table app_public.benchmarks add constraint benchmarks_slug_key UNIQUE (slug);
alter table app_public.benchmarks add constraint benchmarks_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)));
alter table app_public.benchmarks add constraint benchmarks_score_type_check CHECK ((score_type = ANY (ARRAY['time'::text, 'reps'::text, 'rounds_reps'::text, 'load'::text])));
alter table app_public.benchmarks add constraint benchmarks_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::citext));
alter table app_public.benchmarks enable row level security;
alter table app_public.benchmarks force row level security;
create policy benchmarks_platform on app_public.benchmarks as permissive for all
  to ":ROLE_PLATFORM_OWNER"
  using (true)
  with check (true);
create policy benchmarks_select on app_public.benchmarks as permissive for select
  to ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((archived_at IS NULL));
grant select on app_public.benchmarks to ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (slug, name, description, score_type) on app_public.benchmarks to ":ROLE_PLATFORM_OWNER";
grant update (name, description, archived_at) on app_public.benchmarks to ":ROLE_PLATFORM_OWNER";

-- table app_public.bookings
create table app_public.bookings (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  class_session_id uuid not null,
  member_id uuid not null default app_hidden.current_membership_id(),
  checked_in_at timestamp with time zone,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.bookings is 'A seat in a class, held by a member of the gym.';
comment on column app_public.bookings.checked_in_at is 'Set by the coach when the member shows up.';
alter table app_public.bookings add constraint bookings_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.bookings add constraint bookings_tenant_id_class_session_id_member_id_key UNIQUE (tenant_id, class_session_id, member_id);
alter table app_public.bookings add constraint bookings_tenant_id_class_session_id_fkey FOREIGN KEY (tenant_id, class_session_id) REFERENCES app_public.class_sessions(tenant_id, id) ON DELETE CASCADE;
alter table app_public.bookings add constraint bookings_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.bookings add constraint bookings_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX bookings_tenant_id_member_id_idx ON app_public.bookings USING btree (tenant_id, member_id);
alter table app_public.bookings enable row level security;
alter table app_public.bookings force row level security;
create policy bookings_delete_own on app_public.bookings as permissive for delete
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy bookings_delete_staff on app_public.bookings as permissive for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy bookings_insert_own on app_public.bookings as permissive for insert
  to ":ROLE_MEMBER"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy bookings_insert_staff on app_public.bookings as permissive for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy bookings_select_own on app_public.bookings as permissive for select
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy bookings_select_platform on app_public.bookings as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy bookings_select_staff on app_public.bookings as permissive for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy bookings_select_trainer on app_public.bookings as permissive for select
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)));
create policy bookings_tenant on app_public.bookings as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy bookings_update_staff on app_public.bookings as permissive for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.bookings to ":ROLE_PERSONAL_TRAINER", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.bookings to ":ROLE_MEMBER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, class_session_id, member_id) on app_public.bookings to ":ROLE_MEMBER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (checked_in_at) on app_public.bookings to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.bookings FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _150_member_only AFTER INSERT ON app_public.bookings FOR EACH ROW EXECUTE FUNCTION app_private.tg_bookings__member_only();
CREATE TRIGGER _200_seat AFTER INSERT OR DELETE ON app_public.bookings FOR EACH ROW EXECUTE FUNCTION app_private.tg_bookings__seat();

-- table app_public.class_sessions
create table app_public.class_sessions (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  title text not null,
  starts_at timestamp with time zone not null,
  duration interval not null default '01:00:00'::interval,
  coach_id uuid,
  workout_id uuid,
  capacity integer not null,
  booked_count integer not null default 0,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.class_sessions is 'A scheduled class: when, who coaches it, which workout, and how many seats.';
comment on column app_public.class_sessions.booked_count is 'Seats taken (kept by the bookings triggers; the capacity check makes overbooking impossible).';
alter table app_public.class_sessions add constraint class_sessions_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.class_sessions add constraint class_sessions_capacity_check CHECK (((capacity >= 1) AND (capacity <= 500)));
alter table app_public.class_sessions add constraint class_sessions_duration_check CHECK (((duration > '00:00:00'::interval) AND (duration <= '12:00:00'::interval)));
alter table app_public.class_sessions add constraint class_sessions_not_overbooked CHECK (((booked_count >= 0) AND (booked_count <= capacity)));
alter table app_public.class_sessions add constraint class_sessions_title_check CHECK (((length(title) >= 1) AND (length(title) <= 200)));
alter table app_public.class_sessions add constraint class_sessions_tenant_id_coach_id_fkey FOREIGN KEY (tenant_id, coach_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE SET NULL (coach_id);
alter table app_public.class_sessions add constraint class_sessions_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.class_sessions add constraint class_sessions_tenant_id_workout_id_fkey FOREIGN KEY (tenant_id, workout_id) REFERENCES app_public.workouts(tenant_id, id) ON DELETE SET NULL (workout_id);
CREATE INDEX class_sessions_tenant_id_coach_id_idx ON app_public.class_sessions USING btree (tenant_id, coach_id);
CREATE INDEX class_sessions_tenant_id_starts_at_idx ON app_public.class_sessions USING btree (tenant_id, starts_at);
CREATE INDEX class_sessions_tenant_id_workout_id_idx ON app_public.class_sessions USING btree (tenant_id, workout_id);
alter table app_public.class_sessions enable row level security;
alter table app_public.class_sessions force row level security;
create policy class_sessions_delete_staff on app_public.class_sessions as permissive for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy class_sessions_insert_staff on app_public.class_sessions as permissive for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy class_sessions_select on app_public.class_sessions as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy class_sessions_select_platform on app_public.class_sessions as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy class_sessions_select_system on app_public.class_sessions as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy class_sessions_tenant on app_public.class_sessions as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy class_sessions_update_staff on app_public.class_sessions as permissive for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy class_sessions_update_system on app_public.class_sessions as permissive for update
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select on app_public.class_sessions to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, title, starts_at, duration, coach_id, workout_id, capacity) on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (booked_count) on app_public.class_sessions to ":ROLE_SYSTEM";
grant update (title, starts_at, duration, coach_id, workout_id, capacity) on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.class_sessions FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_check_coach AFTER INSERT OR UPDATE OF coach_id ON app_public.class_sessions FOR EACH ROW WHEN ((new.coach_id IS NOT NULL)) EXECUTE FUNCTION app_private.tg_class_sessions__check_coach();

-- table app_public.comments
create table app_public.comments (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  post_id uuid not null,
  author_id uuid not null default app_hidden.current_membership_id(),
  body text not null,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now()
);
comment on table app_public.comments is 'A comment on a feed post.';
alter table app_public.comments add constraint comments_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.comments add constraint comments_body_check CHECK (((length(body) >= 1) AND (length(body) <= 2000)));
alter table app_public.comments add constraint comments_tenant_id_author_id_fkey FOREIGN KEY (tenant_id, author_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.comments add constraint comments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.comments add constraint comments_tenant_id_post_id_fkey FOREIGN KEY (tenant_id, post_id) REFERENCES app_public.posts(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX comments_tenant_id_author_id_idx ON app_public.comments USING btree (tenant_id, author_id);
CREATE INDEX comments_tenant_id_post_id_idx ON app_public.comments USING btree (tenant_id, post_id, created_at);
alter table app_public.comments enable row level security;
alter table app_public.comments force row level security;
create policy comments_delete_admin on app_public.comments as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy comments_delete_own on app_public.comments as permissive for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
create policy comments_insert_own on app_public.comments as permissive for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
create policy comments_select on app_public.comments as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy comments_select_platform on app_public.comments as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy comments_tenant on app_public.comments as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy comments_update_own on app_public.comments as permissive for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
grant select on app_public.comments to ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.comments to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, post_id, author_id, body) on app_public.comments to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (body) on app_public.comments to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.comments FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch_updated_at BEFORE UPDATE ON app_public.comments FOR EACH ROW EXECUTE FUNCTION app_private.tg__touch_updated_at();

-- table app_public.gyms
create table app_public.gyms (
  id uuid not null default gen_random_uuid(),
  name text not null,
  slug citext not null,
  plan text not null default 'free'::text,
  created_at timestamp with time zone not null default now(),
  member_count integer not null default 0,
  staff_count integer not null default 0,
  network_opt_in boolean not null default false,
  city text,
  description text
);
comment on table app_public.gyms is '@tenantRoot
A gym (affiliate): the tenant. Everything below the platform owner belongs to exactly one gym.';
comment on column app_public.gyms.member_count is 'Memberships with role member (kept by a trigger; what the plan limit counts).';
comment on column app_public.gyms.staff_count is 'Staff memberships: personal trainers, coaches and gym admins (kept by a trigger).';
comment on column app_public.gyms.network_opt_in is 'The gym appears in the network: the public directory and cross-gym leaderboards. Off by default; turning it off hides the gym from the network at once.';
comment on column app_public.gyms.city is 'City shown on the gym''s directory card (if it is in the network).';
comment on column app_public.gyms.description is 'Short description shown on the gym''s directory card (if it is in the network).';
alter table app_public.gyms add constraint gyms_pkey PRIMARY KEY (id);
alter table app_public.gyms add constraint gyms_slug_key UNIQUE (slug);
alter table app_public.gyms add constraint gyms_city_check CHECK (((length(city) >= 1) AND (length(city) <= 100)));
alter table app_public.gyms add constraint gyms_description_check CHECK (((length(description) >= 1) AND (length(description) <= 1000)));
alter table app_public.gyms add constraint gyms_member_count_check CHECK ((member_count >= 0));
alter table app_public.gyms add constraint gyms_name_check CHECK (((length(name) >= 1) AND (length(name) <= 200)));
alter table app_public.gyms add constraint gyms_slug_check CHECK ((slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'::citext));
alter table app_public.gyms add constraint gyms_staff_count_check CHECK ((staff_count >= 0));
alter table app_public.gyms add constraint gyms_plan_fkey FOREIGN KEY (plan) REFERENCES app_public.plans(id);
CREATE INDEX gyms_plan_idx ON app_public.gyms USING btree (plan);
alter table app_public.gyms enable row level security;
alter table app_public.gyms force row level security;
create policy gyms_insert_system on app_public.gyms as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy gyms_select_own on app_public.gyms as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((id = app_hidden.current_tenant_id()));
create policy gyms_select_platform on app_public.gyms as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy gyms_select_shared on app_public.gyms as permissive for select
  to ":ROLE_SHARED"
  using (network_opt_in);
create policy gyms_select_system on app_public.gyms as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy gyms_update_own on app_public.gyms as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((id = app_hidden.current_tenant_id()))
  with check ((id = app_hidden.current_tenant_id()));
create policy gyms_update_platform on app_public.gyms as permissive for update
  to ":ROLE_PLATFORM_OWNER"
  using (true)
  with check (true);
create policy gyms_update_system on app_public.gyms as permissive for update
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select on app_public.gyms to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select (id, name, network_opt_in, city, description) on app_public.gyms to ":ROLE_SHARED";
grant insert (id, name, slug, plan) on app_public.gyms to ":ROLE_SYSTEM";
grant update (member_count, staff_count) on app_public.gyms to ":ROLE_SYSTEM";
grant update (name, network_opt_in, city, description) on app_public.gyms to ":ROLE_GYM_ADMIN";
grant update (name, plan, network_opt_in, city, description) on app_public.gyms to ":ROLE_PLATFORM_OWNER";
CREATE TRIGGER _200_plan_fits BEFORE UPDATE OF plan ON app_public.gyms FOR EACH ROW EXECUTE FUNCTION app_private.tg_gyms__plan_fits();
CREATE TRIGGER _900_enqueue_leaderboard_refresh AFTER UPDATE OF network_opt_in, name ON app_public.gyms FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__enqueue_leaderboard_refresh();

-- table app_public.membership_plans
create table app_public.membership_plans (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  name text not null,
  price_cents integer not null,
  currency text not null default 'EUR'::text,
  billing_period text not null default 'month'::text,
  is_active boolean not null default true,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.membership_plans is 'What the gym sells: a membership plan with its price. Everyone in the gym sees the price list; the gym admin manages it.';
alter table app_public.membership_plans add constraint membership_plans_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.membership_plans add constraint membership_plans_billing_period_check CHECK ((billing_period = ANY (ARRAY['week'::text, 'month'::text, 'year'::text, 'once'::text])));
alter table app_public.membership_plans add constraint membership_plans_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text));
alter table app_public.membership_plans add constraint membership_plans_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)));
alter table app_public.membership_plans add constraint membership_plans_price_cents_check CHECK ((price_cents >= 0));
alter table app_public.membership_plans add constraint membership_plans_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE UNIQUE INDEX membership_plans_tenant_id_name_key ON app_public.membership_plans USING btree (tenant_id, lower(name));
alter table app_public.membership_plans enable row level security;
alter table app_public.membership_plans force row level security;
create policy membership_plans_delete_admin on app_public.membership_plans as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy membership_plans_insert_admin on app_public.membership_plans as permissive for insert
  to ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy membership_plans_select on app_public.membership_plans as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy membership_plans_select_platform on app_public.membership_plans as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy membership_plans_tenant on app_public.membership_plans as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy membership_plans_update_admin on app_public.membership_plans as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.membership_plans to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.membership_plans to ":ROLE_GYM_ADMIN";
grant insert (tenant_id, name, price_cents, currency, billing_period, is_active) on app_public.membership_plans to ":ROLE_GYM_ADMIN";
grant update (name, price_cents, currency, billing_period, is_active) on app_public.membership_plans to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.membership_plans FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.memberships
create table app_public.memberships (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  role text not null,
  created_at timestamp with time zone not null default clock_timestamp()
);
comment on table app_public.memberships is 'Who belongs to a gym, and with which role.';
alter table app_public.memberships add constraint memberships_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.memberships add constraint memberships_tenant_id_user_id_key UNIQUE (tenant_id, user_id);
alter table app_public.memberships add constraint memberships_role_check CHECK ((role = ANY (ARRAY['member'::text, 'personal_trainer'::text, 'coach'::text, 'gym_admin'::text])));
alter table app_public.memberships add constraint memberships_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.memberships add constraint memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;
CREATE INDEX memberships_user_id_idx ON app_public.memberships USING btree (user_id);
alter table app_public.memberships enable row level security;
alter table app_public.memberships force row level security;
create policy memberships_delete_admin on app_public.memberships as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy memberships_delete_platform on app_public.memberships as permissive for delete
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy memberships_insert_system on app_public.memberships as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy memberships_select on app_public.memberships as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy memberships_select_platform on app_public.memberships as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy memberships_select_shared on app_public.memberships as permissive for select
  to ":ROLE_SHARED"
  using (app_shared.gym_in_network(tenant_id));
create policy memberships_select_system on app_public.memberships as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy memberships_tenant on app_public.memberships as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy memberships_update_admin on app_public.memberships as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.memberships to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH";
grant select, delete on app_public.memberships to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select (tenant_id, id) on app_public.memberships to ":ROLE_SHARED";
grant insert (tenant_id, user_id, role) on app_public.memberships to ":ROLE_SYSTEM";
grant update (role) on app_public.memberships to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_plan_limits AFTER INSERT OR DELETE OR UPDATE OF role ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__plan_limits();
CREATE TRIGGER _300_create_profile AFTER INSERT ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__create_profile();

-- table app_public.messages
create table app_public.messages (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  sender_id uuid not null default app_hidden.current_membership_id(),
  recipient_id uuid not null,
  body text not null,
  read_at timestamp with time zone,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.messages is 'A private message between two people in the same gym. Only the sender and the recipient can ever read it.';
alter table app_public.messages add constraint messages_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.messages add constraint messages_body_check CHECK (((length(body) >= 1) AND (length(body) <= 5000)));
alter table app_public.messages add constraint messages_check CHECK ((sender_id <> recipient_id));
alter table app_public.messages add constraint messages_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.messages add constraint messages_tenant_id_recipient_id_fkey FOREIGN KEY (tenant_id, recipient_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.messages add constraint messages_tenant_id_sender_id_fkey FOREIGN KEY (tenant_id, sender_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX messages_tenant_id_recipient_id_idx ON app_public.messages USING btree (tenant_id, recipient_id, created_at);
CREATE INDEX messages_tenant_id_sender_id_idx ON app_public.messages USING btree (tenant_id, sender_id, created_at);
alter table app_public.messages enable row level security;
alter table app_public.messages force row level security;
create policy messages_insert_sender on app_public.messages as permissive for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (sender_id = app_hidden.current_membership_id())));
create policy messages_select_recipient on app_public.messages as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (recipient_id = app_hidden.current_membership_id())));
create policy messages_select_sender on app_public.messages as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (sender_id = app_hidden.current_membership_id())));
create policy messages_tenant on app_public.messages as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy messages_update_recipient on app_public.messages as permissive for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (recipient_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (recipient_id = app_hidden.current_membership_id())));
grant select on app_public.messages to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, sender_id, recipient_id, body) on app_public.messages to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (read_at) on app_public.messages to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.messages FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.network_preferences
create table app_public.network_preferences (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  membership_id uuid not null default app_hidden.current_membership_id(),
  show_on_leaderboards boolean not null default true,
  display_name text not null,
  updated_at timestamp with time zone not null default now()
);
comment on table app_public.network_preferences is 'Your choice to appear on network (cross-gym) leaderboards, and the name shown there. Only yours is visible to you. Without a row you do not appear.';
comment on column app_public.network_preferences.display_name is 'The name other gyms see next to your scores (not your login name).';
alter table app_public.network_preferences add constraint network_preferences_pkey PRIMARY KEY (tenant_id, membership_id);
alter table app_public.network_preferences add constraint network_preferences_display_name_check CHECK (((length(btrim(display_name)) >= 1) AND (length(btrim(display_name)) <= 50)));
alter table app_public.network_preferences add constraint network_preferences_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.network_preferences add constraint network_preferences_tenant_id_membership_id_fkey FOREIGN KEY (tenant_id, membership_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.network_preferences enable row level security;
alter table app_public.network_preferences force row level security;
create policy network_preferences_own on app_public.network_preferences as permissive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (membership_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (membership_id = app_hidden.current_membership_id())));
create policy network_preferences_select_platform on app_public.network_preferences as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy network_preferences_select_shared on app_public.network_preferences as permissive for select
  to ":ROLE_SHARED"
  using ((show_on_leaderboards AND app_shared.gym_in_network(tenant_id)));
create policy network_preferences_system on app_public.network_preferences as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
create policy network_preferences_tenant on app_public.network_preferences as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.network_preferences to ":ROLE_SYSTEM", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.network_preferences to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant select (tenant_id, membership_id, show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SHARED";
grant insert (tenant_id, membership_id, show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SYSTEM";
grant update (show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.network_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch BEFORE UPDATE ON app_public.network_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg_network_preferences__touch();
CREATE TRIGGER _900_enqueue_leaderboard_refresh AFTER INSERT OR DELETE OR UPDATE ON app_public.network_preferences FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__enqueue_leaderboard_refresh();

-- table app_public.payments
create table app_public.payments (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null,
  membership_plan_id uuid,
  amount_cents integer not null,
  currency text not null default 'EUR'::text,
  period_start date not null,
  period_end date not null,
  status text not null default 'paid'::text,
  paid_at timestamp with time zone,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.payments is 'A member''s payment for a period of a membership plan. Private to the member and the gym admin.';
alter table app_public.payments add constraint payments_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.payments add constraint payments_amount_cents_check CHECK ((amount_cents >= 0));
alter table app_public.payments add constraint payments_check CHECK ((period_end >= period_start));
alter table app_public.payments add constraint payments_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text));
alter table app_public.payments add constraint payments_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'paid'::text, 'refunded'::text, 'failed'::text])));
alter table app_public.payments add constraint payments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.payments add constraint payments_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.payments add constraint payments_tenant_id_membership_plan_id_fkey FOREIGN KEY (tenant_id, membership_plan_id) REFERENCES app_public.membership_plans(tenant_id, id) ON DELETE SET NULL (membership_plan_id);
CREATE INDEX payments_tenant_id_member_id_idx ON app_public.payments USING btree (tenant_id, member_id, period_start);
CREATE INDEX payments_tenant_id_membership_plan_id_idx ON app_public.payments USING btree (tenant_id, membership_plan_id);
alter table app_public.payments enable row level security;
alter table app_public.payments force row level security;
create policy payments_delete_admin on app_public.payments as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy payments_insert_admin on app_public.payments as permissive for insert
  to ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy payments_select_admin on app_public.payments as permissive for select
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy payments_select_own on app_public.payments as permissive for select
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy payments_select_platform on app_public.payments as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy payments_tenant on app_public.payments as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy payments_update_admin on app_public.payments as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.payments to ":ROLE_MEMBER", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.payments to ":ROLE_GYM_ADMIN";
grant insert (tenant_id, member_id, membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at) on app_public.payments to ":ROLE_GYM_ADMIN";
grant update (membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at) on app_public.payments to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.payments FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.plans
create table app_public.plans (
  id text not null,
  name text not null,
  max_members integer,
  max_staff integer,
  sort_order integer not null default 0
);
comment on table app_public.plans is '@global Plan limits are the same for every gym; reference data, readable by anyone.
An Ironclad subscription plan and its limits.';
comment on column app_public.plans.max_members is 'Most memberships with role member a gym on this plan may hold; NULL means unlimited.';
comment on column app_public.plans.max_staff is 'Most staff memberships (personal_trainer, coach, gym_admin) a gym on this plan may hold; NULL means unlimited.';
alter table app_public.plans add constraint plans_pkey PRIMARY KEY (id);
alter table app_public.plans add constraint plans_id_check CHECK ((id ~ '^[a-z][a-z0-9_]{0,30}$'::text));
alter table app_public.plans add constraint plans_max_members_check CHECK ((max_members >= 0));
alter table app_public.plans add constraint plans_max_staff_check CHECK ((max_staff >= 0));
CREATE INDEX plans_sort_order_idx ON app_public.plans USING btree (sort_order);
alter table app_public.plans enable row level security;
alter table app_public.plans force row level security;
create policy plans_select on app_public.plans as permissive for select
  to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER"
  using (true);
grant select on app_public.plans to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

-- view app_public.platform_class_facts
create view app_public.platform_class_facts with (security_invoker=true) as
 SELECT c.tenant_id,
    c.id AS class_session_id,
    g.name AS gym_name,
    g.plan AS gym_plan,
    date_trunc('month'::text, c.starts_at)::date AS month,
    c.capacity,
    c.booked_count
   FROM app_public.class_sessions c
     JOIN app_public.gyms g ON g.id = c.tenant_id;
comment on view app_public.platform_class_facts is 'Platform owner only: one row per scheduled class (gym, plan, month, capacity, seats booked).';
grant select on app_public.platform_class_facts to ":ROLE_PLATFORM_OWNER";

-- view app_public.platform_membership_facts
create view app_public.platform_membership_facts with (security_invoker=true) as
 SELECT m.tenant_id,
    m.id AS membership_id,
    g.name AS gym_name,
    g.plan AS gym_plan,
    m.role,
    date_trunc('month'::text, m.created_at)::date AS joined_month,
    ((EXISTS ( SELECT 1
           FROM app_public.workout_results r
          WHERE r.tenant_id = m.tenant_id AND r.member_id = m.id AND r.performed_on >= (CURRENT_DATE - 30))) OR (EXISTS ( SELECT 1
           FROM app_public.bookings b
          WHERE b.tenant_id = m.tenant_id AND b.member_id = m.id AND b.created_at >= (now() - '30 days'::interval))))::integer AS active
   FROM app_public.memberships m
     JOIN app_public.gyms g ON g.id = m.tenant_id;
comment on view app_public.platform_membership_facts is 'Platform owner only: one row per membership (gym, plan, role, month joined, active (1) in the last 30 days or not (0)). Aggregate with groupedAggregates.';
grant select on app_public.platform_membership_facts to ":ROLE_PLATFORM_OWNER";

-- view app_public.platform_result_facts
create view app_public.platform_result_facts with (security_invoker=true) as
 SELECT r.tenant_id,
    r.id AS result_id,
    g.name AS gym_name,
    g.plan AS gym_plan,
    date_trunc('month'::text, r.performed_on::timestamp with time zone)::date AS month,
    r.is_rx
   FROM app_public.workout_results r
     JOIN app_public.gyms g ON g.id = r.tenant_id;
comment on view app_public.platform_result_facts is 'Platform owner only: one row per logged workout result (gym, plan, month, Rx). No scores, no notes.';
grant select on app_public.platform_result_facts to ":ROLE_PLATFORM_OWNER";

-- view app_public.platform_revenue_facts
create view app_public.platform_revenue_facts with (security_invoker=true) as
 SELECT p.tenant_id,
    p.id AS payment_id,
    g.name AS gym_name,
    g.plan AS gym_plan,
    date_trunc('month'::text, COALESCE(p.paid_at, p.created_at))::date AS month,
    p.currency,
    p.amount_cents
   FROM app_public.payments p
     JOIN app_public.gyms g ON g.id = p.tenant_id
  WHERE p.status = 'paid'::text;
comment on view app_public.platform_revenue_facts is 'Platform owner only: one row per paid payment (gym, plan, month, currency, amount). No member.';
grant select on app_public.platform_revenue_facts to ":ROLE_PLATFORM_OWNER";

-- table app_public.posts
create table app_public.posts (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  author_id uuid not null default app_hidden.current_membership_id(),
  body text not null,
  created_at timestamp with time zone not null default now(),
  updated_at timestamp with time zone not null default now()
);
comment on table app_public.posts is 'A post on the gym''s community feed.';
alter table app_public.posts add constraint posts_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.posts add constraint posts_body_check CHECK (((length(body) >= 1) AND (length(body) <= 5000)));
alter table app_public.posts add constraint posts_tenant_id_author_id_fkey FOREIGN KEY (tenant_id, author_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.posts add constraint posts_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE INDEX posts_tenant_id_author_id_idx ON app_public.posts USING btree (tenant_id, author_id);
CREATE INDEX posts_tenant_id_created_at_idx ON app_public.posts USING btree (tenant_id, created_at);
alter table app_public.posts enable row level security;
alter table app_public.posts force row level security;
create policy posts_delete_admin on app_public.posts as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy posts_delete_own on app_public.posts as permissive for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
create policy posts_insert_own on app_public.posts as permissive for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
create policy posts_select on app_public.posts as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy posts_select_platform on app_public.posts as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy posts_tenant on app_public.posts as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy posts_update_own on app_public.posts as permissive for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (author_id = app_hidden.current_membership_id())));
grant select on app_public.posts to ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.posts to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, author_id, body) on app_public.posts to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (body) on app_public.posts to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.posts FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch_updated_at BEFORE UPDATE ON app_public.posts FOR EACH ROW EXECUTE FUNCTION app_private.tg__touch_updated_at();

-- table app_public.profiles
create table app_public.profiles (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  membership_id uuid not null,
  headline text,
  bio text,
  specialties text[] not null default '{}'::text[],
  goals text,
  updated_at timestamp with time zone not null default now()
);
comment on table app_public.profiles is 'A person''s profile inside one gym: coaches and trainers list specialties, members their goals. Everyone in the gym can read it; only its owner (or the gym admin) edits it.';
alter table app_public.profiles add constraint profiles_pkey PRIMARY KEY (tenant_id, membership_id);
alter table app_public.profiles add constraint profiles_bio_check CHECK ((length(bio) <= 4000));
alter table app_public.profiles add constraint profiles_goals_check CHECK ((length(goals) <= 2000));
alter table app_public.profiles add constraint profiles_headline_check CHECK ((length(headline) <= 200));
alter table app_public.profiles add constraint profiles_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.profiles add constraint profiles_tenant_id_membership_id_fkey FOREIGN KEY (tenant_id, membership_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.profiles enable row level security;
alter table app_public.profiles force row level security;
create policy profiles_insert_system on app_public.profiles as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy profiles_select on app_public.profiles as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy profiles_select_platform on app_public.profiles as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy profiles_tenant on app_public.profiles as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy profiles_update_admin on app_public.profiles as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy profiles_update_own on app_public.profiles as permissive for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (membership_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (membership_id = app_hidden.current_membership_id())));
grant select on app_public.profiles to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, membership_id) on app_public.profiles to ":ROLE_SYSTEM";
grant update (headline, bio, specialties, goals) on app_public.profiles to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.profiles FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch_updated_at BEFORE UPDATE ON app_public.profiles FOR EACH ROW EXECUTE FUNCTION app_private.tg__touch_updated_at();

-- table app_public.progress_metrics
create table app_public.progress_metrics (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  member_id uuid not null default app_hidden.current_membership_id(),
  kind text not null,
  label text,
  value numeric(10,2) not null,
  unit text not null,
  measured_on date not null default CURRENT_DATE,
  recorded_by uuid default app_hidden.current_membership_id(),
  created_at timestamp with time zone not null default now()
);
comment on table app_public.progress_metrics is 'A member''s progress measurement: body weight, body fat or a personal record (label says which lift/benchmark). Private to the member, their assigned trainers and the gym admin.';
alter table app_public.progress_metrics add constraint progress_metrics_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.progress_metrics add constraint progress_metrics_check CHECK (((kind <> 'personal_record'::text) OR (label IS NOT NULL)));
alter table app_public.progress_metrics add constraint progress_metrics_check1 CHECK (((kind <> 'body_fat'::text) OR ((unit = 'percent'::text) AND (value <= (100)::numeric))));
alter table app_public.progress_metrics add constraint progress_metrics_kind_check CHECK ((kind = ANY (ARRAY['body_weight'::text, 'body_fat'::text, 'personal_record'::text])));
alter table app_public.progress_metrics add constraint progress_metrics_label_check CHECK ((length(label) <= 200));
alter table app_public.progress_metrics add constraint progress_metrics_unit_check CHECK ((unit = ANY (ARRAY['kg'::text, 'lb'::text, 'percent'::text, 'reps'::text, 'seconds'::text, 'm'::text])));
alter table app_public.progress_metrics add constraint progress_metrics_value_check CHECK ((value >= (0)::numeric));
alter table app_public.progress_metrics add constraint progress_metrics_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.progress_metrics add constraint progress_metrics_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.progress_metrics add constraint progress_metrics_tenant_id_recorded_by_fkey FOREIGN KEY (tenant_id, recorded_by) REFERENCES app_public.memberships(tenant_id, id) ON DELETE SET NULL (recorded_by);
CREATE INDEX progress_metrics_tenant_id_member_id_idx ON app_public.progress_metrics USING btree (tenant_id, member_id, kind, measured_on);
CREATE INDEX progress_metrics_tenant_id_recorded_by_idx ON app_public.progress_metrics USING btree (tenant_id, recorded_by);
alter table app_public.progress_metrics enable row level security;
alter table app_public.progress_metrics force row level security;
create policy progress_metrics_all_own on app_public.progress_metrics as permissive for all
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy progress_metrics_all_trainer on app_public.progress_metrics as permissive for all
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)));
create policy progress_metrics_select_admin on app_public.progress_metrics as permissive for select
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy progress_metrics_select_platform on app_public.progress_metrics as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy progress_metrics_tenant on app_public.progress_metrics as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.progress_metrics to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant insert (tenant_id, member_id, kind, label, value, unit, measured_on, recorded_by) on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant update (kind, label, value, unit, measured_on) on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.progress_metrics FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.trainer_assignments
create table app_public.trainer_assignments (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  trainer_id uuid not null,
  client_id uuid not null,
  started_on date not null default CURRENT_DATE,
  notes text,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.trainer_assignments is 'A personal trainer manages a member (client): the trainer may then read and write that client''s progress.';
alter table app_public.trainer_assignments add constraint trainer_assignments_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.trainer_assignments add constraint trainer_assignments_tenant_id_trainer_id_client_id_key UNIQUE (tenant_id, trainer_id, client_id);
alter table app_public.trainer_assignments add constraint trainer_assignments_check CHECK ((trainer_id <> client_id));
alter table app_public.trainer_assignments add constraint trainer_assignments_notes_check CHECK ((length(notes) <= 2000));
alter table app_public.trainer_assignments add constraint trainer_assignments_tenant_id_client_id_fkey FOREIGN KEY (tenant_id, client_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.trainer_assignments add constraint trainer_assignments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.trainer_assignments add constraint trainer_assignments_tenant_id_trainer_id_fkey FOREIGN KEY (tenant_id, trainer_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX trainer_assignments_tenant_id_client_id_idx ON app_public.trainer_assignments USING btree (tenant_id, client_id);
alter table app_public.trainer_assignments enable row level security;
alter table app_public.trainer_assignments force row level security;
create policy trainer_assignments_delete_admin on app_public.trainer_assignments as permissive for delete
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy trainer_assignments_insert_admin on app_public.trainer_assignments as permissive for insert
  to ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy trainer_assignments_select_client on app_public.trainer_assignments as permissive for select
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (client_id = app_hidden.current_membership_id())));
create policy trainer_assignments_select_platform on app_public.trainer_assignments as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy trainer_assignments_select_staff on app_public.trainer_assignments as permissive for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy trainer_assignments_select_system on app_public.trainer_assignments as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy trainer_assignments_select_trainer on app_public.trainer_assignments as permissive for select
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (trainer_id = app_hidden.current_membership_id())));
create policy trainer_assignments_tenant on app_public.trainer_assignments as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy trainer_assignments_update_admin on app_public.trainer_assignments as permissive for update
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.trainer_assignments to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.trainer_assignments to ":ROLE_GYM_ADMIN";
grant insert (tenant_id, trainer_id, client_id, started_on, notes) on app_public.trainer_assignments to ":ROLE_GYM_ADMIN";
grant update (trainer_id, client_id, started_on, notes) on app_public.trainer_assignments to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.trainer_assignments FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_check_roles AFTER INSERT OR UPDATE OF trainer_id, client_id ON app_public.trainer_assignments FOR EACH ROW EXECUTE FUNCTION app_private.tg_trainer_assignments__check_roles();

-- table app_public.users
create table app_public.users (
  id uuid not null default gen_random_uuid(),
  email citext not null,
  display_name text not null,
  is_disabled boolean not null default false,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.users is '@global A login identity spans gyms; visibility is limited to yourself (and the platform owner).
A person who can log in.';
comment on column app_public.users.is_disabled is 'A disabled user''s tokens stop working at once and they cannot log in.';
alter table app_public.users add constraint users_pkey PRIMARY KEY (id);
alter table app_public.users add constraint users_email_key UNIQUE (email);
alter table app_public.users add constraint users_display_name_check CHECK (((length(display_name) >= 1) AND (length(display_name) <= 100)));
alter table app_public.users add constraint users_email_check CHECK ((email ~ '^[^@\s]+@[^@\s]+$'::citext));
alter table app_public.users enable row level security;
alter table app_public.users force row level security;
create policy users_insert_system on app_public.users as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy users_select_platform on app_public.users as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy users_select_self on app_public.users as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((id = app_hidden.current_user_id()));
create policy users_select_system on app_public.users as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy users_update_platform on app_public.users as permissive for update
  to ":ROLE_PLATFORM_OWNER"
  using (true)
  with check (true);
create policy users_update_self on app_public.users as permissive for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((id = app_hidden.current_user_id()))
  with check ((id = app_hidden.current_user_id()));
grant select on app_public.users to ":ROLE_SYSTEM";
grant select (id, email, display_name, is_disabled, created_at) on app_public.users to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (id, email, display_name) on app_public.users to ":ROLE_SYSTEM";
grant update (display_name) on app_public.users to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (display_name, is_disabled) on app_public.users to ":ROLE_PLATFORM_OWNER";

-- table app_public.workout_results
create table app_public.workout_results (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  workout_id uuid not null,
  member_id uuid not null default app_hidden.current_membership_id(),
  score numeric(10,2) not null,
  is_rx boolean not null default true,
  notes text not null default ''::text,
  performed_on date not null default CURRENT_DATE,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.workout_results is 'A member''s logged score for a workout.';
comment on column app_public.workout_results.score is 'In the workout''s unit: seconds (time), reps, kg (load), or rounds + reps/100 (rounds_reps).';
comment on column app_public.workout_results.is_rx is 'True when done as prescribed (Rx), false when scaled.';
alter table app_public.workout_results add constraint workout_results_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.workout_results add constraint workout_results_notes_check CHECK ((length(notes) <= 2000));
alter table app_public.workout_results add constraint workout_results_score_check CHECK ((score >= (0)::numeric));
alter table app_public.workout_results add constraint workout_results_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.workout_results add constraint workout_results_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.workout_results add constraint workout_results_tenant_id_workout_id_fkey FOREIGN KEY (tenant_id, workout_id) REFERENCES app_public.workouts(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX workout_results_tenant_id_member_id_idx ON app_public.workout_results USING btree (tenant_id, member_id);
CREATE INDEX workout_results_tenant_id_workout_id_idx ON app_public.workout_results USING btree (tenant_id, workout_id);
alter table app_public.workout_results enable row level security;
alter table app_public.workout_results force row level security;
create policy workout_results_all_own on app_public.workout_results as permissive for all
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy workout_results_insert_trainer on app_public.workout_results as permissive for insert
  to ":ROLE_PERSONAL_TRAINER"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)));
create policy workout_results_select_platform on app_public.workout_results as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy workout_results_select_shared on app_public.workout_results as permissive for select
  to ":ROLE_SHARED"
  using (app_shared.member_in_network(tenant_id, member_id));
create policy workout_results_select_staff on app_public.workout_results as permissive for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy workout_results_select_system on app_public.workout_results as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy workout_results_select_trainer on app_public.workout_results as permissive for select
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)));
create policy workout_results_tenant on app_public.workout_results as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy workout_results_update_trainer on app_public.workout_results as permissive for update
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND app_hidden.is_assigned_trainer_of(member_id)));
grant select on app_public.workout_results to ":ROLE_SYSTEM", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.workout_results to ":ROLE_MEMBER";
grant select (tenant_id, id, workout_id, member_id, score, is_rx, performed_on) on app_public.workout_results to ":ROLE_SHARED";
grant insert (tenant_id, workout_id, member_id, score, is_rx, notes, performed_on) on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant update (score, is_rx, notes, performed_on) on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _900_enqueue_leaderboard_refresh AFTER INSERT OR DELETE OR UPDATE ON app_public.workout_results FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__enqueue_leaderboard_refresh();

-- table app_public.workouts
create table app_public.workouts (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  author_id uuid default app_hidden.current_membership_id(),
  title text not null,
  description text not null default ''::text,
  scoring_type text not null,
  is_published boolean not null default false,
  created_at timestamp with time zone not null default now(),
  benchmark_id uuid
);
comment on table app_public.workouts is 'A workout (programming) written by a coach: title, description, how it is scored, and whether members can see it yet.';
comment on column app_public.workouts.scoring_type is 'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100, e.g. 5 rounds + 12 reps = 5.12).';
comment on column app_public.workouts.is_published is 'Drafts are visible only to coaches and the gym admin.';
comment on column app_public.workouts.benchmark_id is 'The network benchmark this workout is (e.g. Fran), if any: its results can rank on network leaderboards. The workout must score like the benchmark.';
alter table app_public.workouts add constraint workouts_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.workouts add constraint workouts_description_check CHECK ((length(description) <= 10000));
alter table app_public.workouts add constraint workouts_scoring_type_check CHECK ((scoring_type = ANY (ARRAY['time'::text, 'reps'::text, 'load'::text, 'rounds_reps'::text])));
alter table app_public.workouts add constraint workouts_title_check CHECK (((length(title) >= 1) AND (length(title) <= 200)));
alter table app_public.workouts add constraint workouts_benchmark_fkey FOREIGN KEY (benchmark_id, scoring_type) REFERENCES app_public.benchmarks(id, score_type) ON DELETE SET NULL (benchmark_id);
comment on constraint workouts_benchmark_fkey on app_public.workouts is '@fieldName benchmark
@foreignFieldName workouts
@behavior -manyRelation:resource:list -manyRelation:resource:connection';
alter table app_public.workouts add constraint workouts_tenant_id_author_id_fkey FOREIGN KEY (tenant_id, author_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE SET NULL (author_id);
alter table app_public.workouts add constraint workouts_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE INDEX workouts_benchmark_id_idx ON app_public.workouts USING btree (benchmark_id, scoring_type) WHERE (benchmark_id IS NOT NULL);
CREATE INDEX workouts_tenant_id_author_id_idx ON app_public.workouts USING btree (tenant_id, author_id);
CREATE INDEX workouts_tenant_id_published_idx ON app_public.workouts USING btree (tenant_id, is_published);
alter table app_public.workouts enable row level security;
alter table app_public.workouts force row level security;
create policy workouts_delete_staff on app_public.workouts as permissive for delete
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy workouts_insert_staff on app_public.workouts as permissive for insert
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy workouts_select_platform on app_public.workouts as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy workouts_select_published on app_public.workouts as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND is_published));
create policy workouts_select_shared on app_public.workouts as permissive for select
  to ":ROLE_SHARED"
  using (((benchmark_id IS NOT NULL) AND is_published AND app_shared.gym_in_network(tenant_id)));
create policy workouts_select_staff on app_public.workouts as permissive for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy workouts_select_system on app_public.workouts as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
create policy workouts_tenant on app_public.workouts as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy workouts_update_staff on app_public.workouts as permissive for update
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.workouts to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant select (tenant_id, id, is_published, benchmark_id) on app_public.workouts to ":ROLE_SHARED";
grant insert (tenant_id, author_id, title, description, scoring_type, is_published, benchmark_id) on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (author_id, title, description, scoring_type, is_published, benchmark_id) on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.workouts FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _900_enqueue_leaderboard_refresh AFTER DELETE OR UPDATE OF benchmark_id, is_published, scoring_type ON app_public.workouts FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg__enqueue_leaderboard_refresh();

CREATE OR REPLACE FUNCTION app_public.add_gym_user(email text, display_name text, role text, password text DEFAULT NULL::text, tenant_id uuid DEFAULT NULL::uuid)
 RETURNS app_public.memberships
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_tenant uuid;
  v_membership app_public.memberships;
begin
  if app_hidden.current_app_role() = 'platform_owner' then
    v_tenant := add_gym_user.tenant_id;
  elsif app_hidden.current_app_role() = 'gym_admin'
        and (add_gym_user.tenant_id is null or add_gym_user.tenant_id = app_hidden.current_tenant_id()) then
    v_tenant := app_hidden.current_tenant_id();
  end if;
  if v_tenant is null then
    raise exception 'Only a gym admin (for their own gym) or the platform owner may add people'
      using errcode = 'IC002';
  end if;

  insert into app_public.memberships (tenant_id, user_id, role)
    values (v_tenant,
            app_private.find_or_create_user(add_gym_user.email, add_gym_user.display_name, add_gym_user.password),
            add_gym_user.role)
    returning * into v_membership;
  return v_membership;
end;
$function$;
alter function app_public.add_gym_user(email text, display_name text, role text, password text, tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.add_gym_user(email text, display_name text, role text, password text, tenant_id uuid) is 'Gym admin (own gym) or platform owner (any gym): add a person with a role, creating their login if the email is new. SECURITY DEFINER (system): creates users, which no visitor may insert.';
grant execute on function app_public.add_gym_user(email text, display_name text, role text, password text, tenant_id uuid) to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.authenticate(email text, password text, tenant_id uuid DEFAULT NULL::uuid)
 RETURNS app_public.jwt_token
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_user app_public.users;
  v_hash text;
  v_role text;
  v_tenant uuid;
  v_sid uuid;
begin
  select u.* into v_user from app_public.users u where u.email = authenticate.email::citext;
  select s.password_hash into v_hash from app_private.user_secrets s where s.user_id = v_user.id;
  -- A person added without a password has the unusable hash '!': treat it like no hash at all
  -- (crypt() would raise "invalid salt", 22023, and tell the caller the account exists).
  if v_hash not like '$2_$%' then
    v_hash := null;
  end if;
  if v_user.id is null or v_hash is null or v_user.is_disabled
     or crypt(password, v_hash) is distinct from v_hash then
    if v_hash is null then
      -- Spend the same bcrypt time for an unknown email, so timing does not tell.
      perform crypt(coalesce(password, ''), gen_salt('bf', 8));
    end if;
    raise exception 'Invalid email or password' using errcode = 'IC003';
  end if;

  if authenticate.tenant_id is null
     and exists (select 1 from app_private.platform_owners p where p.user_id = v_user.id) then
    v_role := 'platform_owner';
  else
    select m.tenant_id, m.role into v_tenant, v_role
    from app_public.memberships m
    where m.user_id = v_user.id
      and (authenticate.tenant_id is null or m.tenant_id = authenticate.tenant_id)
    order by m.created_at, m.tenant_id
    limit 1;
    if v_role is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
  end if;

  insert into app_private.sessions (user_id) values (v_user.id) returning id into v_sid;
  return row(v_role, v_tenant, v_user.id, v_sid, app_private.token_expiry())::app_public.jwt_token;
end;
$function$;
alter function app_public.authenticate(email text, password text, tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.authenticate(email text, password text, tenant_id uuid) is '@resultFieldName jwtToken
@anonymousOk logging in is how an anonymous visitor gets a token
Log in. Returns a signed JWT for your first gym (or the gym given by tenantId); platform owners get a platform-wide token. SECURITY DEFINER (system): reads password hashes and memberships no visitor may read.';
grant execute on function app_public.authenticate(email text, password text, tenant_id uuid) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.current_gym()
 RETURNS app_public.gyms
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  if app_hidden.current_tenant_id() is null then
    return null;
  end if;
  return (select g from app_public.gyms g where g.id = app_hidden.current_tenant_id());
end;
$function$;
comment on function app_public.current_gym() is 'The gym the current token is for, or null.';
grant execute on function app_public.current_gym() to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.current_network_preferences()
 RETURNS app_public.network_preferences
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select p.* from app_public.network_preferences p
  where p.tenant_id = app_hidden.current_tenant_id() and p.membership_id = app_hidden.current_membership_id()
$function$;
comment on function app_public.current_network_preferences() is 'Your network leaderboard preference in the current gym, or null (not shown).';
grant execute on function app_public.current_network_preferences() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

CREATE OR REPLACE FUNCTION app_public.logout()
 RETURNS boolean
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  update app_private.sessions set revoked_at = now()
  where id = app_hidden.current_session_id() and user_id = app_hidden.current_user_id()
    and revoked_at is null
  returning true
$function$;
alter function app_public.logout() owner to ":ROLE_SYSTEM";
comment on function app_public.logout() is 'Revokes the current session. SECURITY DEFINER (system): sessions are private.';
grant execute on function app_public.logout() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.me()
 RETURNS app_public.users
 LANGUAGE plpgsql
 STABLE
AS $function$
begin
  if app_hidden.current_user_id() is null then
    return null;
  end if;
  return (select u from app_public.users u where u.id = app_hidden.current_user_id());
end;
$function$;
comment on function app_public.me() is 'The logged-in user, or null.';
grant execute on function app_public.me() to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.memberships_display_name(m app_public.memberships)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select u.display_name
  from app_public.memberships mm
  join app_public.users u on u.id = mm.user_id
  where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
    and (mm.tenant_id = app_hidden.current_tenant_id()
         or app_hidden.current_app_role() = 'platform_owner')
$function$;
alter function app_public.memberships_display_name(m app_public.memberships) owner to ":ROLE_SYSTEM";
comment on function app_public.memberships_display_name(m app_public.memberships) is 'The member''s display name. SECURITY DEFINER (system) because users rows are private to their owner; answers only for a membership in the caller''s gym.';
grant execute on function app_public.memberships_display_name(m app_public.memberships) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.memberships_email(m app_public.memberships)
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select u.email::text
  from app_public.memberships mm
  join app_public.users u on u.id = mm.user_id
  where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
    and ((mm.tenant_id = app_hidden.current_tenant_id()
          and (app_hidden.current_app_role() = 'gym_admin' or mm.user_id = app_hidden.current_user_id()))
         or app_hidden.current_app_role() = 'platform_owner')
$function$;
alter function app_public.memberships_email(m app_public.memberships) owner to ":ROLE_SYSTEM";
comment on function app_public.memberships_email(m app_public.memberships) is 'Contact email: visible to the gym admin, the person themself and the platform owner; NULL to everyone else. SECURITY DEFINER (system) for the same reason as memberships_display_name.';
grant execute on function app_public.memberships_email(m app_public.memberships) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.my_role()
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$ select app_hidden.current_app_role() $function$;
comment on function app_public.my_role() is 'Your role in the current gym: member, personal_trainer, coach, gym_admin, platform_owner or anonymous.';
grant execute on function app_public.my_role() to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.platform_audit_entries()
 RETURNS SETOF app_public.platform_audit_entry
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select a.id, a.occurred_at, a.user_id, a.operation_name, a.variables
  from app_private.platform_audit_log a
  where app_hidden.current_app_role() = 'platform_owner'
  order by a.id desc
$function$;
alter function app_public.platform_audit_entries() owner to ":ROLE_SYSTEM";
comment on function app_public.platform_audit_entries() is 'Platform owner only: the audit log of platform-owner requests, newest first. SECURITY DEFINER (system): the log is private.';
grant execute on function app_public.platform_audit_entries() to ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.profiles_display_name(p app_public.profiles)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    select app_public.memberships_display_name(m) from app_public.memberships m
    where m.tenant_id = p.tenant_id and m.id = p.membership_id
  $function$;
comment on function app_public.profiles_display_name(p app_public.profiles) is 'Display name of the person.';
grant execute on function app_public.profiles_display_name(p app_public.profiles) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.provision_gym(name text, slug text, plan text DEFAULT 'free'::text)
 RETURNS app_public.gyms
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
  insert into app_public.gyms (name, slug, plan)
    values (provision_gym.name, provision_gym.slug::citext, coalesce(provision_gym.plan, 'free'))
  returning *
$function$;
alter function app_public.provision_gym(name text, slug text, plan text) owner to ":ROLE_SYSTEM";
comment on function app_public.provision_gym(name text, slug text, plan text) is 'Platform owner: create a gym (tenant). SECURITY DEFINER (system) because no visitor role may insert gyms directly.';
grant execute on function app_public.provision_gym(name text, slug text, plan text) to ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.set_network_preferences(show_on_leaderboards boolean, display_name text)
 RETURNS app_public.network_preferences
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
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
$function$;
alter function app_public.set_network_preferences(show_on_leaderboards boolean, display_name text) owner to ":ROLE_SYSTEM";
comment on function app_public.set_network_preferences(show_on_leaderboards boolean, display_name text) is 'Choose whether your scores appear on network leaderboards, and under which name. Takes effect on the live leaderboards at once. SECURITY DEFINER (system): creates only the caller''s own row (gym and membership from the token).';
grant execute on function app_public.set_network_preferences(show_on_leaderboards boolean, display_name text) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

CREATE OR REPLACE FUNCTION app_public.switch_gym(tenant_id uuid)
 RETURNS app_public.jwt_token
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_role text;
begin
  select m.role into v_role from app_public.memberships m
  where m.tenant_id = switch_gym.tenant_id and m.user_id = app_hidden.current_user_id();
  if v_role is null or app_hidden.current_session_id() is null then
    -- Same answer whether the gym exists or not: another gym's existence is not revealed.
    raise exception 'You are not a member of that gym' using errcode = 'IC004';
  end if;
  return row(v_role, switch_gym.tenant_id, app_hidden.current_user_id(),
             app_hidden.current_session_id(), app_private.token_expiry())::app_public.jwt_token;
end;
$function$;
alter function app_public.switch_gym(tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.switch_gym(tenant_id uuid) is '@resultFieldName jwtToken
Returns a token for another gym you belong to, with the role you hold there. SECURITY DEFINER (system): reads your memberships in other gyms, which RLS hides from the current gym''s context.';
grant execute on function app_public.switch_gym(tenant_id uuid) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.workouts_leaderboard(w app_public.workouts)
 RETURNS SETOF app_public.leaderboard_entry
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with wk as (
    -- Re-read the workout: a definer function must not trust the row it is handed.
    select x.tenant_id, x.id, x.scoring_type from app_public.workouts x
    where x.tenant_id = w.tenant_id and x.id = w.id
      and x.tenant_id = app_hidden.current_tenant_id()
      and (x.is_published or app_hidden.current_app_role() in ('coach', 'gym_admin'))
  ), best as (
    select distinct on (r.member_id) r.member_id, r.score, r.is_rx, r.performed_on, wk.scoring_type
    from wk join app_public.workout_results r on r.tenant_id = wk.tenant_id and r.workout_id = wk.id
    order by r.member_id, r.is_rx desc,
             case when wk.scoring_type = 'time' then r.score end asc,
             case when wk.scoring_type <> 'time' then r.score end desc,
             r.performed_on
  )
  select (rank() over (order by b.is_rx desc,
                               case when b.scoring_type = 'time' then b.score end asc,
                               case when b.scoring_type <> 'time' then b.score end desc))::integer,
         b.member_id,
         (select u.display_name from app_public.memberships m join app_public.users u on u.id = m.user_id
          where m.tenant_id = app_hidden.current_tenant_id() and m.id = b.member_id),
         b.score, b.is_rx, b.performed_on
  from best b
  order by 1, 3
$function$;
alter function app_public.workouts_leaderboard(w app_public.workouts) owner to ":ROLE_SYSTEM";
comment on function app_public.workouts_leaderboard(w app_public.workouts) is 'The gym''s leaderboard for this workout: best result per member, ranked (Rx first). SECURITY DEFINER (system): members see each other''s scores here but not each other''s results rows; answers only for a workout of the caller''s gym.';
grant execute on function app_public.workouts_leaderboard(w app_public.workouts) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- schema app_shared
--------------------------------------------------------------------------------
create schema app_shared;
grant usage on schema app_shared to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant usage, create on schema app_shared to ":ROLE_SHARED";

create type app_shared.gym_card as (
  name text,
  city text,
  description text,
  member_count_band text
);
alter type app_shared.gym_card owner to ":ROLE_SHARED";
comment on type app_shared.gym_card is '@name gym_card
A gym''s public directory card.';

create type app_shared.network_leaderboard_entry as (
  rank integer,
  display_name text,
  gym_name text,
  score numeric,
  performed_on date
);
alter type app_shared.network_leaderboard_entry owner to ":ROLE_SHARED";
comment on type app_shared.network_leaderboard_entry is '@name network_leaderboard_entry
One line of a network leaderboard: nothing but rank, the athlete''s chosen network name, their gym, score and date.';

-- table app_shared.leaderboard_refreshes
create table app_shared.leaderboard_refreshes (
  leaderboard text not null,
  refreshed_at timestamp with time zone not null,
  row_count integer not null
);
alter table app_shared.leaderboard_refreshes owner to ":ROLE_SHARED";
comment on table app_shared.leaderboard_refreshes is '@behavior -*
@global one row per leaderboard, no gym data
Last refresh of each network leaderboard. Internal; see app_shared.leaderboard_refreshed_at().';
alter table app_shared.leaderboard_refreshes add constraint leaderboard_refreshes_pkey PRIMARY KEY (leaderboard);
alter table app_shared.leaderboard_refreshes enable row level security;
alter table app_shared.leaderboard_refreshes force row level security;
create policy leaderboard_refreshes_shared on app_shared.leaderboard_refreshes as permissive for all
  to ":ROLE_SHARED"
  using (true)
  with check (true);

-- materialized view app_shared.network_best_all_time
create materialized view app_shared.network_best_all_time as
 SELECT DISTINCT ON (w.benchmark_id, r.is_rx, r.tenant_id, r.member_id) w.benchmark_id,
    r.is_rx,
    r.tenant_id,
    r.member_id AS membership_id,
    r.score,
    r.performed_on
   FROM app_public.workout_results r
     JOIN app_public.workouts w ON w.tenant_id = r.tenant_id AND w.id = r.workout_id
     JOIN app_public.benchmarks b ON b.id = w.benchmark_id
  ORDER BY w.benchmark_id, r.is_rx, r.tenant_id, r.member_id, (
        CASE
            WHEN b.lower_is_better THEN r.score
            ELSE - r.score
        END), r.performed_on;
alter table app_shared.network_best_all_time owner to ":ROLE_SHARED";
comment on materialized view app_shared.network_best_all_time is '@behavior -*
Best result per member, benchmark and Rx/scaled, all time. Internal: read only through app_shared.network_leaderboard.';
CREATE UNIQUE INDEX network_best_all_time_key ON app_shared.network_best_all_time USING btree (benchmark_id, is_rx, tenant_id, membership_id);

-- materialized view app_shared.network_best_this_month
create materialized view app_shared.network_best_this_month as
 SELECT DISTINCT ON (w.benchmark_id, r.is_rx, r.tenant_id, r.member_id) w.benchmark_id,
    r.is_rx,
    r.tenant_id,
    r.member_id AS membership_id,
    r.score,
    r.performed_on
   FROM app_public.workout_results r
     JOIN app_public.workouts w ON w.tenant_id = r.tenant_id AND w.id = r.workout_id
     JOIN app_public.benchmarks b ON b.id = w.benchmark_id
  WHERE r.performed_on >= date_trunc('month'::text, now())::date
  ORDER BY w.benchmark_id, r.is_rx, r.tenant_id, r.member_id, (
        CASE
            WHEN b.lower_is_better THEN r.score
            ELSE - r.score
        END), r.performed_on;
alter table app_shared.network_best_this_month owner to ":ROLE_SHARED";
comment on materialized view app_shared.network_best_this_month is '@behavior -*
Best result per member, benchmark and Rx/scaled, in the calendar month of the last refresh. Internal.';
CREATE UNIQUE INDEX network_best_this_month_key ON app_shared.network_best_this_month USING btree (benchmark_id, is_rx, tenant_id, membership_id);

CREATE OR REPLACE FUNCTION app_shared.gym_directory()
 RETURNS SETOF app_shared.gym_card
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select g.name, g.city, g.description,
         case when c.n <= 10 then '1–10' when c.n <= 50 then '11–50'
              when c.n <= 200 then '51–200' else '200+' end
  from app_public.gyms g
  cross join lateral (
    select count(*) as n from app_public.memberships m where m.tenant_id = g.id
  ) c
  where g.network_opt_in
  order by g.name
$function$;
alter function app_shared.gym_directory() owner to ":ROLE_SHARED";
comment on function app_shared.gym_directory() is '@name gym_directory
@anonymousOk the directory is the network''s public shop window
@sharedSafe only opted-in gyms, only name, city, description and a member count band
The network''s gym directory (gyms that chose to be listed). Open to everyone, logged in or not.';
grant execute on function app_shared.gym_directory() to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_shared.gym_in_network(tenant_id uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog'
AS $function$
  select coalesce((select g.network_opt_in from app_public.gyms g where g.id = gym_in_network.tenant_id), false)
$function$;
comment on function app_shared.gym_in_network(tenant_id uuid) is '@behavior -*
True while the gym is in the network. Policy helper for the shared role (invoker).';
grant execute on function app_shared.gym_in_network(tenant_id uuid) to ":ROLE_SHARED";

CREATE OR REPLACE FUNCTION app_shared.leaderboard_refreshed_at()
 RETURNS timestamp with time zone
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$ select min(r.refreshed_at) from app_shared.leaderboard_refreshes r $function$;
alter function app_shared.leaderboard_refreshed_at() owner to ":ROLE_SHARED";
comment on function app_shared.leaderboard_refreshed_at() is '@name leaderboard_refreshed_at
@sharedSafe a timestamp only
When the network leaderboards were last refreshed (null: not yet). SECURITY DEFINER (shared role): the refresh log is granted to nobody.';
grant execute on function app_shared.leaderboard_refreshed_at() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_shared.member_in_network(tenant_id uuid, membership_id uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog'
AS $function$
  select exists (
    select 1 from app_public.network_preferences p
    where p.tenant_id = member_in_network.tenant_id
      and p.membership_id = member_in_network.membership_id
      and p.show_on_leaderboards
  ) and app_shared.gym_in_network(member_in_network.tenant_id)
$function$;
comment on function app_shared.member_in_network(tenant_id uuid, membership_id uuid) is '@behavior -*
True while the member and their gym are in the network. Policy helper for the shared role (invoker).';
grant execute on function app_shared.member_in_network(tenant_id uuid, membership_id uuid) to ":ROLE_SHARED";

CREATE OR REPLACE FUNCTION app_shared.network_leaderboard(benchmark text, rx boolean DEFAULT true, this_month boolean DEFAULT false)
 RETURNS SETOF app_shared.network_leaderboard_entry
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with best as (
    select a.benchmark_id, a.is_rx, a.tenant_id, a.membership_id, a.score, a.performed_on
      from app_shared.network_best_all_time a where not coalesce(network_leaderboard.this_month, false)
    union all
    select m.benchmark_id, m.is_rx, m.tenant_id, m.membership_id, m.score, m.performed_on
      from app_shared.network_best_this_month m where coalesce(network_leaderboard.this_month, false)
  )
  select (rank() over (order by case when bm.lower_is_better then l.score else -l.score end))::integer,
         p.display_name, g.name, l.score, l.performed_on
  from best l
  join app_public.benchmarks bm on bm.id = l.benchmark_id
  join app_public.gyms g on g.id = l.tenant_id and g.network_opt_in
  join app_public.network_preferences p
    on p.tenant_id = l.tenant_id and p.membership_id = l.membership_id and p.show_on_leaderboards
  where bm.slug::text = lower(network_leaderboard.benchmark)
    and l.is_rx = coalesce(network_leaderboard.rx, true)
  order by 1, 2, 3
$function$;
alter function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) owner to ":ROLE_SHARED";
comment on function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) is '@name network_leaderboard
@sharedSafe returns only rank, chosen display name, gym name, score and date of opted-in members of opted-in gyms (current opt-ins re-checked on every call)
The network leaderboard of a benchmark (by slug, e.g. "fran"): Rx or scaled, all time or this month. Updated by a background refresh; see leaderboardRefreshedAt.';
grant execute on function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_shared.refresh_leaderboards()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_view text;
  v_rows integer;
  v_total integer := 0;
begin
  foreach v_view in array array['network_best_all_time', 'network_best_this_month'] loop
    if (select m.ispopulated from pg_catalog.pg_matviews m
        where m.schemaname = 'app_shared' and m.matviewname = v_view) then
      -- CONCURRENTLY: readers keep reading the old contents while the new ones are built.
      execute format('refresh materialized view concurrently app_shared.%I', v_view);
    else
      execute format('refresh materialized view app_shared.%I', v_view);
    end if;
    execute format('select count(*)::integer from app_shared.%I', v_view) into v_rows;
    insert into app_shared.leaderboard_refreshes (leaderboard, refreshed_at, row_count)
      values (v_view, pg_catalog.clock_timestamp(), v_rows)
      on conflict (leaderboard) do update
        set refreshed_at = excluded.refreshed_at, row_count = excluded.row_count;
    v_total := v_total + v_rows;
  end loop;
  return v_total;
end;
$function$;
alter function app_shared.refresh_leaderboards() owner to ":ROLE_SHARED";
comment on function app_shared.refresh_leaderboards() is '@behavior -*
Refresh every network leaderboard (concurrently once populated) and record when. SECURITY DEFINER (shared role): only the views'' owner may refresh them, and they must be built under its opt-in-limited policies. Executable by the database owner (graphile-worker) only.';
grant execute on function app_shared.refresh_leaderboards() to ":DATABASE_OWNER";
