-- The current state of the Ironclad schema, generated from the catalog of a freshly migrated
-- database by `npm run db:dump` (src/db/schema-dump.ts). Do not edit: change the migrations
-- and run `npm run db:dump`; test/generated-docs.test.ts fails while this file is stale.
-- Role names are the migrations' placeholders. Every object is owned by ":DATABASE_OWNER"
-- unless an `owner to` line follows it. Per-table access pages: docs/access/README.md.

-- Default privileges (apply to objects the role creates later)
alter default privileges for role ":DATABASE_OWNER" revoke execute on functions from public;
alter default privileges for role ":DATABASE_OWNER" in schema app_hidden grant select, usage on sequences to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_hidden grant select, insert, update, delete on tables to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_private grant select, usage on sequences to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_private grant select, insert, update, delete on tables to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_public grant select, usage on sequences to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_public grant select, insert, update, delete on tables to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_shared grant select, usage on sequences to ":ROLE_MAINTENANCE";
alter default privileges for role ":DATABASE_OWNER" in schema app_shared grant select, insert, update, delete on tables to ":ROLE_MAINTENANCE";
alter default privileges for role ":ROLE_SHARED" revoke execute on functions from public;

--------------------------------------------------------------------------------
-- schema app_hidden
--------------------------------------------------------------------------------
create schema app_hidden;
grant usage on schema app_hidden to ":DATABASE_AUTHENTICATOR", ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_MAINTENANCE";
grant usage, create on schema app_hidden to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_hidden.assigned_client_ids()
 RETURNS uuid[]
 LANGUAGE sql
 STABLE PARALLEL SAFE SECURITY DEFINER COST 1000
 SET search_path TO 'pg_catalog'
AS $function$
  select coalesce(array_agg(a.client_id), '{}')
  from app_public.trainer_assignments a
  where a.tenant_id = app_hidden.current_tenant_id()
    and a.trainer_id = app_hidden.current_membership_id()
$function$;
alter function app_hidden.assigned_client_ids() owner to ":ROLE_SYSTEM";
comment on function app_hidden.assigned_client_ids() is 'The members (membership ids) the caller is the assigned trainer of in the current gym; empty, never NULL. SECURITY DEFINER (system): policy helper, reads trainer_assignments whatever the caller may see.';
grant execute on function app_hidden.assigned_client_ids() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

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
 STABLE PARALLEL SAFE
AS $function$ select nullif(current_setting('jwt.claims.membership_id', true), '')::uuid $function$;
comment on function app_hidden.current_membership_id() is 'The membership the current token was issued for (NULL for anonymous and the platform owner). The API checks on every request that this membership still exists with the role and version the token names (app_hidden.session_is_valid), so policies may trust it without a lookup.';
grant execute on function app_hidden.current_membership_id() to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

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

CREATE OR REPLACE FUNCTION app_hidden.latest_migration_hash()
 RETURNS text
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$ select m.hash from graphile_migrate.migrations m order by m.filename desc limit 1 $function$;
alter function app_hidden.latest_migration_hash() owner to ":ROLE_SYSTEM";
comment on function app_hidden.latest_migration_hash() is 'The hash of the newest applied committed migration (for /readyz). SECURITY DEFINER (system): graphile_migrate is private.';
grant execute on function app_hidden.latest_migration_hash() to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.membership_role(tenant_id uuid, membership_id uuid)
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  return (select m.role::text from app_public.memberships m
          where m.tenant_id = membership_role.tenant_id and m.id = membership_role.membership_id
            and (m.tenant_id = app_hidden.current_tenant_id() or app_hidden.current_app_role() = 'platform_owner'));
end;
$function$;
alter function app_hidden.membership_role(tenant_id uuid, membership_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_hidden.membership_role(tenant_id uuid, membership_id uuid) is 'Role of a membership in the caller''s gym (NULL otherwise). SECURITY DEFINER (system) so validation triggers work whatever the caller may read.';
grant execute on function app_hidden.membership_role(tenant_id uuid, membership_id uuid) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_hidden.plan_bucket(role app_public.membership_role)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ select case when role = 'member' then 'members' when role is null then null else 'staff' end $function$;
grant execute on function app_hidden.plan_bucket(role app_public.membership_role) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_hidden.record_login_failure(login_key bytea)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_failures integer;
begin
  insert into app_private.login_throttle as t (login_key, failures, last_failure_at)
    values (record_login_failure.login_key, 1, now())
  on conflict on constraint login_throttle_pkey do update
    set failures = case when t.last_failure_at < now() - interval '1 hour'
                             and coalesce(t.locked_until, '-infinity') < now()
                        then 1 else t.failures + 1 end,
        last_failure_at = now()
  returning failures into v_failures;
  update app_private.login_throttle t
    set locked_until = greatest(coalesce(t.locked_until, now()), now() + app_private.login_backoff(v_failures))
  where t.login_key = record_login_failure.login_key and v_failures >= 5;
end;
$function$;
alter function app_hidden.record_login_failure(login_key bytea) owner to ":ROLE_SYSTEM";
comment on function app_hidden.record_login_failure(login_key bytea) is 'Count a refused login for the throttle. SECURITY DEFINER (system): only the API (authenticator) calls it, after authenticate refused (IC003/IC005).';
grant execute on function app_hidden.record_login_failure(login_key bytea) to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_type text, operation_name text, document text, variables jsonb)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_sha bytea;
begin
  if not exists (
    select 1 from app_private.sessions s
    join app_private.platform_owners p on p.user_id = s.user_id
    where s.id = record_platform_request.session_id and s.user_id = record_platform_request.user_id
      and s.revoked_at is null
  ) then
    raise exception 'Not a platform-owner session' using errcode = 'IC002';
  end if;
  if record_platform_request.document is not null then
    v_sha := sha256(convert_to(record_platform_request.document, 'UTF8'));
    -- Not ON CONFLICT: on Citus, an upsert into a reference table takes a lock that needs
    -- UPDATE/DELETE rights (the table is append-only); a document already stored is ignored.
    begin
      insert into app_private.platform_audit_documents (sha256, document)
        values (v_sha, record_platform_request.document);
    exception when unique_violation then null;
    end;
  end if;
  insert into app_private.platform_audit_log
      (user_id, session_id, operation_type, operation_name, document_sha256, variables)
    values (record_platform_request.user_id, record_platform_request.session_id,
            record_platform_request.operation_type,
            left(record_platform_request.operation_name, 200), v_sha,
            app_private.redact_secrets(coalesce(record_platform_request.variables, '{}'::jsonb)));
end;
$function$;
alter function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_type text, operation_name text, document text, variables jsonb) owner to ":ROLE_SYSTEM";
comment on function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_type text, operation_name text, document text, variables jsonb) is 'Audit one platform-owner request. SECURITY DEFINER (system): the API login may append to the audit log through this only, for a live platform-owner session.';
grant execute on function app_hidden.record_platform_request(session_id uuid, user_id uuid, operation_type text, operation_name text, document text, variables jsonb) to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.revoke_reused_refresh_token(token_hash bytea)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  update app_private.sessions s set revoked_at = now()
  from app_private.refresh_tokens r
  where r.token_hash = revoke_reused_refresh_token.token_hash and r.used_at is not null
    and s.id = r.session_id and s.revoked_at is null
$function$;
alter function app_hidden.revoke_reused_refresh_token(token_hash bytea) owner to ":ROLE_SYSTEM";
comment on function app_hidden.revoke_reused_refresh_token(token_hash bytea) is 'Revoke the session of a retired refresh token that was presented again. SECURITY DEFINER (system): called by the API only.';
grant execute on function app_hidden.revoke_reused_refresh_token(token_hash bytea) to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, membership_id uuid, membership_version integer, role text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  return exists (
    select 1
    from app_private.sessions s
    join app_public.users u on u.id = s.user_id
    where s.id = session_is_valid.sid
      and s.user_id = session_is_valid.user_id
      and s.revoked_at is null
      and not u.is_disabled
      and not app_private.gym_is_suspended(session_is_valid.tenant_id) -- [ops: tenant lifecycle]
      and case
            when session_is_valid.role = 'platform_owner' then
              session_is_valid.tenant_id is null and session_is_valid.membership_id is null
              and exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
            else exists (
              select 1 from app_public.memberships m
              where m.tenant_id = session_is_valid.tenant_id
                and m.id = session_is_valid.membership_id
                and m.user_id = u.id and m.role::text = session_is_valid.role
                and m.token_version = session_is_valid.membership_version)
          end
  );
end;
$function$;
alter function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, membership_id uuid, membership_version integer, role text) owner to ":ROLE_SYSTEM";
comment on function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, membership_id uuid, membership_version integer, role text) is 'True while the session is live, the user enabled and the claimed membership (same id, role and token_version) or platform ownership still held. SECURITY DEFINER (system): the authenticator itself can read nothing. plpgsql, not sql: Citus cannot plan a SQL function''s parameters against a distributed table (docs/CITUS.md).';
grant execute on function app_hidden.session_is_valid(sid uuid, user_id uuid, tenant_id uuid, membership_id uuid, membership_version integer, role text) to ":DATABASE_AUTHENTICATOR";

CREATE OR REPLACE FUNCTION app_hidden.spend_login_budget(address_key bytea, budget integer, window_seconds integer)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_started timestamptz;
  v_attempts integer;
begin
  insert into app_private.login_address_budget as b (address_key, window_started_at, attempts)
    values (spend_login_budget.address_key, now(), 1)
  on conflict on constraint login_address_budget_pkey do update
    set window_started_at = case when b.window_started_at <= now() - make_interval(secs => window_seconds)
                                 then now() else b.window_started_at end,
        attempts = case when b.window_started_at <= now() - make_interval(secs => window_seconds)
                        then 1 else b.attempts + 1 end
  returning window_started_at, attempts into v_started, v_attempts;
  if v_attempts <= budget then
    return 0;
  end if;
  return greatest(1, ceil(extract(epoch from v_started + make_interval(secs => window_seconds) - now())))::integer;
end;
$function$;
alter function app_hidden.spend_login_budget(address_key bytea, budget integer, window_seconds integer) owner to ":ROLE_SYSTEM";
comment on function app_hidden.spend_login_budget(address_key bytea, budget integer, window_seconds integer) is 'Spend one credential check of a client address''s budget; 0 = allowed, else seconds to wait. SECURITY DEFINER (system): called by the API (authenticator) only.';
grant execute on function app_hidden.spend_login_budget(address_key bytea, budget integer, window_seconds integer) to ":DATABASE_AUTHENTICATOR";

--------------------------------------------------------------------------------
-- schema app_private
--------------------------------------------------------------------------------
create schema app_private;
grant usage on schema app_private to ":ROLE_MAINTENANCE";
grant usage, create on schema app_private to ":ROLE_SYSTEM";

-- table app_private.login_address_budget
create table app_private.login_address_budget (
  address_key bytea not null,
  window_started_at timestamp with time zone not null default now(),
  attempts integer not null default 0
);
comment on table app_private.login_address_budget is 'Credential-checking requests per client address (an HMAC of the address made by the API) in the current window.';
alter table app_private.login_address_budget add constraint login_address_budget_pkey PRIMARY KEY (address_key);
CREATE INDEX login_address_budget_window_idx ON app_private.login_address_budget USING btree (window_started_at);
alter table app_private.login_address_budget enable row level security;
alter table app_private.login_address_budget force row level security;
create policy login_address_budget_system on app_private.login_address_budget as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, update, delete on app_private.login_address_budget to ":ROLE_SYSTEM", ":ROLE_MAINTENANCE";

-- table app_private.login_throttle
create table app_private.login_throttle (
  login_key bytea not null,
  failures integer not null default 0,
  last_failure_at timestamp with time zone not null default now(),
  locked_until timestamp with time zone
);
comment on table app_private.login_throttle is 'Consecutive failed logins per account (keyed by app_private.login_key(email)). A success clears the row; a quiet hour starts the count again.';
alter table app_private.login_throttle add constraint login_throttle_pkey PRIMARY KEY (login_key);
CREATE INDEX login_throttle_last_failure_at_idx ON app_private.login_throttle USING btree (last_failure_at);
alter table app_private.login_throttle enable row level security;
alter table app_private.login_throttle force row level security;
create policy login_throttle_system on app_private.login_throttle as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, update, delete on app_private.login_throttle to ":ROLE_SYSTEM", ":ROLE_MAINTENANCE";

-- table app_private.mail_outbox
create table app_private.mail_outbox (
  id uuid not null default gen_random_uuid(),
  created_at timestamp with time zone not null default now(),
  template text not null,
  recipient citext not null,
  params jsonb not null default '{}'::jsonb,
  secret text,
  attempts integer not null default 0,
  sent_at timestamp with time zone,
  last_error text
);
comment on table app_private.mail_outbox is 'Mails to send (sent by the graphile-worker task send_mail). `secret` (the raw one-time token) is erased once the mail is sent.';
alter table app_private.mail_outbox add constraint mail_outbox_pkey PRIMARY KEY (id);
alter table app_private.mail_outbox add constraint mail_outbox_template_check CHECK ((template = ANY (ARRAY['invitation'::text, 'password_reset'::text])));
alter table app_private.mail_outbox enable row level security;
alter table app_private.mail_outbox force row level security;
create policy mail_outbox_system on app_private.mail_outbox as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, delete on app_private.mail_outbox to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_private.mail_outbox to ":ROLE_MAINTENANCE";
grant update (secret, attempts, sent_at, last_error) on app_private.mail_outbox to ":ROLE_SYSTEM";
CREATE TRIGGER _900_enqueue AFTER INSERT ON app_private.mail_outbox FOR EACH ROW EXECUTE FUNCTION app_private.tg_mail_outbox__enqueue();

-- table app_private.password_resets
create table app_private.password_resets (
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  token_hash bytea not null,
  created_at timestamp with time zone not null default now(),
  expires_at timestamp with time zone not null,
  used_at timestamp with time zone
);
alter table app_private.password_resets add constraint password_resets_pkey PRIMARY KEY (id);
alter table app_private.password_resets add constraint password_resets_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id) ON DELETE CASCADE;
CREATE INDEX password_resets_token_hash_idx ON app_private.password_resets USING btree (token_hash);
CREATE INDEX password_resets_user_id_idx ON app_private.password_resets USING btree (user_id, created_at);
alter table app_private.password_resets enable row level security;
alter table app_private.password_resets force row level security;
create policy password_resets_system on app_private.password_resets as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, delete on app_private.password_resets to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_private.password_resets to ":ROLE_MAINTENANCE";
grant update (used_at) on app_private.password_resets to ":ROLE_SYSTEM";

