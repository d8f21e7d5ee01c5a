import { randomUUID } from "node:crypto";
import { Client, Pool, type PoolClient } from "pg";
import { pgSettingsFor } from "../../src/auth/pg-settings";
import { ANONYMOUS, type Claims } from "../../src/auth/verify-token";
import { applySettings } from "../../src/db/act-as";
import { citusMode } from "../../src/db/citus";
import { roleNamesFor } from "../../src/db/roles";
import { GYM_ROLES, type AppRole, type GymRole } from "../../src/roles";
import { DEMO_PASSWORD } from "../../src/db/seed";

/** Connection details of this run's throwaway database (see global-setup.ts). */
export function testDb() {
  const get = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the tests through jest (globalSetup).`);
    return value;
  };
  const database = get("IRONCLAD_TEST_DATABASE");
  return {
    database,
    rootUrl: get("IRONCLAD_TEST_ROOT_URL").replace(/\/[^/?]*(\?|$)/, `/${database}$1`),
    serverRootUrl: get("IRONCLAD_TEST_ROOT_URL"),
    ownerUrl: get("IRONCLAD_TEST_OWNER_URL"),
    authUrl: get("IRONCLAD_TEST_AUTH_URL"),
    jwtSecret: get("IRONCLAD_TEST_JWT_SECRET"),
    roles: roleNamesFor(database),
  };
}

const pools = new Map<string, Pool>();
function pool(url: string): Pool {
  let p = pools.get(url);
  if (!p) {
    p = new Pool({ connectionString: url, max: 4 });
    pools.set(url, p);
  }
  return p;
}

/** Close this test file's pools (registered for every file in support/after-env.ts). */
export async function closePools() {
  await Promise.all([...pools.values()].map((p) => p.end()));
  pools.clear();
}

/** Ground truth: a superuser query outside RLS, committed. Use for setup and for checking. */
export async function rootQuery<T extends object = Record<string, unknown>>(sql: string, params: unknown[] = []) {
  return (await pool(testDb().rootUrl).query<T>(sql, params)).rows;
}

/**
 * Ground-truth writes of workout results (fixtures), committed. One node: a plain superuser
 * statement, the triggers keep the boards. Citus: the result triggers cannot run on the
 * workers yet (docs/CITUS.md), so the statement runs with triggers off
 * (`session_replication_role`, sent on to the workers with SET LOCAL) and the gym boards' bests
 * are rebuilt after it.
 */
export async function rootWriteResults(sql: string, params: unknown[] = []) {
  if (!citusMode()) return rootQuery(sql, params);
  const client = await pool(testDb().rootUrl).connect();
  try {
    await client.query("begin");
    await client.query("set local citus.propagate_set_commands = 'local'");
    await client.query("set local session_replication_role = replica");
    const { rows } = await client.query(sql, params);
    await client.query("commit");
    await client.query("select app_private.rebuild_workout_bests()");
    return rows;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Run `fn` as a superuser inside a transaction that is rolled back. */
export async function withRootDb<T>(fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool(testDb().rootUrl).connect();
  try {
    await client.query("begin");
    return await fn(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** bcrypt cost used in tests (the production default is 10; 8 keeps hashing fast yet well above 1 ms). */
export const TEST_BCRYPT_COST = 8;

export type Persona = Claims & { email: string | null; label: string };

const LOCAL_PART: Record<GymRole, string> = {
  gym_admin: "admin",
  coach: "coach",
  personal_trainer: "pt",
  member: "member",
};

export const GYM_A = "iron-temple";
export const GYM_B = "harbor-barbell";
export { GYM_ROLES, type GymRole };

export async function gymId(slug: string): Promise<string> {
  const rows = await rootQuery<{ id: string }>("select id from app_public.gyms where slug = $1", [slug]);
  if (!rows[0]) throw new Error(`no gym ${slug}`);
  return rows[0].id;
}

export async function userId(email: string): Promise<string> {
  const rows = await rootQuery<{ id: string }>("select id from app_public.users where email = $1", [email]);
  if (!rows[0]) throw new Error(`no user ${email}`);
  return rows[0].id;
}

/**
 * "A coach of iron-temple", "the platform owner", "an anonymous visitor": the demo users of
 * the seed, as the claims a verified token of theirs would carry.
 */
export async function persona(role: AppRole, gymSlug: string = GYM_A, email?: string): Promise<Persona> {
  if (role === "anonymous") return { ...ANONYMOUS, email: null, label: "anonymous" };
  const sessionId = "00000000-0000-4000-8000-000000000000";
  if (role === "platform_owner") {
    const address = email ?? "owner@ironclad.test";
    return {
      role,
      userId: await userId(address),
      tenantId: null,
      sessionId,
      membershipId: null,
      email: address,
      label: "platform owner",
    };
  }
  const address = email ?? `${LOCAL_PART[role]}@${gymSlug}.test`;
  const [user, tenant] = [await userId(address), await gymId(gymSlug)];
  return {
    role,
    userId: user,
    tenantId: tenant,
    sessionId,
    membershipId: (await committedMembershipId(tenant, user)) ?? null,
    email: address,
    label: `${role} of ${gymSlug}`,
  };
}

async function committedMembershipId(tenantId: string, user: string): Promise<string | undefined> {
  const rows = await rootQuery<{ id: string }>("select id from app_public.memberships where tenant_id = $1 and user_id = $2", [
    tenantId,
    user,
  ]);
  return rows[0]?.id;
}

type Queryable = { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }> };

/**
 * A gym role's claims always name a membership in a real token. Claims built by hand with
 * `membershipId: null` get the one the user holds in that gym, as login would issue: from
 * committed data, or (inside withRootDb, where the connection is a superuser) from the
 * transaction's own uncommitted rows. A user with no membership there keeps NULL.
 */
async function withMembership(db: Queryable, who: Claims): Promise<Claims> {
  if (who.membershipId || !who.userId || !who.tenantId || who.role === "platform_owner" || who.role === "anonymous") return who;
  let id = await committedMembershipId(who.tenantId, who.userId);
  if (!id) {
    await db.query("savepoint ironclad_membership_lookup");
    try {
      const { rows } = await db.query("select id from app_public.memberships where tenant_id = $1 and user_id = $2", [
        who.tenantId,
        who.userId,
      ]);
      id = (rows[0] as { id: string } | undefined)?.id;
      await db.query("release savepoint ironclad_membership_lookup");
    } catch {
      await db.query("rollback to savepoint ironclad_membership_lookup");
    }
  }
  return { ...who, membershipId: id ?? null };
}

/**
 * Inside an open transaction, become the persona: the same transaction-local settings
 * src/auth builds for a request (role, claims, statement timeout).
 */
export async function becomePersona(db: Queryable, who: Claims) {
  const claims = await withMembership(db, who);
  // set_config on one node; on Citus, SET LOCAL with the role first (src/db/act-as.ts).
  await applySettings(db, pgSettingsFor(claims, testDb().roles, { bcryptCost: TEST_BCRYPT_COST }));
}

/**
 * Run `fn` exactly as the API would for this persona: logged in as the authenticator, in
 * one transaction, with the same settings src/auth builds — then roll everything back.
 */
export async function asPersona<T>(who: Claims, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool(testDb().authUrl).connect();
  try {
    await client.query("begin");
    await becomePersona(client, who);
    return await fn(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** Like asPersona, but returns the error Postgres raised (or throws if none). */
export async function expectPgError(
  who: Claims,
  sql: string,
  params: unknown[] = [],
): Promise<{ code: string; message: string }> {
  return asPersona(who, async (db) => {
    try {
      await db.query(sql, params);
    } catch (error) {
      const e = error as { code: string; message: string };
      return { code: e.code, message: e.message };
    }
    throw new Error(`expected an error from: ${sql}`);
  });
}

export { Client };

/**
 * Like asPersona, but COMMITS (rolls back only on error). For checks that must be confirmed
 * afterwards with rootQuery, and for setting up committed data the way the API would write it.
 */
export async function asPersonaCommitted<T>(who: Claims, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool(testDb().authUrl).connect();
  try {
    return await committedAs(client, who, fn);
  } finally {
    client.release();
  }
}

/** On an open authenticator connection: one transaction as `who`, committed (rolled back on error). */
export async function committedAs<C extends PoolClient | Client, T>(
  client: C,
  who: Claims,
  fn: (db: C) => Promise<T>,
): Promise<T> {
  try {
    await client.query("begin");
    await becomePersona(client, who);
    const result = await fn(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/** What a write attempt did: how many rows it touched, or the SQLSTATE it was refused with. */
export type WriteOutcome = { rowCount: number } | { code: string; message: string };

/**
 * Run one write as `who` and COMMIT it if Postgres accepts it, so a later rootQuery shows
 * what really happened. Never throws for a database error: returns its code instead.
 */
export async function attemptWrite(who: Claims, sql: string, params: unknown[] = []): Promise<WriteOutcome> {
  try {
    return await asPersonaCommitted(who, async (db) => ({ rowCount: (await db.query(sql, params)).rowCount ?? 0 }));
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown };
    if (typeof e.code !== "string") throw error;
    return { code: e.code, message: String(e.message) };
  }
}

export interface FreshGym {
  id: string;
  slug: string;
}

/**
 * A brand-new gym (pro plan, no limits), provisioned and committed as the platform owner. For
 * tests that commit people or changes: the demo gyms' contents stay exactly as seeded, which
 * other suites (directory bands, the leak fuzzer's "nothing changed" check) rely on.
 */
export async function createGym(): Promise<FreshGym> {
  const slug = `t-${randomUUID().slice(0, 13)}`;
  const name = `Test gym ${slug}`;
  const owner = await persona("platform_owner");
  const id = await asPersonaCommitted(
    owner,
    async (db) =>
      (await db.query<{ id: string }>("select id from app_public.provision_gym($1, $2, 'pro')", [name, slug])).rows[0]!.id,
  );
  return { id, slug };
}

export interface FreshGymUser {
  email: string;
  userId: string;
  tenantId: string;
  membershipId: string;
  role: GymRole;
}

const demoHash = new Map<string, Promise<string>>();
/** bcrypt hash of `password` (computed once per password and test file). */
function passwordHash(password: string): Promise<string> {
  let hash = demoHash.get(password);
  if (!hash) {
    hash = pool(testDb().ownerUrl)
      .query<{ hash: string }>("select app_private.hash_password($1) as hash", [password])
      .then((r) => r.rows[0]!.hash);
    demoHash.set(password, hash);
  }
  return hash;
}

/**
 * A brand-new person in `gym` (a fresh gym of its own when omitted), committed as an
 * already-accepted account through the owner-only bootstrap (app_private.bootstrap_gym_user),
 * as the seed does: no API path sets another person's password. Use it for anything a test
 * mutates (disable, remove a membership, log out…). The password is the demo password unless
 * given; `null` adds the person without one.
 */
export async function createGymUser(options: {
  role: GymRole;
  gym?: FreshGym;
  email?: string;
  password?: string | null;
  displayName?: string;
}): Promise<FreshGymUser & { gym: FreshGym }> {
  const gym = options.gym ?? (await createGym());
  const email = options.email ?? `t-${randomUUID()}@example.test`;
  const password = options.password === undefined ? DEMO_PASSWORD : options.password;
  const hash = password === null ? null : await passwordHash(password);
  const { rows } = await pool(testDb().ownerUrl).query<{ id: string; user_id: string }>(
    "select id, user_id from app_private.bootstrap_gym_user($1, $2, $3, $4, $5)",
    [gym.id, email, options.displayName ?? "Test Person", options.role, hash],
  );
  const row = rows[0]!;
  return { email, userId: row.user_id, tenantId: gym.id, membershipId: row.id, role: options.role, gym };
}

/**
 * Compare what a persona saw with the superuser's ground truth, tolerating rows that other
 * test files commit or delete concurrently: the ground truth is read before and after `seen`,
 * every row stable across both reads must be seen, and nothing outside either read may be.
 */
export async function expectSameAsGroundTruth(
  seen: () => Promise<string[]>,
  truthSql: string,
  params: unknown[] = [],
): Promise<string[]> {
  const read = async () => (await rootQuery<{ id: string }>(truthSql, params)).map((r) => r.id);
  const before = new Set(await read());
  const ids = await seen();
  const after = new Set(await read());
  const stable = [...before].filter((id) => after.has(id)).sort();
  const allowed = new Set([...before, ...after]);
  expect(ids.filter((id) => !allowed.has(id))).toEqual([]);
  expect(stable.filter((id) => !ids.includes(id))).toEqual([]);
  expect(new Set(ids).size).toBe(ids.length);
  return ids;
}
