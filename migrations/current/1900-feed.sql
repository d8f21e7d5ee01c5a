--------------------------------------------------------------------------------
-- The community feed: posts and comments, visible to everyone in the gym (and to the
-- platform owner for support). Anyone in the gym posts and comments as themself and edits
-- or deletes their own; the gym admin moderates (deletes anything).
--------------------------------------------------------------------------------
create table app_public.posts (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  author_id  uuid not null default app_hidden.current_membership_id(),
  body       text not null check (length(body) between 1 and 5000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.posts is 'A post on the gym''s community feed.';
create index posts_tenant_id_created_at_idx on app_public.posts (tenant_id, created_at);
create index posts_tenant_id_author_id_idx on app_public.posts (tenant_id, author_id);

create trigger _100_tenant_id_immutable before update on app_public.posts
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _200_touch_updated_at before update on app_public.posts
  for each row execute function app_private.tg__touch_updated_at();

alter table app_public.posts enable row level security;
alter table app_public.posts force row level security;

create policy posts_tenant on app_public.posts as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy posts_select on app_public.posts for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy posts_insert_own on app_public.posts for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_update_own on app_public.posts for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_delete_own on app_public.posts for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy posts_delete_admin on app_public.posts for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy posts_select_platform on app_public.posts for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.posts to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, author_id, body), update (body), delete on app_public.posts to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";

create table app_public.comments (
  tenant_id  uuid not null default app_hidden.current_tenant_id()
             references app_public.gyms (id) on delete cascade,
  id         uuid not null default gen_random_uuid(),
  post_id    uuid not null,
  author_id  uuid not null default app_hidden.current_membership_id(),
  body       text not null check (length(body) between 1 and 2000),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  foreign key (tenant_id, post_id) references app_public.posts (tenant_id, id) on delete cascade,
  foreign key (tenant_id, author_id) references app_public.memberships (tenant_id, id) on delete cascade
);
comment on table app_public.comments is 'A comment on a feed post.';
create index comments_tenant_id_post_id_idx on app_public.comments (tenant_id, post_id, created_at);
create index comments_tenant_id_author_id_idx on app_public.comments (tenant_id, author_id);

create trigger _100_tenant_id_immutable before update on app_public.comments
  for each row execute function app_private.tg__tenant_id_immutable();
create trigger _200_touch_updated_at before update on app_public.comments
  for each row execute function app_private.tg__touch_updated_at();

alter table app_public.comments enable row level security;
alter table app_public.comments force row level security;

create policy comments_tenant on app_public.comments as restrictive for all
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id())
  with check (tenant_id = app_hidden.current_tenant_id());
create policy comments_select on app_public.comments for select
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id());
create policy comments_insert_own on app_public.comments for insert
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_update_own on app_public.comments for update
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id())
  with check (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_delete_own on app_public.comments for delete
  to ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH"
  using (tenant_id = app_hidden.current_tenant_id() and author_id = app_hidden.current_membership_id());
create policy comments_delete_admin on app_public.comments for delete
  to ":ROLE_GYM_ADMIN" using (tenant_id = app_hidden.current_tenant_id());
create policy comments_select_platform on app_public.comments for select
  to ":ROLE_PLATFORM_OWNER" using (true);

grant select on app_public.comments to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN", ":ROLE_PLATFORM_OWNER";
grant insert (tenant_id, post_id, author_id, body), update (body), delete on app_public.comments to
  ":ROLE_MEMBER", ":ROLE_PERSONAL_TRAINER", ":ROLE_COACH", ":ROLE_GYM_ADMIN";