-- table app_private.platform_audit_documents
create table app_private.platform_audit_documents (
  sha256 bytea not null,
  document text not null,
  first_seen_at timestamp with time zone not null default now()
);
comment on table app_private.platform_audit_documents is 'Each distinct (redacted) GraphQL document a platform owner sent, once, keyed by sha256 of its text.';
alter table app_private.platform_audit_documents add constraint platform_audit_documents_pkey PRIMARY KEY (sha256);
alter table app_private.platform_audit_documents enable row level security;
alter table app_private.platform_audit_documents force row level security;
create policy platform_audit_documents_system_insert on app_private.platform_audit_documents as permissive for insert
  to ":ROLE_SYSTEM"
  with check (true);
create policy platform_audit_documents_system_select on app_private.platform_audit_documents as permissive for select
  to ":ROLE_SYSTEM"
  using (true);
grant select on app_private.platform_audit_documents to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_private.platform_audit_documents to ":ROLE_MAINTENANCE";
grant insert (sha256, document) on app_private.platform_audit_documents to ":ROLE_SYSTEM";
CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON app_private.platform_audit_documents FOR EACH ROW EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();
CREATE TRIGGER _101_append_only_truncate BEFORE TRUNCATE ON app_private.platform_audit_documents FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();

-- table app_private.platform_audit_log
create table app_private.platform_audit_log (
  id bigint generated always as identity not null,
  occurred_at timestamp with time zone not null default now(),
  user_id uuid not null,
  session_id uuid,
  operation_type text,
  operation_name text,
  document_sha256 bytea,
  variables jsonb not null default '{}'::jsonb
);
comment on table app_private.platform_audit_log is 'Append-only record of every platform-owner API request: operation, document (by hash) and variables with secrets redacted by the schema.';
alter table app_private.platform_audit_log add constraint platform_audit_log_pkey PRIMARY KEY (id);
alter table app_private.platform_audit_log add constraint platform_audit_log_operation_type_check CHECK ((operation_type = ANY (ARRAY['query'::text, 'mutation'::text, 'subscription'::text])));
alter table app_private.platform_audit_log add constraint platform_audit_log_document_sha256_fkey FOREIGN KEY (document_sha256) REFERENCES app_private.platform_audit_documents(sha256);
alter table app_private.platform_audit_log add constraint platform_audit_log_user_id_fkey FOREIGN KEY (user_id) REFERENCES app_public.users(id);
CREATE INDEX platform_audit_log_document_idx ON app_private.platform_audit_log USING btree (document_sha256);
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
grant select, insert, update, delete on app_private.platform_audit_log to ":ROLE_MAINTENANCE";
grant insert (user_id, session_id, operation_type, operation_name, document_sha256, variables) on app_private.platform_audit_log to ":ROLE_SYSTEM";
CREATE TRIGGER _100_append_only BEFORE DELETE OR UPDATE ON app_private.platform_audit_log FOR EACH ROW EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();
CREATE TRIGGER _101_append_only_truncate BEFORE TRUNCATE ON app_private.platform_audit_log FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_platform_audit_log__append_only();

-- sequence app_private.platform_audit_log_id_seq
create sequence app_private.platform_audit_log_id_seq;
grant select, usage on app_private.platform_audit_log_id_seq to ":ROLE_MAINTENANCE";

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
grant select, insert, update, delete on app_private.platform_owners to ":ROLE_MAINTENANCE";

-- table app_private.refresh_tokens
create table app_private.refresh_tokens (
  id uuid not null default gen_random_uuid(),
  session_id uuid not null,
  token_hash bytea not null,
  tenant_id uuid,
  membership_id uuid,
  membership_version integer,
  created_at timestamp with time zone not null default now(),
  expires_at timestamp with time zone not null,
  used_at timestamp with time zone
);
comment on table app_private.refresh_tokens is 'Rotating refresh tokens (sha256 only). NULL tenant/membership: a platform-owner token.';
alter table app_private.refresh_tokens add constraint refresh_tokens_pkey PRIMARY KEY (id);
alter table app_private.refresh_tokens add constraint refresh_tokens_token_hash_key UNIQUE (token_hash);
alter table app_private.refresh_tokens add constraint refresh_tokens_check CHECK ((((tenant_id IS NULL) = (membership_id IS NULL)) AND ((membership_id IS NULL) = (membership_version IS NULL))));
alter table app_private.refresh_tokens add constraint refresh_tokens_session_id_fkey FOREIGN KEY (session_id) REFERENCES app_private.sessions(id) ON DELETE CASCADE;
CREATE INDEX refresh_tokens_session_id_idx ON app_private.refresh_tokens USING btree (session_id);
alter table app_private.refresh_tokens enable row level security;
alter table app_private.refresh_tokens force row level security;
create policy refresh_tokens_system on app_private.refresh_tokens as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
grant select, insert, delete on app_private.refresh_tokens to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_private.refresh_tokens to ":ROLE_MAINTENANCE";
grant update (used_at) on app_private.refresh_tokens to ":ROLE_SYSTEM";

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
grant select, insert, update, delete on app_private.sessions to ":ROLE_MAINTENANCE";
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
grant select, insert, update, delete on app_private.user_secrets to ":ROLE_MAINTENANCE";

CREATE OR REPLACE FUNCTION app_private.bcrypt_cost()
 RETURNS integer
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$ select greatest(4, least(15, coalesce(nullif(current_setting('ironclad.bcrypt_cost', true), '')::integer, 10))) $function$;
comment on function app_private.bcrypt_cost() is 'bcrypt cost for new password hashes (setting ironclad.bcrypt_cost from BCRYPT_COST; 10 when unset).';
grant execute on function app_private.bcrypt_cost() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.bootstrap_gym_user(tenant_id uuid, email text, display_name text, role app_public.membership_role, password_hash text)
 RETURNS app_public.memberships
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_membership app_public.memberships;
  v_user_id uuid;
begin
  -- The user first, in a statement of its own: on Citus an INSERT into a distributed table
  -- cannot evaluate a function that itself writes (users) while it is being planned.
  v_user_id := app_private.bootstrap_user(bootstrap_gym_user.email, bootstrap_gym_user.display_name, bootstrap_gym_user.password_hash);
  insert into app_public.memberships (tenant_id, user_id, role, display_name)
    values (bootstrap_gym_user.tenant_id, v_user_id, bootstrap_gym_user.role, bootstrap_gym_user.display_name)
    returning * into v_membership;
  return v_membership;
end;
$function$;
alter function app_private.bootstrap_gym_user(tenant_id uuid, email text, display_name text, role app_public.membership_role, password_hash text) owner to ":ROLE_SYSTEM";
comment on function app_private.bootstrap_gym_user(tenant_id uuid, email text, display_name text, role app_public.membership_role, password_hash text) is 'Owner-only bootstrap (seed, tests): a person already in a gym, as if they had accepted an invitation. SECURITY DEFINER (system): writes identity tables; executable only by the database owner.';
grant execute on function app_private.bootstrap_gym_user(tenant_id uuid, email text, display_name text, role app_public.membership_role, password_hash text) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.bootstrap_user(email text, display_name text, password_hash text)
 RETURNS uuid
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_id uuid;
begin
  select u.id into v_id from app_public.users u where u.email = bootstrap_user.email::citext;
  if v_id is null then
    insert into app_public.users (email, display_name)
      values (bootstrap_user.email, bootstrap_user.display_name)
      returning id into v_id;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_id, coalesce(bootstrap_user.password_hash, '!'));
  end if;
  return v_id;
end;
$function$;
alter function app_private.bootstrap_user(email text, display_name text, password_hash text) owner to ":ROLE_SYSTEM";
comment on function app_private.bootstrap_user(email text, display_name text, password_hash text) is 'Owner-only bootstrap: the user with this email, created (with this bcrypt hash, or none) if new. An existing login is never changed.';

CREATE OR REPLACE FUNCTION app_private.create_platform_owner(email text, display_name text, password text)
 RETURNS uuid
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_id uuid := app_private.bootstrap_user(email, display_name, app_private.hash_password(password));
begin
  -- Not ON CONFLICT: on Citus, an upsert into a reference table takes a lock that needs
  -- UPDATE/DELETE rights the system role does not have here; a duplicate is simply ignored.
  begin
    insert into app_private.platform_owners (user_id) values (v_id);
  exception when unique_violation then null;
  end;
  return v_id;
end;
$function$;
alter function app_private.create_platform_owner(email text, display_name text, password text) owner to ":ROLE_SYSTEM";
comment on function app_private.create_platform_owner(email text, display_name text, password text) is 'Make (or promote) a platform owner. SECURITY DEFINER (system); executable only by the database owner.';
grant execute on function app_private.create_platform_owner(email text, display_name text, password text) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.finish_mail(id uuid, error text)
 RETURNS void
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  update app_private.mail_outbox o
  set sent_at = case when finish_mail.error is null then now() end,
      secret = case when finish_mail.error is null then null else o.secret end,
      last_error = left(finish_mail.error, 1000)
  where o.id = finish_mail.id and o.sent_at is null
$function$;
alter function app_private.finish_mail(id uuid, error text) owner to ":ROLE_SYSTEM";
comment on function app_private.finish_mail(id uuid, error text) is 'Worker: mark a mail sent (its secret erased) or record the error of a failed attempt. SECURITY DEFINER (system): the outbox is private.';
grant execute on function app_private.finish_mail(id uuid, error text) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.gym_is_suspended(tenant_id uuid)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
begin
  return exists (select 1 from app_public.gyms g where g.id = gym_is_suspended.tenant_id and g.suspended_at is not null);
end;
$function$;
comment on function app_private.gym_is_suspended(tenant_id uuid) is 'True when the gym is suspended (tenant lifecycle): its logins are refused with IC040 and its sessions end.';
grant execute on function app_private.gym_is_suspended(tenant_id uuid) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.hash_password(password text)
 RETURNS text
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public'
AS $function$
begin
  if password is null or octet_length(password) < 8 or octet_length(password) > 72 then
    raise exception 'A password must be 8 to 72 bytes long' using errcode = 'IC022';
  end if;
  return crypt(password, gen_salt('bf', app_private.bcrypt_cost()));
