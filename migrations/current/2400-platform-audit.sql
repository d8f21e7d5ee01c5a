--------------------------------------------------------------------------------
-- Platform audit log: every API request made with the platform-owner role (who, when,
-- operation, variables with secrets redacted). Append-only; no gym role can read it.
-- The API (as the authenticator) writes it through app_hidden.record_platform_request,
-- before the request runs; the platform owner reads it through platform_audit_entries().
--------------------------------------------------------------------------------
create table app_private.platform_audit_log (
  id             bigint generated always as identity primary key,
  occurred_at    timestamptz not null default now(),
  user_id        uuid not null references app_public.users (id),
  session_id     uuid,
  operation_name text,
  variables      jsonb not null default '{}'
);
comment on table app_private.platform_audit_log is
  'Append-only record of every platform-owner API request. Variables have keys matching /pass|secret|token/i redacted.';
create index platform_audit_log_occurred_at_idx on app_private.platform_audit_log (occurred_at);
create index platform_audit_log_user_id_idx on app_private.platform_audit_log (user_id);

alter table app_private.platform_audit_log enable row level security;
alter table app_private.platform_audit_log force row level security;
create policy platform_audit_log_system_insert on app_private.platform_audit_log for insert
  to ":ROLE_SYSTEM" with check (true);
create policy platform_audit_log_system_select on app_private.platform_audit_log for select
  to ":ROLE_SYSTEM" using (true);
grant select, insert (user_id, session_id, operation_name, variables)
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
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on the audit log (IC030).';
create trigger _100_append_only before update or delete on app_private.platform_audit_log
  for each row execute function app_private.tg_platform_audit_log__append_only();
create trigger _101_append_only_truncate before truncate on app_private.platform_audit_log
  for each statement execute function app_private.tg_platform_audit_log__append_only();

-- Replace the value of every key matching /pass|secret|token/i, at any depth.
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
-- used to write entries for anyone else, and redacts the variables itself too.
create function app_hidden.record_platform_request(
  session_id uuid, user_id uuid, operation_name text, variables jsonb
) returns void
  language plpgsql volatile security definer set search_path = pg_catalog
as $$
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
$$;
comment on function app_hidden.record_platform_request(uuid, uuid, text, jsonb) is
  'Audit one platform-owner request. SECURITY DEFINER (system): the API login may append to the audit log through this only, for a live platform-owner session.';
grant execute on function app_hidden.record_platform_request(uuid, uuid, text, jsonb) to ":DATABASE_AUTHENTICATOR";
alter function app_hidden.record_platform_request(uuid, uuid, text, jsonb) owner to ":ROLE_SYSTEM";

-- The platform owner reads the log. SECURITY DEFINER (system): app_private is closed to
-- visitors; re-checks the role, and only the platform owner may execute it.
create type app_public.platform_audit_entry as (
  id             bigint,
  occurred_at    timestamptz,
  user_id        uuid,
  operation_name text,
  variables      jsonb
);
comment on type app_public.platform_audit_entry is 'One audited platform-owner request.';

create function app_public.platform_audit_entries() returns setof app_public.platform_audit_entry
  language sql stable security definer set search_path = pg_catalog
as $$
  select a.id, a.occurred_at, a.user_id, a.operation_name, a.variables
  from app_private.platform_audit_log a
  where app_hidden.current_app_role() = 'platform_owner'
  order by a.id desc
$$;
comment on function app_public.platform_audit_entries() is
  'Platform owner only: the audit log of platform-owner requests, newest first. SECURITY DEFINER (system): the log is private.';
grant execute on function app_public.platform_audit_entries() to ":ROLE_PLATFORM_OWNER";
alter function app_public.platform_audit_entries() owner to ":ROLE_SYSTEM";
