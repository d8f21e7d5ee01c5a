import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { RunningApi } from "../../src/server";
import { gql, login, startTestApi } from "../support/api";
import { TEST_BCRYPT_COST, testDb } from "../support/db";
import { citusDescribe, provisionGymOnCitus, workerClients } from "./support";

/**
 * Passwords on the cluster. `app_private.user_secrets` is a reference table there: every write
 * to it is sent to each worker as SQL, so a password computed into a hash inside the statement
 * (`set password_hash = crypt(password, gen_salt(…))`) would travel to the workers, and Citus
 * refuses gen_salt() in an UPDATE of a reference table anyway. The functions hash on the
 * coordinator first and write the value.
 *
 * What the workers received is read on the workers themselves: for this database only,
 * `log_statement = 'all'` (every statement, with its parameters: Citus sends some values as
 * parameters, which `citus.log_remote_commands` on the coordinator would not show), and each
 * worker's own server log, read through SQL from where it stood before the test.
 */

/** A worker's server log: pg_current_logfile() with the logging collector, else its stderr (pg_ctl -l). */
interface WorkerLog {
  client: Client;
  path: string;
  from: number;
}

async function openLog(client: Client): Promise<WorkerLog> {
  const { rows } = await client.query<{ path: string; size: string }>(
    `select p.path, (pg_stat_file(p.path)).size::text as size
       from (select coalesce(pg_current_logfile('stderr'), '/proc/self/fd/2') as path) p`,
  );
  return { client, path: rows[0]!.path, from: Number(rows[0]!.size) };
}

/** Everything the worker logged since `openLog` (all databases; our passwords are unique strings). */
async function readLog(log: WorkerLog): Promise<string> {
  const { rows } = await log.client.query<{ text: string }>(
    "select pg_read_file($1, $2, greatest((pg_stat_file($1)).size - $2, 0)) as text",
    [log.path, log.from],
  );
  return rows[0]!.text;
}

