/**
 * Imported first by `npm start` / `npm run dev`: Grafast reads GRAPHILE_ENV when it loads, so it
 * is decided here, before anything imports PostGraphile. NODE_ENV=production means production
 * (no development-only checks, no verbose errors); otherwise development. An explicit
 * GRAPHILE_ENV wins, and src/config.ts refuses a non-production one with NODE_ENV=production.
 */
process.env.GRAPHILE_ENV ||= process.env.NODE_ENV === "production" ? "production" : "development";