end;
$function$;
comment on function app_private.hash_password(password text) is 'bcrypt hash of a new password at app_private.bcrypt_cost(); IC022 if it breaks the length rule. Every password hash is made here.';
grant execute on function app_private.hash_password(password text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.invitation_ttl()
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog'
AS $function$ select interval '7 days' $function$;
grant execute on function app_private.invitation_ttl() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.issue_tokens(user_id uuid, session_id uuid, tenant_id uuid)
 RETURNS app_public.jwt_token
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_role text := 'platform_owner';
  v_membership uuid;
  v_version integer;
  v_refresh text := translate(encode(gen_random_bytes(32), 'base64'), '+/=', '-_');
begin
  if issue_tokens.tenant_id is not null then
    select m.role, m.id, m.token_version into v_role, v_membership, v_version
    from app_public.memberships m
    where m.tenant_id = issue_tokens.tenant_id and m.user_id = issue_tokens.user_id;
    if v_membership is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
  end if;
  insert into app_private.refresh_tokens (session_id, token_hash, tenant_id, membership_id, membership_version, expires_at)
    values (issue_tokens.session_id, sha256(convert_to(v_refresh, 'UTF8')), issue_tokens.tenant_id, v_membership,
            v_version, now() + app_private.refresh_token_lifetime());
  return row(v_role, issue_tokens.tenant_id, v_membership, v_version, issue_tokens.user_id,
             issue_tokens.session_id, app_private.token_expiry(), v_refresh)::app_public.jwt_token;
end;
$function$;
comment on function app_private.issue_tokens(user_id uuid, session_id uuid, tenant_id uuid) is 'Access token + new refresh token for a membership (or platform ownership when tenant_id is NULL) of a live session.';
grant execute on function app_private.issue_tokens(user_id uuid, session_id uuid, tenant_id uuid) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.login_backoff(failures integer)
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog'
AS $function$
  select case when failures < 5 then interval '0'
              else least(interval '1 second' * power(2, least(failures - 5, 20)), interval '15 minutes') end
$function$;
grant execute on function app_private.login_backoff(failures integer) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.login_key(email text)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'public'
AS $function$ select sha256(convert_to(lower(coalesce(email, '')), 'UTF8')) $function$;
grant execute on function app_private.login_key(email text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.mail_invitation(inv app_public.invitations, token text)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'pg_catalog'
AS $function$
  select app_private.queue_mail('invitation', inv.email,
    jsonb_build_object('gym', g.name, 'role', inv.role, 'display_name', inv.display_name, 'expires_at', inv.expires_at),
    token)
  from app_public.gyms g where g.id = inv.tenant_id
$function$;
grant execute on function app_private.mail_invitation(inv app_public.invitations, token text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.managed_gym(tenant_id uuid)
 RETURNS uuid
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_tenant uuid;
begin
  if app_hidden.current_app_role() = 'platform_owner' then
    v_tenant := managed_gym.tenant_id;
  elsif app_hidden.current_app_role() = 'gym_admin'
        and (managed_gym.tenant_id is null or managed_gym.tenant_id = app_hidden.current_tenant_id()) then
    v_tenant := app_hidden.current_tenant_id();
  end if;
  if v_tenant is null or not exists (select 1 from app_public.gyms g where g.id = v_tenant) then
    raise exception 'Only a gym admin (for their own gym) or the platform owner may manage people'
      using errcode = 'IC002';
  end if;
  return v_tenant;
end;
$function$;
grant execute on function app_private.managed_gym(tenant_id uuid) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.new_token()
 RETURNS text
 LANGUAGE sql
 SET search_path TO 'pg_catalog', 'public'
AS $function$ select encode(gen_random_bytes(32), 'hex') $function$;
grant execute on function app_private.new_token() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.open_invitation(invitation_id uuid)
 RETURNS app_public.invitations
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_tenant uuid;
  v_inv app_public.invitations;
begin
  select i.tenant_id into v_tenant from app_public.invitations i where i.id = open_invitation.invitation_id;
  select i.* into v_inv from app_public.invitations i
  where i.tenant_id = v_tenant and i.id = open_invitation.invitation_id and i.accepted_at is null and i.revoked_at is null
    and (i.tenant_id = app_hidden.current_tenant_id() and app_hidden.current_app_role() = 'gym_admin'
         or app_hidden.current_app_role() = 'platform_owner')
  for update;
  if v_inv.id is null then
    raise exception 'No such open invitation' using errcode = 'IC020';
  end if;
  return v_inv;
end;
$function$;
grant execute on function app_private.open_invitation(invitation_id uuid) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.password_reset_ttl()
 RETURNS interval
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog'
AS $function$ select interval '1 hour' $function$;
grant execute on function app_private.password_reset_ttl() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.process_password_reset_request(email text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_user uuid;
  v_email citext;
  v_token text := app_private.new_token();
  v_hash bytea := app_private.token_hash(v_token);
begin
  select u.id, u.email into v_user, v_email from app_public.users u
  where u.email = process_password_reset_request.email::citext and not u.is_disabled;
  -- At most one mail a minute per address (a flood of requests must not flood the inbox).
  if v_user is not null and not exists (
       select 1 from app_private.password_resets r
       where r.user_id = v_user and r.created_at > now() - interval '1 minute') then
    insert into app_private.password_resets (user_id, token_hash, expires_at)
      values (v_user, v_hash, now() + app_private.password_reset_ttl());
    -- To the address the login was made with, never the one typed here: citext equality folds
    -- case under the database collation, so a look-alike (İ, the Kelvin sign …) typed by an
    -- attacker matches the victim's login — the link must still only reach the victim.
    perform app_private.queue_mail('password_reset', v_email,
      jsonb_build_object('expires_at', now() + app_private.password_reset_ttl()), v_token);
  end if;
  return;
end;
$function$;
alter function app_private.process_password_reset_request(email text) owner to ":ROLE_SYSTEM";
comment on function app_private.process_password_reset_request(email text) is 'Worker task password_reset_request: mail a one-time reset link (valid 1 hour) to the login an address names, if it exists and is enabled, at most one a minute. SECURITY DEFINER (system): reads logins by email and writes the outbox.';
grant execute on function app_private.process_password_reset_request(email text) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.prune_invitations()
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with gone as (
    delete from app_public.invitations i
    where i.accepted_at is null
      and coalesce(i.revoked_at, i.expires_at) < now() - interval '1 day'
    returning 1
  )
  select count(*)::integer from gone
$function$;
alter function app_private.prune_invitations() owner to ":ROLE_SYSTEM";
comment on function app_private.prune_invitations() is 'Delete invitations expired or revoked over a day ago. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on invitations.';
grant execute on function app_private.prune_invitations() to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.prune_mail_outbox()
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with gone as (
    delete from app_private.mail_outbox where sent_at < now() - interval '30 days' returning 1
  )
  select count(*)::integer from gone
$function$;
alter function app_private.prune_mail_outbox() owner to ":ROLE_SYSTEM";
comment on function app_private.prune_mail_outbox() is 'Delete mails sent over 30 days ago. SECURITY DEFINER (system): the outbox is private.';
grant execute on function app_private.prune_mail_outbox() to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.prune_password_resets()
 RETURNS integer
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with gone as (
    delete from app_private.password_resets r
    where coalesce(r.used_at, r.expires_at) < now() - interval '1 day'
    returning 1
  )
  select count(*)::integer from gone
$function$;
alter function app_private.prune_password_resets() owner to ":ROLE_SYSTEM";
comment on function app_private.prune_password_resets() is 'Delete reset tokens used or expired over a day ago. SECURITY DEFINER (system): the table is private.';
grant execute on function app_private.prune_password_resets() to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.prune_sessions()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_gone integer;
begin
  delete from app_private.sessions s
  where coalesce(s.revoked_at, s.created_at + interval '30 days') < now() - interval '7 days'
    and (s.revoked_at is not null or not exists (
      select 1 from app_private.refresh_tokens r
      where r.session_id = s.id and r.used_at is null and r.expires_at > now()));
  get diagnostics v_gone = row_count;
  delete from app_private.refresh_tokens r where r.expires_at < now() - interval '7 days';
  delete from app_private.login_throttle t
  where t.last_failure_at < now() - interval '1 day' and coalesce(t.locked_until, '-infinity') < now();
  delete from app_private.login_address_budget b where b.window_started_at < now() - interval '1 day';
  return v_gone;
end;
$function$;
alter function app_private.prune_sessions() owner to ":ROLE_SYSTEM";
comment on function app_private.prune_sessions() is 'Delete long-dead sessions, expired refresh tokens and stale throttle rows. SECURITY DEFINER (system): the worker runs as the owner, which has no policy on sessions.';
grant execute on function app_private.prune_sessions() to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.queue_mail(template text, recipient citext, params jsonb, secret text)
 RETURNS uuid
 LANGUAGE sql
 SET search_path TO 'pg_catalog'
AS $function$
  insert into app_private.mail_outbox (template, recipient, params, secret)
    values (queue_mail.template, queue_mail.recipient, queue_mail.params, queue_mail.secret)
  returning id
$function$;
grant execute on function app_private.queue_mail(template text, recipient citext, params jsonb, secret text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.queue_password_reset_request(email text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform graphile_worker.add_job('password_reset_request',
    json_build_object('email', queue_password_reset_request.email), max_attempts => 1);
end;
$function$;
comment on function app_private.queue_password_reset_request(email text) is '@lint-ignore definer-owned-by-system: only the owner of graphile_worker may add jobs, and this function does nothing but queue one fixed task
Queue graphile-worker task password_reset_request for an address. SECURITY DEFINER (database owner, which owns graphile_worker).';
grant execute on function app_private.queue_password_reset_request(email text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.rebuild_workout_bests(tenant_id uuid DEFAULT NULL::uuid)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
declare
  v_tenant uuid := rebuild_workout_bests.tenant_id;
  v_rows integer;
begin
  delete from app_public.workout_bests b where v_tenant is null or b.tenant_id = v_tenant;
  insert into app_public.workout_bests
    (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
  select distinct on (r.tenant_id, r.workout_id, r.member_id)
         r.tenant_id, r.workout_id, r.member_id, r.is_rx,
         case when w.scoring_type = 'time' then r.score else -r.score end, r.score, r.performed_on, r.id, w.is_published
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  where v_tenant is null or r.tenant_id = v_tenant
  order by r.tenant_id, r.workout_id, r.member_id, r.is_rx desc,
           case when w.scoring_type = 'time' then r.score else -r.score end, r.performed_on
  on conflict (tenant_id, workout_id, member_id) do nothing;
  get diagnostics v_rows = row_count;
  return v_rows;
end;
$function$;
alter function app_private.rebuild_workout_bests(tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_private.rebuild_workout_bests(tenant_id uuid) is 'Recompute the gym leaderboards'' bests of every gym (or one) from all results: a repair after bulk loads that bypass triggers. SECURITY DEFINER (system): only the system role writes workout_bests.';
grant execute on function app_private.rebuild_workout_bests(tenant_id uuid) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_private.record_account_event(tenant_id uuid, action text, membership_id uuid, invitation_id uuid, email citext, role app_public.membership_role, previous_role app_public.membership_role DEFAULT NULL::app_public.membership_role)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_actor uuid;
begin
  select m.id into v_actor from app_public.memberships m
   where m.tenant_id = record_account_event.tenant_id and m.user_id = app_hidden.current_user_id();
  insert into app_public.account_events
    (tenant_id, action, actor_role, actor_membership_id, membership_id, invitation_id, email, role, previous_role)
  values (
    record_account_event.tenant_id, record_account_event.action,
    coalesce(nullif(current_setting('jwt.claims.role', true), ''), 'owner'),
    v_actor,
    record_account_event.membership_id, record_account_event.invitation_id,
    record_account_event.email, record_account_event.role, record_account_event.previous_role);
end;
$function$;
comment on function app_private.record_account_event(tenant_id uuid, action text, membership_id uuid, invitation_id uuid, email citext, role app_public.membership_role, previous_role app_public.membership_role) is 'Append one account event; the actor comes from the request claims (owner when there are none).';
grant execute on function app_private.record_account_event(tenant_id uuid, action text, membership_id uuid, invitation_id uuid, email citext, role app_public.membership_role, previous_role app_public.membership_role) to ":ROLE_SYSTEM";

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

CREATE OR REPLACE FUNCTION app_private.refresh_token_lifetime()
 RETURNS interval
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select make_interval(secs => least(30 * 86400, greatest(60,
    coalesce(nullif(current_setting('ironclad.refresh_token_ttl', true), '')::integer, 14 * 86400))))
$function$;
grant execute on function app_private.refresh_token_lifetime() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.set_password(user_id uuid, password text, keep_session uuid)
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  -- Hashed here, before any statement touches user_secrets, so that the writes carry only the
  -- hash: on Citus they are sent to the workers as SQL (a reference table).
  v_hash text := app_private.hash_password(set_password.password);
begin
  update app_private.user_secrets s set password_hash = v_hash
  where s.user_id = set_password.user_id;
  if not found then
    insert into app_private.user_secrets (user_id, password_hash)
      values (set_password.user_id, v_hash);
  end if;
  update app_private.sessions s set revoked_at = now()
  where s.user_id = set_password.user_id and s.revoked_at is null
    and s.id is distinct from set_password.keep_session;
end;
$function$;
grant execute on function app_private.set_password(user_id uuid, password text, keep_session uuid) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.take_mail(id uuid)
 RETURNS app_private.mail_outbox
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  update app_private.mail_outbox o set attempts = o.attempts + 1
  where o.id = take_mail.id and o.sent_at is null
  returning o.*
$function$;
alter function app_private.take_mail(id uuid) owner to ":ROLE_SYSTEM";
comment on function app_private.take_mail(id uuid) is 'Worker: the unsent mail with this id (attempts counted), or null. SECURITY DEFINER (system): the outbox is private.';
grant execute on function app_private.take_mail(id uuid) to ":DATABASE_OWNER";

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

CREATE OR REPLACE FUNCTION app_private.tg_account_events__append_only()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if tg_op = 'DELETE' and not exists (
       select 1 from app_public.gyms g where g.id = old.tenant_id and g.suspended_at is null) then
    return old;
  end if;
  raise exception 'The account audit log is append-only' using errcode = 'IC030';
end;
$function$;
alter function app_private.tg_account_events__append_only() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_account_events__append_only() is 'Trigger: refuses UPDATE and DELETE on account_events (IC030), except the cascade of a deleted gym. SECURITY DEFINER (system): reads gyms.';

CREATE OR REPLACE FUNCTION app_private.tg_account_events__no_truncate()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  raise exception 'The account audit log is append-only' using errcode = 'IC030';
end;
$function$;

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

CREATE OR REPLACE FUNCTION app_private.tg_class_sessions__notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform pg_catalog.pg_notify('ironclad:gym:' || new.tenant_id || ':bookings',
    pg_catalog.json_build_object('id', new.id)::text);
  return null;
end;
$function$;
comment on function app_private.tg_class_sessions__notify() is 'Trigger: NOTIFY ironclad:gym:<tenant_id>:bookings with the class''s id when its booked count moves (ids only).';

CREATE OR REPLACE FUNCTION app_private.tg_gyms__network_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform app_shared.network_bests_recompute(new.id, null);
  return null;
end;
$function$;
comment on function app_private.tg_gyms__network_bests() is 'Trigger: recompute the gym''s network bests when it joins or leaves the network. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';

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

CREATE OR REPLACE FUNCTION app_private.tg_leaderboard_refreshes__notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform pg_catalog.pg_notify('ironclad:network:leaderboards',
    pg_catalog.json_build_object('leaderboard', new.leaderboard)::text);
  return null;
end;
$function$;
comment on function app_private.tg_leaderboard_refreshes__notify() is 'Trigger: NOTIFY ironclad:network:leaderboards with the recomputed board''s name (no gym data).';

CREATE OR REPLACE FUNCTION app_private.tg_mail_outbox__enqueue()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform graphile_worker.add_job('send_mail', json_build_object('id', new.id), max_attempts := 10);
  return null;
end;
$function$;
comment on function app_private.tg_mail_outbox__enqueue() is 'Trigger: one send_mail job per outbox row. SECURITY DEFINER (database owner, which owns graphile_worker).';

CREATE OR REPLACE FUNCTION app_private.tg_memberships__audit()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_row app_public.memberships;
begin
  if tg_op = 'DELETE' then v_row := old; else v_row := new; end if;
  -- Deleting a gym cascades to its memberships: nothing left to audit, nobody left to read it.
  if not exists (select 1 from app_public.gyms g where g.id = v_row.tenant_id) then
    return null;
  end if;
  perform app_private.record_account_event(
    v_row.tenant_id,
    case tg_op when 'INSERT' then 'membership_created' when 'UPDATE' then 'role_changed' else 'membership_removed' end,
    v_row.id, null,
    (select u.email from app_public.users u where u.id = v_row.user_id),
    v_row.role,
    case when tg_op = 'UPDATE' then old.role end);
  return null;
end;
$function$;
alter function app_private.tg_memberships__audit() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_memberships__audit() is 'Trigger: account_events row for every membership insert, role change and removal. SECURITY DEFINER (system): writes the trail.';

CREATE OR REPLACE FUNCTION app_private.tg_memberships__bump_token_version()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if new.role is distinct from old.role then
    new.token_version := old.token_version + 1;
  else
    new.token_version := old.token_version;
  end if;
  return new;
end;
$function$;
comment on function app_private.tg_memberships__bump_token_version() is 'Trigger: a role change gives the membership a new token_version, ending every token and refresh token issued for the old one.';

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
comment on function app_private.tg_memberships__plan_limits() is 'Trigger: keeps gyms.member_count/staff_count and refuses a membership beyond the gym''s plan (IC010). SECURITY DEFINER (system): the caller (accepting an invitation, a gym admin changing a role or removing someone) may not write the gym row''s counters.';

CREATE OR REPLACE FUNCTION app_private.tg_messages__notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform pg_catalog.pg_notify('ironclad:gym:' || new.tenant_id || ':messages',
    pg_catalog.json_build_object('id', new.id, 'recipient_id', new.recipient_id)::text);
  return null;
end;
$function$;
comment on function app_private.tg_messages__notify() is 'Trigger: NOTIFY ironclad:gym:<tenant_id>:messages with the new message''s id and recipient (ids only).';

CREATE OR REPLACE FUNCTION app_private.tg_network_preferences__network_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  r app_public.network_preferences := case when tg_op = 'DELETE' then old else new end;
begin
  if tg_op = 'UPDATE' and old.show_on_leaderboards = new.show_on_leaderboards then
    if old.display_name is distinct from new.display_name then
      perform app_shared.network_bests_rename(new.tenant_id, new.membership_id);
    end if;
    return null;
  end if;
  perform app_shared.network_bests_recompute(r.tenant_id, array[r.membership_id]);
  return null;
end;
$function$;
comment on function app_private.tg_network_preferences__network_bests() is 'Trigger: recompute a member''s network bests when they opt in or out; copy a new network name onto their board lines. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';

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
comment on function app_private.tg_platform_audit_log__append_only() is 'Trigger: refuses UPDATE, DELETE and TRUNCATE on the audit log and its documents (IC030).';

CREATE OR REPLACE FUNCTION app_private.tg_progress_metrics__round_value()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$ begin new.value := round(new.value, 2); return new; end; $function$;
comment on function app_private.tg_progress_metrics__round_value() is 'Trigger: keeps a measurement to two decimals, as numeric(10, 2) would.';

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

CREATE OR REPLACE FUNCTION app_private.tg_workout_results__network_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if tg_op = 'INSERT' then
    perform app_shared.network_bests_add(new.tenant_id, new.id);
  elsif tg_op = 'DELETE' then
    if app_shared.network_bests_holds(old.tenant_id, old.member_id, old.id) then
      perform app_shared.network_bests_recompute(old.tenant_id, array[old.member_id]);
    end if;
  elsif new.member_id is distinct from old.member_id
        or app_shared.network_bests_holds(old.tenant_id, old.member_id, old.id) then
    perform app_shared.network_bests_recompute(old.tenant_id, array[old.member_id, new.member_id]);
  else
    perform app_shared.network_bests_add(new.tenant_id, new.id);
  end if;
  return null;
end;
$function$;
comment on function app_private.tg_workout_results__network_bests() is 'Trigger: keep the network bests current (upsert a new result; recompute the member when a best changes or goes). SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';

CREATE OR REPLACE FUNCTION app_private.tg_workout_results__notify()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
declare
  r app_public.workout_results := case when tg_op = 'DELETE' then old else new end;
begin
  -- NOTIFY folds identical payloads within a transaction: one event per workout.
  perform pg_catalog.pg_notify('ironclad:gym:' || r.tenant_id || ':leaderboard',
    pg_catalog.json_build_object('workout_id', r.workout_id)::text);
  return null;
end;
$function$;
comment on function app_private.tg_workout_results__notify() is 'Trigger: NOTIFY ironclad:gym:<tenant_id>:leaderboard with the workout''s id when one of its results changes (ids only).';

CREATE OR REPLACE FUNCTION app_private.tg_workout_results__round_score()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$ begin new.score := round(new.score, 2); return new; end; $function$;
comment on function app_private.tg_workout_results__round_score() is 'Trigger: keeps a score to two decimals (5.125 -> 5.13, 61 -> 61.00), as numeric(10, 2) would.';

CREATE OR REPLACE FUNCTION app_private.tg_workout_results__workout_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if tg_op <> 'INSERT' and exists (
       select 1 from app_public.workout_bests b
       where b.tenant_id = old.tenant_id and b.workout_id = old.workout_id
         and b.member_id = old.member_id and b.result_id = old.id) then
    perform app_private.workout_bests_recompute(old.tenant_id, old.workout_id, array[old.member_id]);
  end if;
  if tg_op <> 'DELETE' then
    insert into app_public.workout_bests as b
      (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
    select new.tenant_id, new.workout_id, new.member_id, new.is_rx,
           case when w.scoring_type = 'time' then new.score else -new.score end, new.score, new.performed_on, new.id,
           w.is_published
    from app_public.workouts w
    where w.tenant_id = new.tenant_id and w.id = new.workout_id
    on conflict (tenant_id, workout_id, member_id) do update
      set is_rx = excluded.is_rx, sort_score = excluded.sort_score, score = excluded.score,
          performed_on = excluded.performed_on, result_id = excluded.result_id
      where (not excluded.is_rx, excluded.sort_score, excluded.performed_on)
          < (not b.is_rx, b.sort_score, b.performed_on);
  end if;
  return null;
end;
$function$;
alter function app_private.tg_workout_results__workout_bests() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_workout_results__workout_bests() is 'Trigger: keep the gym leaderboard''s bests current (upsert a new result; recompute the member when a best changes or goes). SECURITY DEFINER (system): only the system role writes workout_bests.';

CREATE OR REPLACE FUNCTION app_private.tg_workouts__network_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  perform app_shared.network_bests_workout_changed(new.tenant_id, new.id);
  return null;
end;
$function$;
comment on function app_private.tg_workouts__network_bests() is 'Trigger: recompute the network bests of the members who logged a workout when it starts or stops counting. SECURITY DEFINER (database owner): the maintenance functions are executable by the owner only.';

CREATE OR REPLACE FUNCTION app_private.tg_workouts__workout_bests()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  if new.scoring_type is distinct from old.scoring_type then
    perform app_private.workout_bests_recompute(new.tenant_id, new.id, null);
  else
    update app_public.workout_bests b set is_published = new.is_published
     where b.tenant_id = new.tenant_id and b.workout_id = new.id;
  end if;
  return null;
end;
$function$;
alter function app_private.tg_workouts__workout_bests() owner to ":ROLE_SYSTEM";
comment on function app_private.tg_workouts__workout_bests() is 'Trigger: keep the gym leaderboard''s bests of a workout in step with its scoring type and publication. SECURITY DEFINER (system): only the system role writes workout_bests.';

CREATE OR REPLACE FUNCTION app_private.token_expiry()
 RETURNS bigint
 LANGUAGE sql
 STABLE
 SET search_path TO 'pg_catalog'
AS $function$
  select extract(epoch from now() + make_interval(secs => least(900, greatest(1,
    coalesce(nullif(current_setting('ironclad.access_token_ttl', true), '')::integer, 900)))))::bigint
$function$;
grant execute on function app_private.token_expiry() to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.token_hash(token text)
 RETURNS bytea
 LANGUAGE sql
 IMMUTABLE
 SET search_path TO 'pg_catalog'
AS $function$ select sha256(convert_to(coalesce(token, ''), 'UTF8')) $function$;
grant execute on function app_private.token_hash(token text) to ":ROLE_SYSTEM";

CREATE OR REPLACE FUNCTION app_private.workout_bests_recompute(tenant_id uuid, workout_id uuid, members uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
declare
  v_tenant uuid := workout_bests_recompute.tenant_id;
  v_workout uuid := workout_bests_recompute.workout_id;
  v_members uuid[] := workout_bests_recompute.members;
begin
  delete from app_public.workout_bests b
   where b.tenant_id = v_tenant and b.workout_id = v_workout
     and (v_members is null or b.member_id = any (v_members));
  insert into app_public.workout_bests
    (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published)
  select distinct on (r.member_id)
         r.tenant_id, r.workout_id, r.member_id, r.is_rx,
         case when w.scoring_type = 'time' then r.score else -r.score end, r.score, r.performed_on, r.id, w.is_published
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  where r.tenant_id = v_tenant and r.workout_id = v_workout
    and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, r.is_rx desc, case when w.scoring_type = 'time' then r.score else -r.score end, r.performed_on;
end;
$function$;
comment on function app_private.workout_bests_recompute(tenant_id uuid, workout_id uuid, members uuid[]) is 'Recompute the best result of these members (null: all) for one workout. Called by the system role''s triggers.';
grant execute on function app_private.workout_bests_recompute(tenant_id uuid, workout_id uuid, members uuid[]) to ":ROLE_SYSTEM";

--------------------------------------------------------------------------------
-- schema app_public
--------------------------------------------------------------------------------
create schema app_public;
grant usage on schema app_public to ":ROLE_SHARED", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_MAINTENANCE";
grant usage, create on schema app_public to ":ROLE_SYSTEM";

create type app_public.accepted_invitation as (
  tenant_id uuid,
  gym_name text,
  role app_public.membership_role
);
comment on type app_public.accepted_invitation is 'The gym an accepted invitation joined, and the role held there.';

create type app_public.gym_plan as enum ('free', 'basic', 'pro');
comment on type app_public.gym_plan is 'An Ironclad subscription plan (its limits: app_public.plans).';

create type app_public.jwt_token as (
  role text,
  tenant_id uuid,
  membership_id uuid,
  membership_version integer,
  sub uuid,
  sid uuid,
  exp bigint,
  refresh_token text
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

create type app_public.membership_role as enum ('member', 'personal_trainer', 'coach', 'gym_admin');
comment on type app_public.membership_role is 'A person''s role in one gym.';

create type app_public.payment_status as enum ('pending', 'paid', 'refunded', 'failed');
comment on type app_public.payment_status is 'Where a payment stands: pending, paid, refunded or failed.';

create type app_public.platform_audit_entry as (
  id bigint,
  occurred_at timestamp with time zone,
  user_id uuid,
  operation_type text,
  operation_name text,
  document_sha256 text,
  document text,
  variables jsonb
);
comment on type app_public.platform_audit_entry is 'One audited platform-owner request (document_sha256 in hex).';

create type app_public.scoring_type as enum ('time', 'reps', 'load', 'rounds_reps');
comment on type app_public.scoring_type is 'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100).';

-- table app_public.account_events
create table app_public.account_events (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  occurred_at timestamp with time zone not null default clock_timestamp(),
  action text not null,
  actor_role text not null,
  actor_membership_id uuid,
  membership_id uuid,
  invitation_id uuid,
  email citext,
  role app_public.membership_role,
  previous_role app_public.membership_role
);
comment on table app_public.account_events is 'Audit trail of account changes in a gym (invitations, joins, role changes, removals). Append-only.';
alter table app_public.account_events add constraint account_events_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.account_events add constraint account_events_action_check CHECK ((action = ANY (ARRAY['invitation_created'::text, 'invitation_resent'::text, 'invitation_revoked'::text, 'invitation_accepted'::text, 'membership_created'::text, 'role_changed'::text, 'membership_removed'::text])));
alter table app_public.account_events add constraint account_events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE INDEX account_events_tenant_occurred_idx ON app_public.account_events USING btree (tenant_id, occurred_at);
alter table app_public.account_events enable row level security;
alter table app_public.account_events force row level security;
create policy account_events_select_admin on app_public.account_events as permissive for select
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy account_events_select_platform on app_public.account_events as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy account_events_system on app_public.account_events as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
create policy account_events_tenant on app_public.account_events as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.account_events to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert on app_public.account_events to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_public.account_events to ":ROLE_MAINTENANCE";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.account_events FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _101_append_only_truncate BEFORE TRUNCATE ON app_public.account_events FOR EACH STATEMENT EXECUTE FUNCTION app_private.tg_account_events__no_truncate();
CREATE TRIGGER _110_append_only BEFORE DELETE OR UPDATE ON app_public.account_events FOR EACH ROW EXECUTE FUNCTION app_private.tg_account_events__append_only();

-- table app_public.benchmarks
create table app_public.benchmarks (
  id uuid not null default gen_random_uuid(),
  slug citext not null,
  name text not null,
  description text not null default ''::text,
  score_type app_public.scoring_type not null,
  lower_is_better boolean generated always as ((score_type = 'time'::app_public.scoring_type)) stored not null,
  archived_at timestamp with time zone
);
comment on table app_public.benchmarks is '@global The benchmark catalog is platform-wide reference data (no gym''s data): every gym links its workouts to the same Fran.
A named benchmark workout ranked across the network.';
comment on column app_public.benchmarks.score_type is 'How a result is scored, as workouts.scoring_type: time (seconds, lower is better), reps, rounds_reps (rounds + reps/100) or load (kg); higher is better except for time.';
alter table app_public.benchmarks add constraint benchmarks_pkey PRIMARY KEY (id);
alter table app_public.benchmarks add constraint benchmarks_id_score_type_key UNIQUE (id, score_type);
alter table app_public.benchmarks add constraint benchmarks_slug_key UNIQUE (slug);
alter table app_public.benchmarks add constraint benchmarks_name_check CHECK (((length(name) >= 1) AND (length(name) <= 100)));
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
grant select, insert, update, delete on app_public.benchmarks to ":ROLE_MAINTENANCE";
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
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))));
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
grant select, insert, update, delete on app_public.bookings to ":ROLE_MAINTENANCE";
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
comment on column app_public.class_sessions.starts_at is '@behavior +orderBy +filterBy
When the class starts (the schedule is ordered by it).';
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
grant select, insert, update, delete on app_public.class_sessions to ":ROLE_MAINTENANCE";
grant insert (tenant_id, title, starts_at, duration, coach_id, workout_id, capacity) on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (booked_count) on app_public.class_sessions to ":ROLE_SYSTEM";
grant update (title, starts_at, duration, coach_id, workout_id, capacity) on app_public.class_sessions to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.class_sessions FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_check_coach AFTER INSERT OR UPDATE OF coach_id ON app_public.class_sessions FOR EACH ROW WHEN ((new.coach_id IS NOT NULL)) EXECUTE FUNCTION app_private.tg_class_sessions__check_coach();
CREATE TRIGGER _900_notify AFTER UPDATE OF booked_count ON app_public.class_sessions FOR EACH ROW WHEN ((old.booked_count IS DISTINCT FROM new.booked_count)) EXECUTE FUNCTION app_private.tg_class_sessions__notify();

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
grant select, insert, update, delete on app_public.comments to ":ROLE_MAINTENANCE";
grant insert (tenant_id, post_id, body) on app_public.comments to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (body) on app_public.comments to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.comments FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch_updated_at BEFORE UPDATE ON app_public.comments FOR EACH ROW EXECUTE FUNCTION app_private.tg__touch_updated_at();

-- table app_public.gyms
create table app_public.gyms (
  id uuid not null default gen_random_uuid(),
  name text not null,
  slug citext not null,
  plan app_public.gym_plan not null default 'free'::app_public.gym_plan,
  created_at timestamp with time zone not null default now(),
  suspended_at timestamp with time zone,
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
grant select, insert, update, delete on app_public.gyms to ":ROLE_MAINTENANCE";
grant select (id, name, network_opt_in, city, description) on app_public.gyms to ":ROLE_SHARED";
grant insert (id, name, slug, plan) on app_public.gyms to ":ROLE_SYSTEM";
grant update (member_count, staff_count) on app_public.gyms to ":ROLE_SYSTEM";
grant update (name, network_opt_in, city, description) on app_public.gyms to ":ROLE_GYM_ADMIN";
grant update (name, plan, network_opt_in, city, description) on app_public.gyms to ":ROLE_PLATFORM_OWNER";
grant references (id) on app_public.gyms to ":ROLE_SHARED";
CREATE TRIGGER _200_plan_fits BEFORE UPDATE OF plan ON app_public.gyms FOR EACH ROW EXECUTE FUNCTION app_private.tg_gyms__plan_fits();
CREATE TRIGGER _800_network_bests AFTER UPDATE OF network_opt_in ON app_public.gyms FOR EACH ROW WHEN ((old.network_opt_in IS DISTINCT FROM new.network_opt_in)) EXECUTE FUNCTION app_private.tg_gyms__network_bests();

-- table app_public.invitations
create table app_public.invitations (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  email citext not null,
  role app_public.membership_role not null,
  display_name text not null,
  token_hash bytea not null,
  expires_at timestamp with time zone not null,
  created_at timestamp with time zone not null default now(),
  last_sent_at timestamp with time zone not null default now(),
  accepted_at timestamp with time zone,
  revoked_at timestamp with time zone,
  membership_id uuid
);
comment on table app_public.invitations is 'An invitation to join the gym with a role. Created with inviteToGym, accepted by the person with acceptInvitation.';
comment on column app_public.invitations.token_hash is '@behavior -*
sha256 of the one-time token; never readable through the API.';
alter table app_public.invitations add constraint invitations_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.invitations add constraint invitations_display_name_check CHECK (((length(btrim(display_name)) >= 1) AND (length(btrim(display_name)) <= 100)));
alter table app_public.invitations add constraint invitations_email_check CHECK (((email ~ '^[^@\s]+@[^@\s]+$'::citext) AND (length((email)::text) <= 254)));
alter table app_public.invitations add constraint invitations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.invitations add constraint invitations_tenant_id_membership_id_fkey FOREIGN KEY (tenant_id, membership_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE SET NULL (membership_id);
CREATE INDEX invitations_expires_at_idx ON app_public.invitations USING btree (expires_at) WHERE (accepted_at IS NULL);
CREATE UNIQUE INDEX invitations_open_email_idx ON app_public.invitations USING btree (tenant_id, email) WHERE ((accepted_at IS NULL) AND (revoked_at IS NULL));
CREATE INDEX invitations_tenant_membership_idx ON app_public.invitations USING btree (tenant_id, membership_id);
CREATE INDEX invitations_token_hash_idx ON app_public.invitations USING btree (token_hash);
alter table app_public.invitations enable row level security;
alter table app_public.invitations force row level security;
create policy invitations_select_admin on app_public.invitations as permissive for select
  to ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy invitations_select_platform on app_public.invitations as permissive for select
  to ":ROLE_PLATFORM_OWNER"
  using (true);
create policy invitations_system on app_public.invitations as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
create policy invitations_tenant on app_public.invitations as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select, insert, update, delete on app_public.invitations to ":ROLE_SYSTEM", ":ROLE_MAINTENANCE";
grant select (tenant_id, id, email, role, display_name, expires_at, created_at, last_sent_at, accepted_at, revoked_at, membership_id) on app_public.invitations to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.invitations FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

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
grant select, insert, update, delete on app_public.membership_plans to ":ROLE_MAINTENANCE";
grant insert (tenant_id, name, price_cents, currency, billing_period, is_active) on app_public.membership_plans to ":ROLE_GYM_ADMIN";
grant update (name, price_cents, currency, billing_period, is_active) on app_public.membership_plans to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.membership_plans FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.memberships
create table app_public.memberships (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  user_id uuid not null,
  role app_public.membership_role not null,
  token_version integer not null default 1,
  display_name text not null,
  created_at timestamp with time zone not null default clock_timestamp()
);
comment on table app_public.memberships is 'Who belongs to a gym, and with which role.';
alter table app_public.memberships add constraint memberships_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.memberships add constraint memberships_tenant_id_user_id_key UNIQUE (tenant_id, user_id);
alter table app_public.memberships add constraint memberships_display_name_check CHECK (((length(btrim(display_name)) >= 1) AND (length(btrim(display_name)) <= 100)));
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
grant select, insert, update, delete on app_public.memberships to ":ROLE_MAINTENANCE";
grant select (tenant_id, id) on app_public.memberships to ":ROLE_SHARED";
grant insert (tenant_id, user_id, role, display_name) on app_public.memberships to ":ROLE_SYSTEM";
grant update (role, display_name) on app_public.memberships to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_bump_token_version BEFORE UPDATE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__bump_token_version();
CREATE TRIGGER _200_plan_limits AFTER INSERT OR DELETE OR UPDATE OF role ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__plan_limits();
CREATE TRIGGER _300_create_profile AFTER INSERT ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__create_profile();
CREATE TRIGGER _800_audit AFTER INSERT OR DELETE ON app_public.memberships FOR EACH ROW EXECUTE FUNCTION app_private.tg_memberships__audit();
CREATE TRIGGER _801_audit_role AFTER UPDATE OF role ON app_public.memberships FOR EACH ROW WHEN ((old.role IS DISTINCT FROM new.role)) EXECUTE FUNCTION app_private.tg_memberships__audit();

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
comment on column app_public.messages.created_at is '@behavior +orderBy +filterBy
When the message was sent.';
alter table app_public.messages add constraint messages_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.messages add constraint messages_body_check CHECK (((length(body) >= 1) AND (length(body) <= 5000)));
alter table app_public.messages add constraint messages_check CHECK ((sender_id <> recipient_id));
alter table app_public.messages add constraint messages_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.messages add constraint messages_tenant_id_recipient_id_fkey FOREIGN KEY (tenant_id, recipient_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.messages add constraint messages_tenant_id_sender_id_fkey FOREIGN KEY (tenant_id, sender_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX messages_tenant_id_created_at_idx ON app_public.messages USING btree (tenant_id, created_at);
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
grant select, insert, update, delete on app_public.messages to ":ROLE_MAINTENANCE";
grant insert (tenant_id, recipient_id, body) on app_public.messages to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (read_at) on app_public.messages to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.messages FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _900_notify AFTER INSERT ON app_public.messages FOR EACH ROW EXECUTE FUNCTION app_private.tg_messages__notify();

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
grant select, insert, update, delete on app_public.network_preferences to ":ROLE_MAINTENANCE";
grant select (tenant_id, membership_id, show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SHARED";
grant insert (tenant_id, membership_id, show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SYSTEM";
grant update (show_on_leaderboards, display_name) on app_public.network_preferences to ":ROLE_SYSTEM", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.network_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _200_touch BEFORE UPDATE ON app_public.network_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg_network_preferences__touch();
CREATE TRIGGER _800_network_bests AFTER INSERT OR DELETE OR UPDATE OF show_on_leaderboards, display_name ON app_public.network_preferences FOR EACH ROW EXECUTE FUNCTION app_private.tg_network_preferences__network_bests();

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
  status app_public.payment_status not null default 'paid'::app_public.payment_status,
  paid_at timestamp with time zone,
  created_at timestamp with time zone not null default now()
);
comment on table app_public.payments is '@retainOnErasure a gym must keep its accounting; erasing the member anonymises them instead
A member''s payment for a period of a membership plan. Private to the member and the gym admin.';
comment on column app_public.payments.period_start is '@behavior +orderBy +filterBy
First day of the period paid for.';
comment on column app_public.payments.status is '@behavior +orderBy +filterBy
Where the payment stands.';
comment on column app_public.payments.paid_at is '@behavior +orderBy +filterBy
When the money arrived (null while pending or failed).';
alter table app_public.payments add constraint payments_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.payments add constraint payments_amount_cents_check CHECK ((amount_cents >= 0));
alter table app_public.payments add constraint payments_check CHECK ((period_end >= period_start));
alter table app_public.payments add constraint payments_currency_check CHECK ((currency ~ '^[A-Z]{3}$'::text));
alter table app_public.payments add constraint payments_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.payments add constraint payments_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.payments add constraint payments_tenant_id_membership_plan_id_fkey FOREIGN KEY (tenant_id, membership_plan_id) REFERENCES app_public.membership_plans(tenant_id, id) ON DELETE SET NULL (membership_plan_id);
CREATE INDEX payments_tenant_id_member_id_idx ON app_public.payments USING btree (tenant_id, member_id, period_start);
CREATE INDEX payments_tenant_id_membership_plan_id_idx ON app_public.payments USING btree (tenant_id, membership_plan_id);
CREATE INDEX payments_tenant_id_paid_at_idx ON app_public.payments USING btree (tenant_id, paid_at);
CREATE INDEX payments_tenant_id_period_start_idx ON app_public.payments USING btree (tenant_id, period_start);
CREATE INDEX payments_tenant_id_status_idx ON app_public.payments USING btree (tenant_id, status);
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
grant select, insert, update, delete on app_public.payments to ":ROLE_MAINTENANCE";
grant insert (tenant_id, member_id, membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at) on app_public.payments to ":ROLE_GYM_ADMIN";
grant update (membership_plan_id, amount_cents, currency, period_start, period_end, status, paid_at) on app_public.payments to ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.payments FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.plans
create table app_public.plans (
  id app_public.gym_plan not null,
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
alter table app_public.plans add constraint plans_max_members_check CHECK ((max_members >= 0));
alter table app_public.plans add constraint plans_max_staff_check CHECK ((max_staff >= 0));
CREATE INDEX plans_sort_order_idx ON app_public.plans USING btree (sort_order);
alter table app_public.plans enable row level security;
alter table app_public.plans force row level security;
create policy plans_select on app_public.plans as permissive for select
  to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER"
  using (true);
grant select on app_public.plans to ":ROLE_SYSTEM", ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, insert, update, delete on app_public.plans to ":ROLE_MAINTENANCE";

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
  WHERE p.status = 'paid'::app_public.payment_status;
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
grant select, insert, update, delete on app_public.posts to ":ROLE_MAINTENANCE";
grant insert (tenant_id, body) on app_public.posts to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
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
grant select, insert, update, delete on app_public.profiles to ":ROLE_MAINTENANCE";
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
  value numeric not null,
  unit text not null,
  measured_on date not null default CURRENT_DATE,
  recorded_by uuid default app_hidden.current_membership_id(),
  created_at timestamp with time zone not null default now()
);
comment on table app_public.progress_metrics is 'A member''s progress measurement: body weight, body fat or a personal record (label says which lift/benchmark). Private to the member, their assigned trainers and the gym admin.';
comment on column app_public.progress_metrics.recorded_by is 'Who recorded it (the member, or their assigned trainer): always the caller that created it, never chosen by the client.';
alter table app_public.progress_metrics add constraint progress_metrics_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.progress_metrics add constraint progress_metrics_check CHECK (((kind <> 'personal_record'::text) OR (label IS NOT NULL)));
alter table app_public.progress_metrics add constraint progress_metrics_check1 CHECK (((kind <> 'body_fat'::text) OR ((unit = 'percent'::text) AND (value <= (100)::numeric))));
alter table app_public.progress_metrics add constraint progress_metrics_kind_check CHECK ((kind = ANY (ARRAY['body_weight'::text, 'body_fat'::text, 'personal_record'::text])));
alter table app_public.progress_metrics add constraint progress_metrics_label_check CHECK ((length(label) <= 200));
alter table app_public.progress_metrics add constraint progress_metrics_unit_check CHECK ((unit = ANY (ARRAY['kg'::text, 'lb'::text, 'percent'::text, 'reps'::text, 'seconds'::text, 'm'::text])));
alter table app_public.progress_metrics add constraint progress_metrics_value_finite CHECK ((value <> ALL (ARRAY['NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric])));
alter table app_public.progress_metrics add constraint progress_metrics_value_range CHECK (((value >= (0)::numeric) AND (value <= 99999999.99)));
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
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))));
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
grant select, insert, update, delete on app_public.progress_metrics to ":ROLE_MAINTENANCE";
grant insert (tenant_id, member_id, kind, label, value, unit, measured_on) on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant update (kind, label, value, unit, measured_on) on app_public.progress_metrics to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.progress_metrics FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _150_round_value BEFORE INSERT OR UPDATE OF value ON app_public.progress_metrics FOR EACH ROW EXECUTE FUNCTION app_private.tg_progress_metrics__round_value();

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
grant select, insert, update, delete on app_public.trainer_assignments to ":ROLE_MAINTENANCE";
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
grant select, insert, update, delete on app_public.users to ":ROLE_MAINTENANCE";
grant select (id, email, display_name, is_disabled, created_at) on app_public.users to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (id, email, display_name) on app_public.users to ":ROLE_SYSTEM";
grant update (display_name) on app_public.users to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (display_name, is_disabled) on app_public.users to ":ROLE_PLATFORM_OWNER";

-- table app_public.workout_bests
create table app_public.workout_bests (
  tenant_id uuid not null,
  workout_id uuid not null,
  member_id uuid not null,
  is_rx boolean not null,
  sort_score numeric not null,
  score numeric not null,
  performed_on date not null,
  result_id uuid not null,
  is_published boolean not null
);
comment on table app_public.workout_bests is '@behavior -*
Best result per member and workout, kept current by triggers; what Workout.leaderboard ranks. Read it through that field.';
alter table app_public.workout_bests add constraint workout_bests_pkey PRIMARY KEY (tenant_id, workout_id, member_id);
alter table app_public.workout_bests add constraint workout_bests_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.workout_bests add constraint workout_bests_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.workout_bests add constraint workout_bests_tenant_id_workout_id_fkey FOREIGN KEY (tenant_id, workout_id) REFERENCES app_public.workouts(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX workout_bests_board ON app_public.workout_bests USING btree (tenant_id, workout_id, is_rx DESC, sort_score, performed_on);
CREATE INDEX workout_bests_tenant_id_member_id_idx ON app_public.workout_bests USING btree (tenant_id, member_id);
alter table app_public.workout_bests enable row level security;
alter table app_public.workout_bests force row level security;
create policy workout_bests_select_published on app_public.workout_bests as permissive for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND is_published));
create policy workout_bests_select_staff on app_public.workout_bests as permissive for select
  to ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()));
create policy workout_bests_system on app_public.workout_bests as permissive for all
  to ":ROLE_SYSTEM"
  using (true)
  with check (true);
create policy workout_bests_tenant on app_public.workout_bests as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
grant select on app_public.workout_bests to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant select, delete on app_public.workout_bests to ":ROLE_SYSTEM";
grant select, insert, update, delete on app_public.workout_bests to ":ROLE_MAINTENANCE";
grant insert (tenant_id, workout_id, member_id, is_rx, sort_score, score, performed_on, result_id, is_published) on app_public.workout_bests to ":ROLE_SYSTEM";
grant update (is_rx, sort_score, score, performed_on, result_id, is_published) on app_public.workout_bests to ":ROLE_SYSTEM";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.workout_bests FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_public.workout_results
create table app_public.workout_results (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  workout_id uuid not null,
  member_id uuid not null default app_hidden.current_membership_id(),
  score numeric not null,
  is_rx boolean not null default true,
  notes text not null default ''::text,
  performed_on date not null default CURRENT_DATE,
  recorded_by uuid default app_hidden.current_membership_id(),
  created_at timestamp with time zone not null default now()
);
comment on table app_public.workout_results is 'A member''s logged score for a workout.';
comment on column app_public.workout_results.score is '@behavior +orderBy +filterBy
In the workout''s unit: seconds (time), reps, kg (load), or rounds + reps/100 (rounds_reps).';
comment on column app_public.workout_results.is_rx is '@behavior +orderBy +filterBy
True when done as prescribed (Rx), false when scaled.';
comment on column app_public.workout_results.performed_on is '@behavior +orderBy +filterBy
The day the workout was done.';
comment on column app_public.workout_results.recorded_by is 'Who logged it (the member, or their assigned trainer): always the caller that created it, never chosen by the client.';
alter table app_public.workout_results add constraint workout_results_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.workout_results add constraint workout_results_notes_check CHECK ((length(notes) <= 2000));
alter table app_public.workout_results add constraint workout_results_score_finite CHECK ((score <> ALL (ARRAY['NaN'::numeric, 'Infinity'::numeric, '-Infinity'::numeric])));
alter table app_public.workout_results add constraint workout_results_score_range CHECK (((score >= (0)::numeric) AND (score <= 99999999.99)));
alter table app_public.workout_results add constraint workout_results_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
alter table app_public.workout_results add constraint workout_results_tenant_id_member_id_fkey FOREIGN KEY (tenant_id, member_id) REFERENCES app_public.memberships(tenant_id, id) ON DELETE CASCADE;
alter table app_public.workout_results add constraint workout_results_tenant_id_recorded_by_fkey FOREIGN KEY (tenant_id, recorded_by) REFERENCES app_public.memberships(tenant_id, id) ON DELETE SET NULL (recorded_by);
alter table app_public.workout_results add constraint workout_results_tenant_id_workout_id_fkey FOREIGN KEY (tenant_id, workout_id) REFERENCES app_public.workouts(tenant_id, id) ON DELETE CASCADE;
CREATE INDEX workout_results_tenant_id_is_rx_idx ON app_public.workout_results USING btree (tenant_id, is_rx, score);
CREATE INDEX workout_results_tenant_id_member_id_idx ON app_public.workout_results USING btree (tenant_id, member_id);
CREATE INDEX workout_results_tenant_id_performed_on_idx ON app_public.workout_results USING btree (tenant_id, performed_on);
CREATE INDEX workout_results_tenant_id_recorded_by_idx ON app_public.workout_results USING btree (tenant_id, recorded_by);
CREATE INDEX workout_results_tenant_id_score_idx ON app_public.workout_results USING btree (tenant_id, score);
CREATE INDEX workout_results_tenant_id_workout_id_idx ON app_public.workout_results USING btree (tenant_id, workout_id);
alter table app_public.workout_results enable row level security;
alter table app_public.workout_results force row level security;
create policy workout_results_all_own on app_public.workout_results as permissive for all
  to ":ROLE_MEMBER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = app_hidden.current_membership_id())));
create policy workout_results_insert_trainer on app_public.workout_results as permissive for insert
  to ":ROLE_PERSONAL_TRAINER"
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))));
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
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))));
create policy workout_results_tenant on app_public.workout_results as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
create policy workout_results_update_trainer on app_public.workout_results as permissive for update
  to ":ROLE_PERSONAL_TRAINER"
  using (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))))
  with check (((tenant_id = app_hidden.current_tenant_id()) AND (member_id = ANY (app_hidden.assigned_client_ids()))));
