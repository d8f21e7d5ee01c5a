/**
 * Where the benchmarks run: a separate database (BENCH_DATABASE, default `ironclad_bench`) on
 * the server at ROOT_DATABASE_URL (a superuser connection), or else on the embedded server in
 * DATA_DIR (started for the duration of the command). The generator and the baselines need a
 * superuser connection to the bench database; the API and the floor log in as its
 * authenticator, like production.
 */
import { Client } from "pg";
import { loadConfig } from "../src/config";
import { startEmbedded } from "../src/db/embedded";
import { migrateDatabase } from "../src/db/migrate";
import type { RoleNames } from "../src/db/roles";
import { loadOrCreateSecrets, randomSecret } from "../src/db/secrets";
import { dropDatabaseAndRoles, setupDatabase } from "../src/db/setup";
import { withDatabase } from "../src/db/urls";

export const BENCH_DATABASE = process.env.BENCH_DATABASE || "ironclad_bench";

export interface BenchServer {
  /** Superuser connection to the server's `postgres` database. */
  rootUrl: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function openServer(log: (m: string) => void): Promise<BenchServer> {
  const rootUrl = process.env.ROOT_DATABASE_URL;
  if (rootUrl) return { rootUrl, embedded: false, stop: async () => undefined };
  const dataDir = loadConfig().dataDir;
  const secrets = await loadOrCreateSecrets(dataDir);
  const server = await startEmbedded({ dataDir, superuserPassword: secrets.superuserPassword, log });
  return { rootUrl: server.rootUrl, embedded: true, stop: () => server.stop() };
}

export interface BenchDatabase {
  name: string;
  /** Superuser connection to the bench database (generator, baselines, EXPLAIN). */
  rootUrl: string;
  ownerUrl: string;
  authUrl: string;
  roles: RoleNames;
}

/**
 * The bench database's roles, with fresh passwords (roles.sql re-asserts them on every run,
 * so nothing needs to be stored). `fresh` drops and recreates the database and migrates it.
 */
export async function openBenchDatabase(
  serverRootUrl: string,
  name: string,
  options: { fresh: boolean; log?: (m: string) => void },
): Promise<BenchDatabase> {
  const log = options.log ?? (() => undefined);
  if (options.fresh) await dropDatabaseAndRoles(serverRootUrl, name);
  const setup = await setupDatabase({
    rootUrl: serverRootUrl,
    databaseName: name,
    ownerPassword: randomSecret(),
    authenticatorPassword: randomSecret(),
    log,
  });
  if (setup.created) await migrateDatabase(setup.ownerUrl, serverRootUrl, log);
  return {
    name,
    rootUrl: withDatabase(serverRootUrl, name),
    ownerUrl: setup.ownerUrl,
    authUrl: setup.authUrl,
    roles: setup.roles,
  };
}

/** What the generator wrote, kept as the database's comment so `npm run bench` can report it. */
export interface SeedRecord {
  preset: string;
  options: { gyms: number; members: number; results: number; skew?: number };
  seconds: number;
  counts: Record<string, number>;
  steps: { step: string; rows: number; ms: number }[];
  at: string;
}

export async function readSeedRecord(client: Client): Promise<SeedRecord | null> {
  const { rows } = await client.query<{ c: string | null }>(
    "select shobj_description(oid, 'pg_database') as c from pg_database where datname = current_database()",
  );
  try {
    return rows[0]?.c ? (JSON.parse(rows[0].c) as SeedRecord) : null;
  } catch {
    return null;
  }
}

export async function writeSeedRecord(client: Client, record: SeedRecord): Promise<void> {
  const { rows } = await client.query<{ db: string }>("select current_database() as db");
  const literal = JSON.stringify(record).replace(/'/g, "''");
  await client.query(`comment on database "${rows[0]!.db.replace(/"/g, '""')}" is '${literal}'`);
}
