import type { Runner } from "graphile-worker";
import { loadConfig } from "../config";
import { prepareDatabase, seedIfEmpty, type PreparedDatabase } from "../db/prepare";
import { DEMO_PASSWORD, demoLogins } from "../db/seed";
import { createMailer } from "../mail/transport";
import { startApi, type RunningApi } from "../server";
import { startWorker } from "../worker";

const step = (message: string) => console.log(`  • ${message}`);

async function main() {
  const config = loadConfig();
  console.log("Ironclad: preparing the database…");
  const db: PreparedDatabase = await prepareDatabase(config, step);
  let api: RunningApi | undefined;
  let worker: Runner | undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: shutting down…`);
    try {
      await worker?.stop();
      await api?.close();
    } finally {
      await db.stop();
      process.exit(0);
    }
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));

  try {
    if (config.seed) {
      step((await seedIfEmpty(db)) ? "loaded the demo data" : "database already has data; demo seed skipped");
    }
    api = await startApi({
      authUrl: db.authUrl,
      roles: db.roles,
      jwtSecret: db.jwtSecret,
      jwtAudience: config.jwtAudience,
      port: config.port,
      host: config.host,
      graphiql: config.graphiql,
      introspection: config.introspection,
      limits: {
        maxDepth: config.maxQueryDepth,
        maxCost: config.maxQueryCost,
        maxAliases: config.maxAliases,
        maxRootFields: config.maxRootFields,
        maxSelectionWidth: config.maxSelectionWidth,
        maxDirectives: config.maxDirectives,
        maxPageSize: config.maxPageSize,
        defaultPageSize: config.defaultPageSize,
      },
      maxRequestBytes: config.maxRequestBytes,
      corsOrigins: config.corsOrigins,
      statementTimeouts: {
        statementTimeoutMs: config.statementTimeoutMs,
        anonymousStatementTimeoutMs: config.anonymousStatementTimeoutMs,
      },
      trustedDocuments: config.trustedDocuments,
      credentials: {
        bcryptCost: config.bcryptCost,
        accessTokenTtlSeconds: config.accessTokenTtlSeconds,
        refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
      },
      loginBudget: { attempts: config.loginAddressBudget, windowSeconds: config.loginAddressWindowSeconds },
      trustProxy: config.trustProxy,
      realtimeSessionCheckMs: config.realtimeSessionCheckMs,
    });
    if (config.worker) {
      worker = await startWorker(db.ownerUrl);
      step("graphile-worker running in this process");
      step(`mail (invitations, password resets) goes to ${createMailer(config).describe()}`);
    }
  } catch (error) {
    await worker?.stop();
    await api?.close();
    await db.stop();
    throw error;
  }

  console.log(`
Ironclad is running${db.embedded ? ` (embedded Postgres, data in ${config.dataDir})` : ""}.
  GraphQL   ${api.url}/graphql
  GraphiQL  ${config.graphiql ? `${api.url}/graphiql` : "(disabled)"}
  Health    ${api.url}/healthz
  Mail      ${createMailer(config).describe()}
`);
  if (config.seed) {
    console.log(`Demo logins (password "${DEMO_PASSWORD}"):`);
    for (const login of demoLogins()) console.log(`  ${login.email.padEnd(32)} ${login.role.padEnd(18)} ${login.gym}`);
    console.log(`\nIn GraphiQL: mutation { authenticate(input: {email: "coach@iron-temple.test", password: "${DEMO_PASSWORD}"}) { jwtToken refreshToken } }`);
    console.log('then add the header  {"Authorization": "Bearer <jwtToken>"}  and query  { currentGym { name } memberships { nodes { role displayName } } }\n');
  }
  console.log("Press Ctrl+C to stop.");
}

main().catch((error) => {
  console.error("\nIronclad failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