grant select on app_public.workout_results to ":ROLE_SYSTEM", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant select, delete on app_public.workout_results to ":ROLE_MEMBER";
grant select, insert, update, delete on app_public.workout_results to ":ROLE_MAINTENANCE";
grant select (tenant_id, id, workout_id, member_id, score, is_rx, performed_on) on app_public.workout_results to ":ROLE_SHARED";
grant insert (tenant_id, workout_id, member_id, score, is_rx, notes, performed_on) on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
grant update (score, is_rx, notes, performed_on) on app_public.workout_results to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _150_round_score BEFORE INSERT OR UPDATE OF score ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg_workout_results__round_score();
CREATE TRIGGER _800_network_bests AFTER INSERT OR DELETE OR UPDATE OF workout_id, member_id, score, is_rx, performed_on ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg_workout_results__network_bests();
CREATE TRIGGER _810_workout_bests AFTER INSERT OR DELETE OR UPDATE OF workout_id, member_id, score, is_rx, performed_on ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg_workout_results__workout_bests();
CREATE TRIGGER _900_notify AFTER INSERT OR DELETE OR UPDATE ON app_public.workout_results FOR EACH ROW EXECUTE FUNCTION app_private.tg_workout_results__notify();

-- table app_public.workouts
create table app_public.workouts (
  tenant_id uuid not null default app_hidden.current_tenant_id(),
  id uuid not null default gen_random_uuid(),
  author_id uuid default app_hidden.current_membership_id(),
  title text not null,
  description text not null default ''::text,
  scoring_type app_public.scoring_type not null,
  is_published boolean not null default false,
  created_at timestamp with time zone not null default now(),
  benchmark_id uuid
);
comment on table app_public.workouts is 'A workout (programming) written by a coach: title, description, how it is scored, and whether members can see it yet.';
comment on column app_public.workouts.author_id is 'The coach (or admin) who wrote it: always the caller that created it, never chosen by the client.';
comment on column app_public.workouts.scoring_type is 'time (seconds, lower is better), reps, load (kg) or rounds_reps (rounds + reps/100, e.g. 5 rounds + 12 reps = 5.12).';
comment on column app_public.workouts.is_published is 'Drafts are visible only to coaches and the gym admin.';
comment on column app_public.workouts.benchmark_id is 'The network benchmark this workout is (e.g. Fran), if any: its results can rank on network leaderboards. The workout must score like the benchmark.';
alter table app_public.workouts add constraint workouts_pkey PRIMARY KEY (tenant_id, id);
alter table app_public.workouts add constraint workouts_description_check CHECK ((length(description) <= 10000));
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
grant select, insert, update, delete on app_public.workouts to ":ROLE_MAINTENANCE";
grant select (tenant_id, id, is_published, benchmark_id) on app_public.workouts to ":ROLE_SHARED";
grant insert (tenant_id, title, description, scoring_type, is_published, benchmark_id) on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant update (title, description, scoring_type, is_published, benchmark_id) on app_public.workouts to ":ROLE_COACH", ":ROLE_GYM_ADMIN";
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_public.workouts FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();
CREATE TRIGGER _800_network_bests AFTER UPDATE OF benchmark_id, is_published, scoring_type ON app_public.workouts FOR EACH ROW WHEN (((old.benchmark_id IS DISTINCT FROM new.benchmark_id) OR (old.is_published <> new.is_published))) EXECUTE FUNCTION app_private.tg_workouts__network_bests();
CREATE TRIGGER _810_workout_bests AFTER UPDATE OF scoring_type, is_published ON app_public.workouts FOR EACH ROW WHEN (((old.scoring_type IS DISTINCT FROM new.scoring_type) OR (old.is_published <> new.is_published))) EXECUTE FUNCTION app_private.tg_workouts__workout_bests();

