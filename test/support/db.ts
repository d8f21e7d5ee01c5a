import { Client, Pool, type PoolClient } from "pg";
import { pgSettingsFor } from "../../src/auth/pg-settings";
import { ANONYMOUS, type Claims } from "../../src/auth/verify-token";
import { roleNamesFor, type AppRole } from "../../src/db/roles";

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

export type Persona = Claims & { email: string | null; label: string };

const LOCAL_PART: Record<Exclude<AppRole, "anonymous" | "platform_owner">, string> = {
  gym_admin: "admin",
  coach: "coach",
  personal_trainer: "pt",
  member: "member",
};

export const GYM_A = "iron-temple";
export const GYM_B = "harbor-barbell";
export const GYM_ROLES = ["member", "personal_trainer", "coach", "gym_admin"] as const;

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
    return { role, userId: await userId(address), tenantId: null, sessionId, email: address, label: "platform owner" };
  }
  const address = email ?? `${LOCAL_PART[role]}@${gymSlug}.test`;
  return {
    role,
    userId: await userId(address),
    tenantId: await gymId(gymSlug),
    sessionId,
    email: address,
    label: `${role} of ${gymSlug}`,
  };
}

/**
 * Run `fn` exactly as the API would for this persona: logged in as the authenticator, in
 * one transaction, with the same settings src/auth builds — then roll everything back.
 */
export async function asPersona<T>(who: Claims, fn: (db: PoolClient) => Promise<T>): Promise<T> {
  const { authUrl, roles } = testDb();
  const client = await pool(authUrl).connect();
  try {
    await client.query("begin");
    for (const [key, value] of Object.entries(pgSettingsFor(who, roles))) {
      await client.query("select set_config($1, $2, true)", [key, value]);
    }
    return await fn(client);
  } finally {
    await client.query("rollback");
    client.release();
  }
}

/** Like asPersona, but returns the error Postgres raised (or throws if none). */
export async function expectPgError(who: Claims, sql: string, params: unknown[] = []): Promise<{ code: string; message: string }> {
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
