-- Run by graphile-migrate after each change to migrations/current is applied in `npm run dev`
-- (src/db/migrate.ts watchCurrentMigration): the dev API runs PostGraphile in watch mode,
-- listening on this channel, and rebuilds its GraphQL schema.
select pg_notify('postgraphile_watch', json_build_object('type', 'manual', 'source', 'graphile-migrate')::text);
