-- Runs as a superuser on a freshly created database (graphile-migrate reset, db:setup, tests).
-- Extensions need superuser on most servers, so they live here rather than in a migration.
create extension if not exists citext with schema public;
create extension if not exists pgcrypto with schema public;

-- Nobody but our roles may connect; nobody may create objects in `public`.
revoke all on database ":DATABASE_NAME" from public;
grant connect, temporary on database ":DATABASE_NAME" to ":DATABASE_OWNER";
grant connect on database ":DATABASE_NAME" to ":DATABASE_AUTHENTICATOR";
revoke create on schema public from public;
grant all on schema public to ":DATABASE_OWNER";