citusDescribe("passwords on the Citus cluster never reach the workers", () => {
  let api: RunningApi;
  let root: Client;
  let workers: Client[] = [];
  let gymId = "";
  const tag = randomUUID().slice(0, 8);
  const { database } = testDb();

  const rootQuery = async <T extends object>(text: string, values: unknown[] = []) => (await root.query<T>(text, values)).rows;
  const hashOf = async (email: string) =>
    (
      await rootQuery<{ h: string }>(
        "select s.password_hash as h from app_private.user_secrets s join app_public.users u on u.id = s.user_id where u.email = $1",
        [email],
      )
    )[0]!.h;

  /** Runs `act` while the workers log every statement of this database; returns what they logged. */
  async function workersLogDuring(act: () => Promise<void>): Promise<string> {
    const logs = await Promise.all(workers.map(openLog));
    await act();
    return (await Promise.all(logs.map(readLog))).join("\n");
  }

  /** A login with a hash made at `cost` (below the API's, so the first good login upgrades it). */
  async function personWithHash(email: string, password: string, cost: number): Promise<void> {
    const owner = new Client({ connectionString: testDb().ownerUrl });
    await owner.connect();
    try {
      await owner.query(`set ironclad.bcrypt_cost = '${cost}'`);
      const hash = (await owner.query<{ h: string }>("select app_private.hash_password($1) as h", [password])).rows[0]!.h;
      await owner.query("select app_private.bootstrap_gym_user($1, $2, $3, 'member', $4)", [gymId, email, "Low cost", hash]);
    } finally {
      await owner.end();
    }
  }

  beforeAll(async () => {
    root = new Client({ connectionString: testDb().rootUrl });
    await root.connect();
    workers = await workerClients();
    // Before the API opens its connections: a setting of the database applies from the next
    // connection on, and Citus keeps its worker connections per coordinator backend.
    for (const w of workers) {
      // On the worker itself, not propagated (Citus refuses propagated DDL from a worker).
      await w.query("set citus.enable_ddl_propagation = off");
      await w.query(`alter database "${database}" set log_statement = 'all'`);
      await w.query(`alter database "${database}" set log_parameter_max_length = -1`);
    }
    gymId = await provisionGymOnCitus(`passwords-${tag}`);
    api = await startTestApi();
  });

  afterAll(async () => {
    await api?.close();
    for (const w of workers) {
      await w.query(`alter database "${database}" reset log_statement`).catch(() => undefined);
      await w.query(`alter database "${database}" reset log_parameter_max_length`).catch(() => undefined);
      await w.end();
    }
    await root?.end();
  });

  it("a hash below the configured cost is upgraded at login; the workers get the new hash, never the password", async () => {
    const email = `low-${tag}@citus.test`;
    const password = `pw-login-${randomUUID()}`;
    await personWithHash(email, password, 4);
    expect((await hashOf(email)).slice(0, 7)).toBe("$2a$04$");

    let token = "";
    const logged = await workersLogDuring(async () => {
      token = await login(api, email, password);
    });
    expect(token).toBeTruthy();
    const upgraded = await hashOf(email);
    expect(upgraded.slice(0, 7)).toBe(`$2a$${String(TEST_BCRYPT_COST).padStart(2, "0")}$`);
    // The UPDATE did reach the workers (their copies hold the new hash), and the capture saw it …
    for (const w of workers) {
      const copy = await w.query<{ h: string }>(
        "select s.password_hash as h from app_private.user_secrets s join app_public.users u on u.id = s.user_id where u.email = $1",
        [email],
      );
      expect(copy.rows[0]?.h).toBe(upgraded);
    }
    expect(logged).toContain(upgraded);
    // … and nothing they received holds the password.
    expect(logged).not.toContain(password);
    // The upgraded hash checks the same password.
    expect(await login(api, email, password)).toBeTruthy();
  });

  it("change password: the new password is hashed on the coordinator; neither password reaches a worker", async () => {
    const email = `change-${tag}@citus.test`;
    const old = `pw-old-${randomUUID()}`;
    const next = `pw-new-${randomUUID()}`;
    await personWithHash(email, old, TEST_BCRYPT_COST);
    const token = await login(api, email, old);
    const before = await hashOf(email);
    const logged = await workersLogDuring(async () => {
      const res = await gql(
        api,
        `mutation ($old: String!, $next: String!) { changePassword(input: { currentPassword: $old, newPassword: $next }) { result } }`,
        { old, next },
        token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.changePassword.result).toBe(true);
    });
    const after = await hashOf(email);
    expect(after).not.toBe(before);
    expect(logged).toContain(after);
    expect(logged).not.toContain(old);
    expect(logged).not.toContain(next);
    expect(await login(api, email, next)).toBeTruthy();
  });

  it("reset password with a mailed token: neither the new password nor the token reaches a worker", async () => {
    const email = `reset-${tag}@citus.test`;
    const next = `pw-reset-${randomUUID()}`;
    await personWithHash(email, `pw-forgotten-${randomUUID()}`, TEST_BCRYPT_COST);
    // The token a reset mail would carry (the mail itself is the worker task's business).
    const resetToken = `reset-${randomUUID()}`;
    await rootQuery(
      `insert into app_private.password_resets (user_id, token_hash, expires_at)
       select u.id, app_private.token_hash($2), now() + interval '1 hour' from app_public.users u where u.email = $1`,
      [email, resetToken],
    );
    const before = await hashOf(email);
    const logged = await workersLogDuring(async () => {
      const res = await gql(
        api,
        `mutation ($token: String!, $next: String!) { resetPassword(input: { token: $token, newPassword: $next }) { result } }`,
        { token: resetToken, next },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.resetPassword.result).toBe(true);
    });
    const after = await hashOf(email);
    expect(after).not.toBe(before);
    expect(logged).toContain(after);
    expect(logged).not.toContain(next);
    // Nor the reset token (its hash is computed on the coordinator, then looked up).
    expect(logged).not.toContain(resetToken);
    expect(await login(api, email, next)).toBeTruthy();
  });

  it("accepting an invitation as a new person: neither the chosen password nor the token reaches a worker", async () => {
    const email = `invited-${tag}@citus.test`;
    const password = `pw-invited-${randomUUID()}`;
    // The invitation a gym admin's inviteToGym makes (its mail is the worker task's business).
    const invitationToken = `invite-${randomUUID()}`;
    await rootQuery(
      `insert into app_public.invitations (tenant_id, email, role, display_name, token_hash, expires_at)
       values ($1, $2, 'member', 'Invited', app_private.token_hash($3), now() + interval '1 day')`,
      [gymId, email, invitationToken],
    );
    const logged = await workersLogDuring(async () => {
      const res = await gql(
        api,
        `mutation ($token: String!, $password: String!) { acceptInvitation(input: { token: $token, password: $password }) { result { role } } }`,
        { token: invitationToken, password },
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.acceptInvitation.result).toEqual({ role: "MEMBER" });
    });
    expect(logged).toContain(await hashOf(email));
    expect(logged).not.toContain(password);
    // Nor the invitation's token (its hash is computed on the coordinator, then looked up).
    expect(logged).not.toContain(invitationToken);
    expect(await login(api, email, password)).toBeTruthy();
  });
});