CREATE OR REPLACE FUNCTION app_public.accept_invitation(token text, password text DEFAULT NULL::text)
 RETURNS app_public.accepted_invitation
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_inv app_public.invitations;
  v_user uuid;
  v_membership uuid;
  v_hash text;
  v_key app_public.invitations;
begin
  -- Found by its token (any gym), then locked by its key and checked again: on Citus a
  -- FOR UPDATE must name one shard ("could not run distributed query with FOR UPDATE").
  select i.* into v_key from app_public.invitations i
  where i.token_hash = app_private.token_hash(accept_invitation.token);
  select i.* into v_inv from app_public.invitations i
  where i.tenant_id = v_key.tenant_id and i.id = v_key.id
    and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()
  for update;
  if v_inv.id is null then
    raise exception 'This invitation link is invalid, used, revoked or expired' using errcode = 'IC020';
  end if;

  select u.id into v_user from app_public.users u where u.email = v_inv.email;
  if v_user is null then
    -- A new person: they choose their own password, now. Hashed in a statement of its own so
    -- that only the hash goes into the INSERT, which Citus sends to the workers as SQL
    -- (user_secrets is a reference table there).
    v_hash := app_private.hash_password(accept_invitation.password);
    insert into app_public.users (email, display_name) values (v_inv.email, v_inv.display_name)
      returning id into v_user;
    insert into app_private.user_secrets (user_id, password_hash)
      values (v_user, v_hash);
  elsif v_user is distinct from app_hidden.current_user_id() then
    -- An existing login is only ever joined to a gym by that person, logged in as themself:
    -- holding the link is not enough, and no password is set or changed here.
    raise exception 'Log in as the invited person to accept this invitation' using errcode = 'IC021';
  end if;

  insert into app_public.memberships (tenant_id, user_id, role, display_name)
    values (v_inv.tenant_id, v_user, v_inv.role, v_inv.display_name)
    returning id into v_membership;
  update app_public.invitations i set accepted_at = now(), membership_id = v_membership
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id;
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_accepted', v_membership, v_inv.id, v_inv.email, v_inv.role);
  return (select row(g.id, g.name, v_inv.role)::app_public.accepted_invitation from app_public.gyms g where g.id = v_inv.tenant_id);
