import { Client } from "pg";
import { pgSettingsFor } from "../../src/auth/pg-settings";
import type { Claims } from "../../src/auth/verify-token";
import { citusMode, citusWorkers, nodeUrl } from "../../src/db/citus";
import { TEST_BCRYPT_COST, testDb } from "../support/db";

/**
 * The Citus suites run only against a Citus database (`npm run test:citus`: CITUS=1 and
 * TEST_DATABASE_URL = the coordinator). Elsewhere jest lists them as skipped, with the reason
 * in the title; with REQUIRE_CITUS=1 a missing cluster is one explicit failure.
 */
export function citusDescribe(title: string, fn: () => void) {
  const on = citusMode();
  if (!on && process.env.REQUIRE_CITUS === "1") {
    describe(title, () => {
      it("runs on a Citus cluster (REQUIRE_CITUS=1)", () => {
        throw new Error("REQUIRE_CITUS=1 but CITUS is not set: run `npm run test:citus`");
      });
    });
    return;
  }
  (on ? describe : describe.skip)(on ? title : `${title} — skipped: not a Citus run (npm run test:citus)`, fn);
}

/** A superuser connection to this run's database on each worker. */
export async function workerClients(): Promise<Client[]> {
  const { serverRootUrl, database } = testDb();
  const clients: Client[] = [];
  for (const worker of await citusWorkers(serverRootUrl)) {
    const client = new Client({ connectionString: nodeUrl(serverRootUrl, worker, database) });
    await client.connect();
    clients.push(client);
  }
  return clients;
}

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Inside an open transaction on an authenticator connection, become `who` the Citus way: the
 * role first, in a statement of its own and before propagation is on, then every claim with
 * SET LOCAL, which Citus sends on to the workers once `citus.propagate_set_commands = 'local'`
 * (set_config(…, true) is not propagated: the shards would see no claims). Same settings as
 * src/auth builds.
 */
export async function becomeOnCitus(db: Client, who: Claims & { membershipId?: string | null }) {
  const settings = pgSettingsFor(who, testDb().roles, { bcryptCost: 4 });
  // The role is not propagated: Citus connects to the workers as the current role anyway, and
  // a propagated `SET ROLE` would be replayed on the connections a SECURITY DEFINER function
  // opens as its owner (the system role may not become a visitor role: 42501).
  await db.query(`set local role "${settings.role!.replace(/"/g, '""')}"`);
  await db.query("set local citus.propagate_set_commands = 'local'");
  for (const [key, value] of Object.entries(settings)) {
    if (key === "role") continue;
    await db.query(`set local ${key} = ${literal(value)}`);
  }
}

/** One transaction as `who` on a fresh authenticator connection, rolled back unless `commit`. */
export async function onCitusAs<T>(
  who: Claims & { membershipId?: string | null },
  fn: (db: Client) => Promise<T>,
  commit = false,
): Promise<T> {
  const db = new Client({ connectionString: testDb().authUrl });
  await db.connect();
  try {
    await db.query("begin");
    await becomeOnCitus(db, who);
    const result = await fn(db);
    await db.query(commit ? "commit" : "rollback");
    return result;
  } catch (error) {
    await db.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    await db.end();
  }
}

/**
 * Does a policy predicate (as pg_get_expr prints it) require the row's gym to be the token's?
 * True when one of its top-level AND terms is `tenant_id = app_hidden.current_tenant_id()`
 * (`id = …` on gyms, the tenant root). An OR around the check, or no check, is false.
 */
export function carriesTenantCheck(predicate: string | null, column = "tenant_id"): boolean {
  if (predicate === null) return false;
  const check = `${column} = app_hidden.current_tenant_id()`;
  return topLevelConjuncts(predicate).some((term) => unwrap(term) === check);
}

function unwrap(expr: string): string {
  let e = expr.trim();
  while (e.startsWith("(") && e.endsWith(")") && matchingParen(e, 0) === e.length - 1) e = e.slice(1, -1).trim();
  return e;
}

function matchingParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "(") depth++;
    else if (s[i] === ")" && --depth === 0) return i;
  }
  return -1;
}

function topLevelConjuncts(expr: string): string[] {
  const e = unwrap(expr);
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  let quoted = false;
  for (let i = 0; i < e.length; i++) {
    const ch = e[i];
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (depth === 0 && e.startsWith(" AND ", i)) {
      terms.push(e.slice(start, i));
      start = i + 5;
    } else if (depth === 0 && e.startsWith(" OR ", i)) {
      return []; // a top-level OR: no term holds on its own
    }
  }
  terms.push(e.slice(start));
  return terms;
}

const PLATFORM_OWNER: Claims = { role: "platform_owner", userId: null, tenantId: null, sessionId: null, membershipId: null };

/** A new gym on the cluster, provisioned by the platform owner through the policies (committed). */
export async function provisionGymOnCitus(slug: string, plan: "free" | "basic" | "pro" = "pro"): Promise<string> {
  return onCitusAs(
    PLATFORM_OWNER,
    async (db) =>
      (await db.query<{ id: string }>("select id from app_public.provision_gym($1, $2, $3)", [`Gym ${slug}`, slug, plan]))
        .rows[0]!.id,
    true,
  );
}

export interface CitusPerson extends Claims {
  email: string;
  password: string;
}

/**
 * A person already in `gymId` with `role` (the owner-only bootstrap the seed uses, committed);
 * the password is `citus-demo-password`.
 */
export async function addPersonOnCitus(gymId: string, role: Claims["role"], email: string): Promise<CitusPerson> {
  const password = "citus-demo-password";
  const db = new Client({ connectionString: testDb().ownerUrl });
  await db.connect();
  try {
    // At the test API's bcrypt cost: a lower one makes the first login upgrade the hash, an
    // UPDATE with a volatile function that Citus refuses on a reference table (docs/CITUS.md).
    await db.query(`set ironclad.bcrypt_cost = '${TEST_BCRYPT_COST}'`);
    const hash = (await db.query<{ h: string }>("select app_private.hash_password($1) as h", [password])).rows[0]!.h;
    const { rows } = await db.query<{ id: string; user_id: string }>(
      "select id, user_id from app_private.bootstrap_gym_user($1, $2, $3, $4, $5)",
      [gymId, email, email.split("@")[0], role, hash],
    );
    return { role, email, password, userId: rows[0]!.user_id, tenantId: gymId, sessionId: null, membershipId: rows[0]!.id };
  } finally {
    await db.end();
  }
}

/** The number of tasks of each distributed scan in a Citus EXPLAIN (one entry per `Task Count:` line). */
export function taskCounts(plan: { "QUERY PLAN": string }[]): number[] {
  return plan.flatMap((r) => {
    const m = /Task Count: (\d+)/.exec(r["QUERY PLAN"]);
    return m ? [Number(m[1])] : [];
  });
}
