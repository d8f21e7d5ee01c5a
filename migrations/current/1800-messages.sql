--------------------------------------------------------------------------------
-- messages: direct messages between two people of the same gym. Visible to the sender and
-- the recipient only: not to the gym admin, and not to the platform owner (it has no policy
-- here at all, unlike every other tenant table). Both ends are memberships of the same gym
-- (composite foreign keys), so a message can never cross gyms. The sender is always the
-- caller. Messages are a record: nobody edits or deletes them through the API; the
-- recipient may only mark one read.
--------------------------------------------------------------------------------
create table app_public.messages (
  tenant_id    uuid not null default app_hidden.current_tenant_id()
               references app_public.gyms (id) on delete cascade,
  id           uuid not null default gen_random_uuid(),
  sender_id    uuid not null default app_hidden.current_membership_id(),
  recipient_id uuid not null,
  body         text not null check (length(body) between 1 and 5000),
  read_at      timestamptz,
  created_at   timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, sender_id) references app_public.memberships (tenant_id, id) on delete cascade,
  foreign key (tenant_id, recipient_id) references app_public.memberships (tenant_id, id) on delete cascade,
  check (sender_id <> recipient_id)
);
comment on table app_public.messages is
  'A private message between two people in the same gym. Only the sender and the recipient can ever read it.';
create index messages_tenant_id_sender_id_idx on app_public.messages (tenant_id, sender_id, created_at);
create index messages_tenant_id_recipient_id_idx on app_public.messages (tenant_id, recipient_id, created_at);

create trigger _100_tenant_id_immutable before update on app_public.messages
  for each row execute function app_private.tg__tenant_id_immutable();

alter table app_public.messages enable row level security;
alter table app_public.messages force row level security;

create policy messages_tenant on app_public.messages as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy messages_select_sender on app_public.messages for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and sender_id = app_hidden.current_membership_id());
create policy messages_select_recipient on app_public.messages for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id());
create policy messages_insert_sender on app_public.messages for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id() and sender_id = app_hidden.current_membership_id());
create policy messages_update_recipient on app_public.messages for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and recipient_id = app_hidden.current_membership_id());
-- Deliberately no policy for the platform owner or the system role.

grant select on app_public.messages to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
grant insert (tenant_id, sender_id, recipient_id, body), update (read_at) on app_public.messages to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
