/**
 * What a schema per role costs at startup: the time to build every visitor role's schema (in
 * parallel, as the API starts) and the process memory before and after, against a throwaway
 * freshly migrated database (TEST_DATABASE_URL, or a private embedded server). For reference,
 * the same for one role's schema alone.
 *
 *   GRAPHILE_ENV=production node --expose-gc --import tsx bench/role-schemas.ts   # TEST_DATABASE_URL=… to use a server
 */
import { createServer } from "node:http";
import express from "express";
import { Pool } from "pg";
import { postgraphile } from "postgraphile";
import { DEFAULT_JWT_AUDIENCE } from "../src/config";
import { APP_ROLES } from "../src/roles";
import { randomSecret } from "../src/db/secrets";
import { createThrowawayDatabase } from "../src/db/throwaway";
import { makePreset, sharedInstanceParts, type PresetOptions } from "../src/graphql/preset";
import { mountGraphQL } from "../src/graphql/serve";

const MB = 1024 * 1024;

function settle(): NodeJS.MemoryUsage {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with node --expose-gc (see the header of this file)");
  gc();
  gc();
  return process.memoryUsage();
}

const mb = (bytes: number) => (bytes / MB).toFixed(0);

async function main() {
  const db = await createThrowawayDatabase({ serverRootUrl: process.env.TEST_DATABASE_URL, prefix: "ironclad_bench_schemas" });
  const authPool = new Pool({ connectionString: db.authUrl, max: 10 });
  const options: PresetOptions = {
    authPool,
    roles: db.roles,
    jwtSecret: randomSecret(32),
    jwtAudience: DEFAULT_JWT_AUDIENCE,
    graphiql: false,
    introspection: false,
  };
  try {
    // Warm up: load every module and the database's catalog caches, so neither is counted.
    const shared = sharedInstanceParts(options);
    const warm = postgraphile(makePreset(options, { role: "member", ...shared }));
    await warm.getSchemaResult();
    await warm.release();

    const before = settle();
    let started = performance.now();
    const one = postgraphile(makePreset(options, { role: "member", ...shared }));
    const { schema } = await one.getSchemaResult();
    const oneMs = performance.now() - started;
    const oneMemory = settle();
    const memberTypes = Object.keys(schema.getTypeMap()).length;
    await one.release();
    shared.pgSubscriber.release();

    const baseline = settle();
    started = performance.now();
    const app = express();
    const server = createServer(app);
    const mounted = await mountGraphQL(app, server, options);
    const allMs = performance.now() - started;
    const all = settle();
    await mounted.release();

    console.log(`| built | time | RSS after (before) | heap used after (before) |`);
    console.log(`|---|---|---|---|`);
    console.log(
      `| the member's schema alone (${memberTypes} types) | ${oneMs.toFixed(0)} ms | ${mb(oneMemory.rss)} MB (${mb(before.rss)}) | ${mb(oneMemory.heapUsed)} MB (${mb(before.heapUsed)}) |`,
    );
    console.log(
      `| all ${APP_ROLES.length} roles' schemas, in parallel | ${allMs.toFixed(0)} ms | ${mb(all.rss)} MB (${mb(baseline.rss)}) | ${mb(all.heapUsed)} MB (${mb(baseline.heapUsed)}) |`,
    );
    console.log(`\nper role (ms, built concurrently): ${APP_ROLES.map((r) => `${r} ${mounted.buildTimes[r]}`).join(", ")}`);
  } finally {
    await authPool.end();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