end;
$function$;
alter function app_public.accept_invitation(token text, password text) owner to ":ROLE_SYSTEM";
comment on function app_public.accept_invitation(token text, password text) is '@anonymousOk the invited person may have no login yet; the one-time token is the credential
Accept an invitation with the token from its mail. A new email sets its password here; an existing login must be logged in as itself (no password needed). Creates the membership. SECURITY DEFINER (system): creates logins and memberships.';
grant execute on function app_public.accept_invitation(token text, password text) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.authenticate(email text, password text, tenant_id uuid DEFAULT NULL::uuid)
 RETURNS app_public.jwt_token
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_key bytea := app_private.login_key(email);
  v_throttle app_private.login_throttle;
  v_wait integer;
  v_user app_public.users;
  v_hash text;
  v_ok boolean;
  v_platform boolean;
  v_tenant uuid;
  v_sid uuid;
begin
  select t.* into v_throttle from app_private.login_throttle t
  where t.login_key = v_key and t.locked_until > now();
  if v_throttle.login_key is not null then
    -- The lock this attempt will extend to (it counts as a failure too).
    v_wait := ceil(extract(epoch from greatest(v_throttle.locked_until,
                now() + app_private.login_backoff(v_throttle.failures + 1)) - now()));
    raise exception 'Too many failed logins; try again later' using errcode = 'IC005',
      detail = format('login_key=%s retry_after=%s', encode(v_key, 'hex'), greatest(v_wait, 1));
  end if;

  select u.* into v_user from app_public.users u where u.email = authenticate.email::citext;
  select s.password_hash into v_hash from app_private.user_secrets s where s.user_id = v_user.id;
  -- A person added without a password has the unusable hash '!': treat it like no hash at all.
  if v_hash not like '$2_$%' then
    v_hash := null;
  end if;
  -- Exactly one bcrypt computation whatever the case: against the real hash, or against a
  -- fresh salt at the configured cost when there is none (result discarded).
  v_ok := crypt(coalesce(password, ''), coalesce(v_hash, gen_salt('bf', app_private.bcrypt_cost()))) = v_hash;
  if v_user.id is null or v_hash is null or v_user.is_disabled or v_ok is not true then
    raise exception 'Invalid email or password' using errcode = 'IC003',
      detail = format('login_key=%s', encode(v_key, 'hex'));
  end if;

  delete from app_private.login_throttle t where t.login_key = v_key;
  -- Hashes made at a lower cost than configured are upgraded on the next good login (crypt
  -- directly: the password already proved itself, the new-password rule is not re-applied).
  -- The new hash is computed in a statement of its own and the UPDATE gets only the value: on
  -- Citus user_secrets is a reference table, whose UPDATE is sent to the workers as SQL, with
  -- the password in it if crypt() were part of it (and Citus refuses gen_salt() there anyway).
  if substr(v_hash, 5, 2)::integer < app_private.bcrypt_cost() then
    v_hash := crypt(password, gen_salt('bf', app_private.bcrypt_cost()));
    update app_private.user_secrets s set password_hash = v_hash
    where s.user_id = v_user.id;
  end if;

  v_platform := authenticate.tenant_id is null
    and exists (select 1 from app_private.platform_owners p where p.user_id = v_user.id);
  if not v_platform then
    select m.tenant_id into v_tenant
    from app_public.memberships m
    where m.user_id = v_user.id
      and (authenticate.tenant_id is null or m.tenant_id = authenticate.tenant_id)
    order by m.created_at, m.tenant_id
    limit 1;
    if v_tenant is null then
      raise exception 'You are not a member of that gym' using errcode = 'IC004';
    end if;
    if app_private.gym_is_suspended(v_tenant) then raise exception 'This gym is suspended' using errcode = 'IC040'; end if; -- [ops: tenant lifecycle]
  end if;

  insert into app_private.sessions (user_id) values (v_user.id) returning id into v_sid;
  return app_private.issue_tokens(v_user.id, v_sid, v_tenant);
