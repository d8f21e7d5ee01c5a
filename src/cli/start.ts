import "./graphile-env";
import type { Runner } from "graphile-worker";
import { loadConfig } from "../config";
import { watchCurrentMigration } from "../db/migrate";
import { prepareDatabase, seedIfEmpty, type PreparedDatabase } from "../db/prepare";
import { DEMO_PASSWORD, demoLogins } from "../db/seed";
import { createMailer } from "../mail/transport";
import { configureLogger } from "../observability/logger";
import { startApi, type RunningApi } from "../server";
import { startWorker, taskList } from "../worker";

const step = (message: string) => console.log(`  • ${message}`);

/**
 * `npm start`. Stopping: SIGTERM or SIGINT (Ctrl+C) — to this process or to the `npm start`
 * above it, which forwards the signal — stops accepting, answers requests in flight (up to
 * SHUTDOWN_TIMEOUT_MS), stops the worker, releases the pools, then stops the embedded Postgres
 * and exits 0. A second signal during the stop exits at once (status 130/143).
 */
async function main() {
  const config = loadConfig();
  // `npm run dev`: migrations/current applied on every save, the GraphQL schema rebuilt after.
  const dev = process.argv.includes("--dev");
  const log = configureLogger({ level: config.logLevel });
  // eslint-disable-next-line prefer-const -- shutdown() closes over it before it is assigned: a signal may arrive while the database starts
  let db: PreparedDatabase | undefined;
  let api: RunningApi | undefined;
  let worker: Runner | undefined;

  let stopping: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal while stopping: exiting now");
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    log.info({ signal }, "shutting down");
    stopping = (async () => {
      let code = 0;
      for (const [name, stop] of [
        ["api", () => api?.close()],
        ["worker", () => worker?.stop()],
        ["database", () => db?.stop()],
      ] as const) {
        try {
          await stop();
        } catch (error) {
          code = 1;
          log.error({ err: error }, `shutdown: stopping the ${name} failed`);
        }
      }
      log.info("stopped");
      process.exit(code);
    })();
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // npm (11) does not forward SIGTERM/SIGINT to the script it runs: it just dies, and we would
  // be orphaned, still serving. So `npm start` runs node directly (no tsx wrapper in between)
  // and, when the process that started us goes away (we are re-parented), we stop as if signalled.
  const parent = process.ppid;
  const orphanGuard = setInterval(() => {
    if (!stopping && process.ppid !== parent) {
      log.warn({ parent }, "the process that started us is gone (npm does not forward signals)");
      shutdown("SIGTERM");
    }
  }, 500);
  orphanGuard.unref();

  console.log("Ironclad: preparing the database…");
  db = await prepareDatabase(config, step, { exclusive: true });
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
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      watch: dev,
      realtimeSessionCheckMs: config.realtimeSessionCheckMs,
      // Citus: claims the way Citus hands them to its workers, tenant reads routed to one shard,
      // subscriptions hear the workers' NOTIFYs.
      ...(config.citus
        ? { transactions: { settingsStyle: "set_local" as const }, tenantRouting: true, listenOnEveryNode: true }
        : {}),
    });
    if (dev) {
      await watchCurrentMigration(db.ownerUrl);
      step("watching migrations/current (graphile-migrate); the schema reloads after each change");
    }
    if (config.worker) {
      worker = await startWorker(db.ownerUrl, { citus: config.citus });
      api.metrics.watchWorker(worker, Object.keys(taskList));
      step("graphile-worker running in this process");
      step(`mail (invitations, password resets) goes to ${createMailer(config).describe()}`);
    }
  } catch (error) {
    await worker?.stop().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await db.stop().catch(() => undefined);
    throw error;
  }
  if (stopping) return;

  console.log(`
Ironclad is running${db.embedded ? ` (embedded Postgres, data in ${config.dataDir})` : ""}.
  GraphQL   ${api.url}/graphql
  GraphiQL  ${config.graphiql ? `${api.url}/graphiql` : "(disabled)"}
  Health    ${api.url}/healthz  ${api.url}/readyz  ${api.url}/metrics
  Mail      ${createMailer(config).describe()}
`);
  if (config.seed) {
    console.log(`Demo logins (password "${DEMO_PASSWORD}"):`);
    for (const login of demoLogins()) console.log(`  ${login.email.padEnd(32)} ${login.role.padEnd(18)} ${login.gym}`);
    console.log(
      `\nIn GraphiQL: mutation { authenticate(input: {email: "coach@iron-temple.test", password: "${DEMO_PASSWORD}"}) { jwtToken refreshToken } }`,
    );
    console.log(
      'then add the header  {"Authorization": "Bearer <jwtToken>"}  and query  { currentGym { name } memberships { nodes { role displayName } } }\n',
    );
  }
  console.log("Press Ctrl+C to stop.");
}

main().catch((error) => {
  console.error("\nIronclad failed to start:", error instanceof Error ? error.message : error);
  process.exit(1);
});
