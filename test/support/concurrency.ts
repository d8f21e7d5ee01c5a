import { Client } from "pg";
import type { Claims } from "../../src/auth/verify-token";
import { becomePersona, committedAs, testDb } from "./db";

/** Run `fn` as the persona on a fresh authenticator connection (not the pool), and COMMIT. */
export async function commitAsPersona<T>(who: Claims, fn: (db: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testDb().authUrl });
  await client.connect();
  try {
    return await committedAs(client, who, fn);
  } finally {
    await client.end();
  }
}

export interface RaceOutcome {
  ok: boolean;
  code?: string;
  message?: string;
  constraint?: string;
}

/**
 * N separate authenticator connections, each in its own transaction as its persona, fire
 * their statement at the same moment (all transactions are open and configured before any
 * statement is sent) and commit as soon as it returns. Returns each one's outcome.
 */
export async function race(attempts: { who: Claims; sql: string; params?: unknown[] }[]): Promise<RaceOutcome[]> {
  const { authUrl } = testDb();
  const clients = await Promise.all(
    attempts.map(async ({ who }) => {
      const client = new Client({ connectionString: authUrl });
      await client.connect();
      await client.query("begin");
      await becomePersona(client, who);
      return client;
    }),
  );
  try {
    return await Promise.all(
      attempts.map(async ({ sql, params }, i): Promise<RaceOutcome> => {
        const client = clients[i]!;
        try {
          await client.query(sql, params);
          await client.query("commit");
          return { ok: true };
        } catch (error) {
          const e = error as { code?: string; message?: string; constraint?: string };
          await client.query("rollback").catch(() => undefined);
          return { ok: false, code: e.code, message: e.message, constraint: e.constraint };
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

export const SESSION = "00000000-0000-4000-8000-000000000000";

/**
 * Claims for a membership (as a verified token of theirs would carry). The membership id is
 * filled in by becomePersona (support/db.ts) from the user's membership in that gym.
 */
export function claimsOf(role: Claims["role"], userId: string, tenantId: string | null): Claims {
  return { role, userId, tenantId, sessionId: SESSION, membershipId: null };
}