end;
$function$;
alter function app_public.authenticate(email text, password text, tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.authenticate(email text, password text, tenant_id uuid) is '@resultFieldName jwtToken
@anonymousOk logging in is how an anonymous visitor gets a token
Log in. Returns a short-lived signed JWT for your first gym (or the gym given by tenantId; platform owners get a platform-wide token) and a refresh token. SECURITY DEFINER (system): reads password hashes and memberships no visitor may read.';
grant execute on function app_public.authenticate(email text, password text, tenant_id uuid) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.change_password(current_password text, new_password text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_hash text;
begin
  select s.password_hash into v_hash from app_private.user_secrets s
  where s.user_id = app_hidden.current_user_id();
  if v_hash is null or v_hash not like '$2_$%' or crypt(coalesce(current_password, ''), v_hash) is distinct from v_hash then
    raise exception 'The current password is wrong' using errcode = 'IC003';
  end if;
  perform app_private.set_password(app_hidden.current_user_id(), new_password, app_hidden.current_session_id());
  return true;
end;
$function$;
alter function app_public.change_password(current_password text, new_password text) owner to ":ROLE_SYSTEM";
comment on function app_public.change_password(current_password text, new_password text) is 'Change your own password (the current one is required). Ends every other session of yours. SECURITY DEFINER (system): password hashes and sessions are private.';
grant execute on function app_public.change_password(current_password text, new_password text) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

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

CREATE OR REPLACE FUNCTION app_public.invite_to_gym(email text, role app_public.membership_role, display_name text, tenant_id uuid DEFAULT NULL::uuid)
 RETURNS app_public.invitations
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_tenant uuid := app_private.managed_gym(invite_to_gym.tenant_id);
  v_token text := app_private.new_token();
  v_inv app_public.invitations;
  v_full record;
begin
  -- Only a person already in THIS gym is refused: the caller can see its own members anyway.
  -- Whether the email has a login, or is in any other gym, changes nothing in the answer.
  if exists (select 1 from app_public.memberships m join app_public.users u on u.id = m.user_id
             where m.tenant_id = v_tenant and u.email = invite_to_gym.email::citext) then
    raise exception 'That person is already in this gym' using errcode = 'IC023';
  end if;
  if exists (select 1 from app_public.invitations i
             where i.tenant_id = v_tenant and i.email = invite_to_gym.email::citext
               and i.accepted_at is null and i.revoked_at is null) then
    raise exception 'That email already has an open invitation: resend or revoke it' using errcode = 'IC024';
  end if;
  -- Tell the admin now when the gym is already full for that role (acceptance re-checks it,
  -- race-safely, in the memberships plan-limit trigger).
  select g.member_count, g.staff_count, p.id as plan, p.max_members, p.max_staff into v_full
  from app_public.gyms g join app_public.plans p on p.id = g.plan where g.id = v_tenant;
  if invite_to_gym.role = 'member' and v_full.member_count >= v_full.max_members then
    raise exception 'Plan limit reached: % plan allows % members', v_full.plan, v_full.max_members
      using errcode = 'IC010', constraint = 'plan_max_members';
  elsif invite_to_gym.role <> 'member' and v_full.staff_count >= v_full.max_staff then
    raise exception 'Plan limit reached: % plan allows % staff', v_full.plan, v_full.max_staff
      using errcode = 'IC010', constraint = 'plan_max_staff';
  end if;
  insert into app_public.invitations (tenant_id, email, role, display_name, token_hash, expires_at)
    values (v_tenant, invite_to_gym.email, invite_to_gym.role, btrim(invite_to_gym.display_name),
            app_private.token_hash(v_token), now() + app_private.invitation_ttl())
    returning * into v_inv;
  perform app_private.mail_invitation(v_inv, v_token);
  perform app_private.record_account_event(v_tenant, 'invitation_created', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$function$;
alter function app_public.invite_to_gym(email text, role app_public.membership_role, display_name text, tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.invite_to_gym(email text, role app_public.membership_role, display_name text, tenant_id uuid) is 'Gym admin (own gym) or platform owner (tenantId): invite an email to join with a role and the name this gym shows for them. Mails a one-time link (valid 7 days). The answer is the same whether or not the email has a login. SECURITY DEFINER (system): writes the outbox and reads memberships by email.';
grant execute on function app_public.invite_to_gym(email text, role app_public.membership_role, display_name text, tenant_id uuid) to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

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
comment on function app_public.logout() is 'Revokes the current session (its refresh tokens too). SECURITY DEFINER (system): sessions are private.';
grant execute on function app_public.logout() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.logout_everywhere()
 RETURNS boolean
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  with ended as (
    update app_private.sessions s set revoked_at = now()
    where s.user_id = app_hidden.current_user_id() and s.revoked_at is null
    returning 1
  )
  select app_hidden.current_user_id() is not null
$function$;
alter function app_public.logout_everywhere() owner to ":ROLE_SYSTEM";
comment on function app_public.logout_everywhere() is 'End every session of yours, this one included. SECURITY DEFINER (system): sessions are private.';
grant execute on function app_public.logout_everywhere() to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

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

CREATE OR REPLACE FUNCTION app_public.memberships_email(m app_public.memberships)
 RETURNS text
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
begin
  return (select u.email::text
          from app_public.memberships mm
          join app_public.users u on u.id = mm.user_id
          where mm.tenant_id = m.tenant_id and mm.id = m.id and mm.user_id = m.user_id
            and ((mm.tenant_id = app_hidden.current_tenant_id()
                  and (app_hidden.current_app_role() = 'gym_admin' or mm.user_id = app_hidden.current_user_id()))
                 or app_hidden.current_app_role() = 'platform_owner'));
end;
$function$;
alter function app_public.memberships_email(m app_public.memberships) owner to ":ROLE_SYSTEM";
comment on function app_public.memberships_email(m app_public.memberships) is 'Contact email: visible to the gym admin, the person themself and the platform owner; NULL to everyone else. SECURITY DEFINER (system): users rows are private to their owner.';
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
  select a.id, a.occurred_at, a.user_id, a.operation_type, a.operation_name,
         encode(a.document_sha256, 'hex'), d.document, a.variables
  from app_private.platform_audit_log a
  left join app_private.platform_audit_documents d on d.sha256 = a.document_sha256
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
    select m.display_name from app_public.memberships m
    where m.tenant_id = p.tenant_id and m.id = p.membership_id
  $function$;
comment on function app_public.profiles_display_name(p app_public.profiles) is 'Display name of the person.';
grant execute on function app_public.profiles_display_name(p app_public.profiles) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.provision_gym(name text, slug text, plan app_public.gym_plan DEFAULT 'free'::app_public.gym_plan)
 RETURNS app_public.gyms
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
  insert into app_public.gyms (name, slug, plan)
    values (provision_gym.name, provision_gym.slug::citext, coalesce(provision_gym.plan, 'free'))
  returning *
$function$;
alter function app_public.provision_gym(name text, slug text, plan app_public.gym_plan) owner to ":ROLE_SYSTEM";
comment on function app_public.provision_gym(name text, slug text, plan app_public.gym_plan) is 'Platform owner: create a gym (tenant). SECURITY DEFINER (system) because no visitor role may insert gyms directly.';
grant execute on function app_public.provision_gym(name text, slug text, plan app_public.gym_plan) to ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.refresh_token(token text)
 RETURNS app_public.jwt_token
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_hash bytea := sha256(convert_to(coalesce(token, ''), 'UTF8'));
  v_row app_private.refresh_tokens;
  v_user uuid;
begin
  select r.* into v_row from app_private.refresh_tokens r where r.token_hash = v_hash for update;
  if v_row.id is not null and v_row.used_at is not null then
    raise exception 'Invalid or expired refresh token' using errcode = 'IC006',
      detail = format('reuse=%s', encode(v_hash, 'hex'));
  end if;
  select s.user_id into v_user
  from app_private.sessions s join app_public.users u on u.id = s.user_id
  where s.id = v_row.session_id and s.revoked_at is null and not u.is_disabled
    and v_row.expires_at > now()
    and case when v_row.tenant_id is null
             then exists (select 1 from app_private.platform_owners p where p.user_id = u.id)
             else exists (select 1 from app_public.memberships m
                          where m.tenant_id = v_row.tenant_id and m.id = v_row.membership_id
                            and m.user_id = u.id and m.token_version = v_row.membership_version)
        end;
  if v_user is null then
    raise exception 'Invalid or expired refresh token' using errcode = 'IC006';
  end if;
  update app_private.refresh_tokens r set used_at = now() where r.id = v_row.id;
  return app_private.issue_tokens(v_user, v_row.session_id, v_row.tenant_id);
end;
$function$;
alter function app_public.refresh_token(token text) owner to ":ROLE_SYSTEM";
comment on function app_public.refresh_token(token text) is '@resultFieldName jwtToken
@anonymousOk a client renews an expired access token with its refresh token alone
Exchange a refresh token for a new access token and refresh token (the old one is retired; presenting it again ends the session). SECURITY DEFINER (system): refresh tokens and sessions are private.';
grant execute on function app_public.refresh_token(token text) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.request_password_reset(email text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
begin
  perform app_private.queue_password_reset_request(request_password_reset.email);
  return true;
end;
$function$;
alter function app_public.request_password_reset(email text) owner to ":ROLE_SYSTEM";
comment on function app_public.request_password_reset(email text) is '@anonymousOk a person who forgot their password has no token
Mail a one-time password-reset link (valid 1 hour) if the address has an enabled login. Always returns true, known address or not, after the same work (one queued job). SECURITY DEFINER (system): visitors may not queue jobs (app_private.queue_password_reset_request).';
grant execute on function app_public.request_password_reset(email text) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.resend_invitation(invitation_id uuid)
 RETURNS app_public.invitations
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_inv app_public.invitations := app_private.open_invitation(resend_invitation.invitation_id);
  v_token text := app_private.new_token();
begin
  update app_public.invitations i
  set token_hash = app_private.token_hash(v_token), expires_at = now() + app_private.invitation_ttl(),
      last_sent_at = now()
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id
  returning * into v_inv;
  perform app_private.mail_invitation(v_inv, v_token);
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_resent', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$function$;
alter function app_public.resend_invitation(invitation_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.resend_invitation(invitation_id uuid) is 'Gym admin (own gym) or platform owner: mail an open invitation again with a new link; the old link stops working. SECURITY DEFINER (system): writes the outbox.';
grant execute on function app_public.resend_invitation(invitation_id uuid) to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.reset_password(token text, new_password text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'public'
AS $function$
declare
  v_reset app_private.password_resets;
begin
  select r.* into v_reset from app_private.password_resets r
  join app_public.users u on u.id = r.user_id
  where r.token_hash = app_private.token_hash(reset_password.token)
    and r.used_at is null and r.expires_at > now() and not u.is_disabled
  for update of r;
  if v_reset.id is null then
    raise exception 'This reset link is invalid, used or expired' using errcode = 'IC020';
  end if;
  perform app_private.set_password(v_reset.user_id, new_password, null);
  -- Every outstanding link of this person dies with the one used.
  update app_private.password_resets r set used_at = now() where r.user_id = v_reset.user_id and r.used_at is null;
  return true;
end;
$function$;
alter function app_public.reset_password(token text, new_password text) owner to ":ROLE_SYSTEM";
comment on function app_public.reset_password(token text, new_password text) is '@anonymousOk the reset link is the credential
Set a new password with the token from a reset mail. Ends every session of the person. SECURITY DEFINER (system): writes password hashes and sessions.';
grant execute on function app_public.reset_password(token text, new_password text) to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.revoke_invitation(invitation_id uuid)
 RETURNS app_public.invitations
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_inv app_public.invitations := app_private.open_invitation(revoke_invitation.invitation_id);
begin
  update app_public.invitations i set revoked_at = now()
  where i.tenant_id = v_inv.tenant_id and i.id = v_inv.id
  returning * into v_inv;
  perform app_private.record_account_event(v_inv.tenant_id, 'invitation_revoked', null, v_inv.id, v_inv.email, v_inv.role);
  return v_inv;
end;
$function$;
alter function app_public.revoke_invitation(invitation_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.revoke_invitation(invitation_id uuid) is 'Gym admin (own gym) or platform owner: withdraw an open invitation; its link stops working. SECURITY DEFINER (system): invitations are written only by these functions.';
grant execute on function app_public.revoke_invitation(invitation_id uuid) to ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

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
begin
  if app_hidden.current_session_id() is null or app_hidden.current_user_id() is null
     or not exists (select 1 from app_public.memberships m
                    where m.tenant_id = switch_gym.tenant_id and m.user_id = app_hidden.current_user_id()) then
    -- Same answer whether the gym exists or not: another gym's existence is not revealed.
    raise exception 'You are not a member of that gym' using errcode = 'IC004';
  end if;
  return app_private.issue_tokens(app_hidden.current_user_id(), app_hidden.current_session_id(), switch_gym.tenant_id);
end;
$function$;
alter function app_public.switch_gym(tenant_id uuid) owner to ":ROLE_SYSTEM";
comment on function app_public.switch_gym(tenant_id uuid) is '@resultFieldName jwtToken
Returns a token pair for another gym you belong to, with the role you hold there. SECURITY DEFINER (system): reads your memberships in other gyms, which RLS hides from the current gym''s context.';
grant execute on function app_public.switch_gym(tenant_id uuid) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_public.workouts_leaderboard(w app_public.workouts)
 RETURNS SETOF app_public.leaderboard_entry
 LANGUAGE sql
 STABLE
AS $function$
  -- The name is a subquery, not a join: a join lets the planner hash every member of the gym
  -- and sort the whole board; this way the board index is read in rank order, and the names
  -- (for ties) are fetched only for the rows the page takes.
  select (rank() over (order by b.is_rx desc, b.sort_score))::integer,
         b.member_id,
         (select m.display_name from app_public.memberships m
          where m.tenant_id = b.tenant_id and m.id = b.member_id) as display_name,
         b.score, b.is_rx, b.performed_on
  from app_public.workout_bests b
  where b.tenant_id = w.tenant_id and b.workout_id = w.id
  order by b.is_rx desc, b.sort_score, display_name
$function$;
comment on function app_public.workouts_leaderboard(w app_public.workouts) is 'The gym''s leaderboard for this workout: best result per member, ranked (Rx first). Members see each other''s scores here but not each other''s results rows; the bests it reads answer only within the caller''s gym.';
grant execute on function app_public.workouts_leaderboard(w app_public.workouts) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

--------------------------------------------------------------------------------
-- schema app_shared
--------------------------------------------------------------------------------
create schema app_shared;
grant usage on schema app_shared to ":ROLE_ANONYMOUS", ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER", ":ROLE_MAINTENANCE";
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
Last full recompute (repair) of each network leaderboard. Internal; see app_shared.leaderboard_refreshed_at().';
alter table app_shared.leaderboard_refreshes add constraint leaderboard_refreshes_pkey PRIMARY KEY (leaderboard);
alter table app_shared.leaderboard_refreshes enable row level security;
alter table app_shared.leaderboard_refreshes force row level security;
create policy leaderboard_refreshes_shared on app_shared.leaderboard_refreshes as permissive for all
  to ":ROLE_SHARED"
  using (true)
  with check (true);
CREATE TRIGGER _900_notify AFTER INSERT OR UPDATE ON app_shared.leaderboard_refreshes FOR EACH ROW EXECUTE FUNCTION app_private.tg_leaderboard_refreshes__notify();

-- table app_shared.network_best_all_time
create table app_shared.network_best_all_time (
  tenant_id uuid not null,
  membership_id uuid not null,
  benchmark_id uuid not null,
  is_rx boolean not null,
  sort_score numeric not null,
  score numeric not null,
  performed_on date not null,
  result_id uuid not null,
  display_name text not null
);
alter table app_shared.network_best_all_time owner to ":ROLE_SHARED";
comment on table app_shared.network_best_all_time is '@behavior -*
Best result per network member, benchmark and Rx/scaled, all time, kept current by triggers. Internal: read only through app_shared.network_leaderboard.';
alter table app_shared.network_best_all_time add constraint network_best_all_time_pkey PRIMARY KEY (tenant_id, membership_id, benchmark_id, is_rx);
alter table app_shared.network_best_all_time add constraint network_best_all_time_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE INDEX network_best_all_time_board ON app_shared.network_best_all_time USING btree (benchmark_id, is_rx, sort_score, performed_on);
alter table app_shared.network_best_all_time enable row level security;
alter table app_shared.network_best_all_time force row level security;
create policy network_best_all_time_shared on app_shared.network_best_all_time as permissive for all
  to ":ROLE_SHARED"
  using (true)
  with check (app_shared.gym_in_network(tenant_id));
create policy network_best_all_time_tenant on app_shared.network_best_all_time as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_shared.network_best_all_time FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

-- table app_shared.network_best_by_month
create table app_shared.network_best_by_month (
  tenant_id uuid not null,
  membership_id uuid not null,
  benchmark_id uuid not null,
  is_rx boolean not null,
  month date not null,
  sort_score numeric not null,
  score numeric not null,
  performed_on date not null,
  result_id uuid not null,
  display_name text not null
);
alter table app_shared.network_best_by_month owner to ":ROLE_SHARED";
comment on table app_shared.network_best_by_month is '@behavior -*
Best result per network member, benchmark, Rx/scaled and calendar month, kept current by triggers. Internal: read only through app_shared.network_leaderboard.';
alter table app_shared.network_best_by_month add constraint network_best_by_month_pkey PRIMARY KEY (tenant_id, membership_id, benchmark_id, is_rx, month);
alter table app_shared.network_best_by_month add constraint network_best_by_month_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES app_public.gyms(id) ON DELETE CASCADE;
CREATE INDEX network_best_by_month_board ON app_shared.network_best_by_month USING btree (benchmark_id, is_rx, month, sort_score, performed_on);
alter table app_shared.network_best_by_month enable row level security;
alter table app_shared.network_best_by_month force row level security;
create policy network_best_by_month_shared on app_shared.network_best_by_month as permissive for all
  to ":ROLE_SHARED"
  using (true)
  with check (app_shared.gym_in_network(tenant_id));
create policy network_best_by_month_tenant on app_shared.network_best_by_month as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using ((tenant_id = app_hidden.current_tenant_id()))
  with check ((tenant_id = app_hidden.current_tenant_id()));
CREATE TRIGGER _100_tenant_id_immutable BEFORE UPDATE ON app_shared.network_best_by_month FOR EACH ROW EXECUTE FUNCTION app_private.tg__tenant_id_immutable();

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
When the network leaderboards were last recomputed in full (a repair; null: not yet). The boards follow every result as it is saved. SECURITY DEFINER (shared role): the refresh log is granted to nobody.';
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

CREATE OR REPLACE FUNCTION app_shared.network_bests_add(tenant_id uuid, result_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
declare
  v_rows integer;
begin
  insert into app_shared.network_best_all_time as b
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = network_bests_add.tenant_id and r.id = network_bests_add.result_id
  on conflict (tenant_id, membership_id, benchmark_id, is_rx) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on) < (b.sort_score, b.performed_on);
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_all_time');
  end if;

  insert into app_shared.network_best_by_month as b
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = network_bests_add.tenant_id and r.id = network_bests_add.result_id
  on conflict (tenant_id, membership_id, benchmark_id, is_rx, month) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on) < (b.sort_score, b.performed_on);
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_by_month');
  end if;
end;
$function$;
alter function app_shared.network_bests_add(tenant_id uuid, result_id uuid) owner to ":ROLE_SHARED";
comment on function app_shared.network_bests_add(tenant_id uuid, result_id uuid) is '@behavior -*
Put one result on the network boards if it is its member''s best (an upsert per board). SECURITY DEFINER (shared role): reads the result under the shared role''s opt-in policies; takes ids, never scores. Executable by the database owner (the triggers) only.';
grant execute on function app_shared.network_bests_add(tenant_id uuid, result_id uuid) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_shared.network_bests_holds(tenant_id uuid, membership_id uuid, result_id uuid)
 RETURNS boolean
 LANGUAGE sql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
  select exists (select 1 from app_shared.network_best_all_time b
                 where b.tenant_id = network_bests_holds.tenant_id and b.membership_id = network_bests_holds.membership_id
                   and b.result_id = network_bests_holds.result_id)
      or exists (select 1 from app_shared.network_best_by_month b
                 where b.tenant_id = network_bests_holds.tenant_id and b.membership_id = network_bests_holds.membership_id
                   and b.result_id = network_bests_holds.result_id)
$function$;
alter function app_shared.network_bests_holds(tenant_id uuid, membership_id uuid, result_id uuid) owner to ":ROLE_SHARED";
comment on function app_shared.network_bests_holds(tenant_id uuid, membership_id uuid, result_id uuid) is '@behavior -*
True when this result is one of its member''s bests on a network board. SECURITY DEFINER (shared role): the boards are granted to nobody. Executable by the database owner (the triggers) only.';
grant execute on function app_shared.network_bests_holds(tenant_id uuid, membership_id uuid, result_id uuid) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_shared.network_bests_recompute(tenant_id uuid, members uuid[])
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
declare
  v_tenant uuid := network_bests_recompute.tenant_id;
  v_members uuid[] := network_bests_recompute.members;
begin
  delete from app_shared.network_best_all_time b
   where b.tenant_id = v_tenant and (v_members is null or b.membership_id = any (v_members));
  delete from app_shared.network_best_by_month b
   where b.tenant_id = v_tenant and (v_members is null or b.membership_id = any (v_members));

  insert into app_shared.network_best_all_time
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.member_id, w.benchmark_id, r.is_rx)
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = v_tenant and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, w.benchmark_id, r.is_rx,
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on;

  insert into app_shared.network_best_by_month
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on))
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  where r.tenant_id = v_tenant and (v_members is null or r.member_id = any (v_members))
  order by r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on),
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on;
  perform app_shared.network_boards_changed('network_best_all_time');
  perform app_shared.network_boards_changed('network_best_by_month');
end;
$function$;
alter function app_shared.network_bests_recompute(tenant_id uuid, members uuid[]) owner to ":ROLE_SHARED";
comment on function app_shared.network_bests_recompute(tenant_id uuid, members uuid[]) is '@behavior -*
Recompute the network bests of these members of a gym (null: every member) from their results. SECURITY DEFINER (shared role): reads results under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';
grant execute on function app_shared.network_bests_recompute(tenant_id uuid, members uuid[]) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_shared.network_bests_rename(tenant_id uuid, membership_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
declare
  v_name text := (select p.display_name from app_public.network_preferences p
                  where p.tenant_id = network_bests_rename.tenant_id
                    and p.membership_id = network_bests_rename.membership_id);
  v_rows integer;
begin
  if v_name is null then
    return;
  end if;
  update app_shared.network_best_all_time b set display_name = v_name
   where b.tenant_id = network_bests_rename.tenant_id and b.membership_id = network_bests_rename.membership_id
     and b.display_name is distinct from v_name;
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_all_time');
  end if;
  update app_shared.network_best_by_month b set display_name = v_name
   where b.tenant_id = network_bests_rename.tenant_id and b.membership_id = network_bests_rename.membership_id
     and b.display_name is distinct from v_name;
  get diagnostics v_rows = row_count;
  if v_rows > 0 then
    perform app_shared.network_boards_changed('network_best_by_month');
  end if;
end;
$function$;
alter function app_shared.network_bests_rename(tenant_id uuid, membership_id uuid) owner to ":ROLE_SHARED";
comment on function app_shared.network_bests_rename(tenant_id uuid, membership_id uuid) is '@behavior -*
Copy a member''s current network name onto their board lines. SECURITY DEFINER (shared role): the boards are granted to nobody; reads the name under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';
grant execute on function app_shared.network_bests_rename(tenant_id uuid, membership_id uuid) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
#variable_conflict use_column
begin
  perform app_shared.network_bests_recompute(network_bests_workout_changed.tenant_id, array(
    select distinct r.member_id from app_public.workout_results r
    where r.tenant_id = network_bests_workout_changed.tenant_id
      and r.workout_id = network_bests_workout_changed.workout_id));
end;
$function$;
alter function app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid) owner to ":ROLE_SHARED";
comment on function app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid) is '@behavior -*
Recompute the network bests of the members who logged this workout. SECURITY DEFINER (shared role): reads results under the shared role''s opt-in policies. Executable by the database owner (the triggers) only.';
grant execute on function app_shared.network_bests_workout_changed(tenant_id uuid, workout_id uuid) to ":DATABASE_OWNER";

CREATE OR REPLACE FUNCTION app_shared.network_boards_changed(leaderboard text)
 RETURNS void
 LANGUAGE sql
 SET search_path TO 'pg_catalog'
AS $function$
  select pg_catalog.pg_notify('ironclad:network:leaderboards',
    pg_catalog.json_build_object('leaderboard', network_boards_changed.leaderboard)::text)
$function$;
alter function app_shared.network_boards_changed(leaderboard text) owner to ":ROLE_SHARED";
comment on function app_shared.network_boards_changed(leaderboard text) is '@behavior -*
NOTIFY subscribers that a network board changed (its name only). Called by the maintenance functions.';

CREATE OR REPLACE FUNCTION app_shared.network_leaderboard(benchmark text, rx boolean DEFAULT true, this_month boolean DEFAULT false)
 RETURNS SETOF app_shared.network_leaderboard_entry
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  -- The benchmark is looked up first, so the board query has benchmark_id and is_rx as
  -- values: an index condition, read in sort_score order with no sort.
  v_benchmark uuid := (select b.id from app_public.benchmarks b
                       where b.slug::text = lower(network_leaderboard.benchmark));
  v_month boolean := coalesce(network_leaderboard.this_month, false);
begin
  if v_benchmark is null then
    return;
  end if;
  -- One query for both boards (the table and the month condition are the only difference).
  -- The gym (name, current opt-in) is a LATERAL primary-key lookup per line: a plain join lets
  -- the planner hash every gym of the network before the first line; LATERAL keeps it a
  -- nested loop over the ordered index scan, which stops after 100 lines and anyone tied with
  -- the 100th.
  return query execute format($q$
    select t.rank, t.display_name, t.gym_name, t.score, t.performed_on from (
      select (rank() over (order by l.sort_score))::integer as rank,
             l.display_name, o.gym_name, l.score, l.performed_on
      from app_shared.%I l
      cross join lateral (
        select g.name as gym_name
        from app_public.gyms g
        where g.id = l.tenant_id and g.network_opt_in
        limit 1 -- one row anyway; keeps the planner from flattening it into a join
      ) o
      where l.benchmark_id = $1 and l.is_rx = $2 %s
      order by l.sort_score
      fetch first 100 rows with ties
    ) t
    order by 1, 2, 3 $q$,
    case when v_month then 'network_best_by_month' else 'network_best_all_time' end,
    case when v_month then $c$and l.month = date_trunc('month', current_date)::date$c$ else '' end)
  using v_benchmark, coalesce(network_leaderboard.rx, true);
end;
$function$;
alter function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) owner to ":ROLE_SHARED";
comment on function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) is '@name network_leaderboard
@sharedSafe returns only rank, chosen display name, gym name, score and date of opted-in members of opted-in gyms (lines leave the board in the transaction that opts out; the gym''s opt-in is re-checked on every call)
The top 100 (with ties) of a benchmark''s network leaderboard (by slug, e.g. "fran"): Rx or scaled, all time or this month. Live: a result counts as soon as it is saved.';
grant execute on function app_shared.network_leaderboard(benchmark text, rx boolean, this_month boolean) to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";

CREATE OR REPLACE FUNCTION app_shared.refresh_leaderboards()
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog'
AS $function$
declare
  v_all integer;
  v_month integer;
begin
  delete from app_shared.network_best_all_time;
  insert into app_shared.network_best_all_time
    (tenant_id, membership_id, benchmark_id, is_rx, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.tenant_id, r.member_id, w.benchmark_id, r.is_rx)
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  order by r.tenant_id, r.member_id, w.benchmark_id, r.is_rx,
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on
  -- A result logged meanwhile by a committed writer already holds its key: keep the better.
  on conflict (tenant_id, membership_id, benchmark_id, is_rx) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on)
        < (network_best_all_time.sort_score, network_best_all_time.performed_on);
  get diagnostics v_all = row_count;

  delete from app_shared.network_best_by_month;
  insert into app_shared.network_best_by_month
    (tenant_id, membership_id, benchmark_id, is_rx, month, sort_score, score, performed_on, result_id, display_name)
  select distinct on (r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on))
         r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on)::date,
         case when bm.lower_is_better then r.score else -r.score end, r.score, r.performed_on, r.id, p.display_name
  from app_public.workout_results r
  join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
  join app_public.benchmarks bm on bm.id = w.benchmark_id
  join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id
  order by r.tenant_id, r.member_id, w.benchmark_id, r.is_rx, date_trunc('month', r.performed_on),
           case when bm.lower_is_better then r.score else -r.score end, r.performed_on
  on conflict (tenant_id, membership_id, benchmark_id, is_rx, month) do update
    set sort_score = excluded.sort_score, score = excluded.score,
        performed_on = excluded.performed_on, result_id = excluded.result_id
    where (excluded.sort_score, excluded.performed_on)
        < (network_best_by_month.sort_score, network_best_by_month.performed_on);
  get diagnostics v_month = row_count;

  insert into app_shared.leaderboard_refreshes (leaderboard, refreshed_at, row_count)
    values ('network_best_all_time', pg_catalog.clock_timestamp(), v_all),
           ('network_best_by_month', pg_catalog.clock_timestamp(), v_month)
    on conflict (leaderboard) do update
      set refreshed_at = excluded.refreshed_at, row_count = excluded.row_count;
  return v_all + v_month;
end;
$function$;
alter function app_shared.refresh_leaderboards() owner to ":ROLE_SHARED";
comment on function app_shared.refresh_leaderboards() is '@behavior -*
Recompute every network leaderboard in full (a repair: triggers keep them current) and record when. SECURITY DEFINER (shared role): the boards must be built under its opt-in-limited policies. Executable by the database owner (graphile-worker) only.';
grant execute on function app_shared.refresh_leaderboards() to ":DATABASE_OWNER";
