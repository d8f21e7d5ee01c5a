import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { Claims } from "../../src/auth/verify-token";
import { testDb } from "../support/db";
import { citusDescribe, onCitusAs } from "./support";

/**
 * Isolation smoke test on the cluster: two gyms, claims applied the Citus way (SET LOCAL, role
 * first), reads and writes through the member role. A member sees nothing of the other gym,
 * and of their own gym only the rows the policies give them (a private message: sender and
 * recipient only; with Citus's restrictive-to-permissive rewrite left in place, every member of
 * the gym would read it).
 */

interface Person extends Claims {
  email: string;
}

async function asOwner<T>(fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: testDb().ownerUrl });
  await db.connect();
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

citusDescribe("tenant isolation on the Citus cluster (SET LOCAL claims)", () => {
  const platformOwner: Claims = { role: "platform_owner", userId: null, tenantId: null, sessionId: null, membershipId: null };
  const gym: Record<"a" | "b", string> = { a: "", b: "" };
  const people: Record<string, Person> = {};

  beforeAll(async () => {
    const tag = randomUUID().slice(0, 8);
    for (const key of ["a", "b"] as const) {
      gym[key] = await onCitusAs(
        platformOwner,
        async (db) =>
          (
            await db.query<{ id: string }>("select id from app_public.provision_gym($1, $2, 'pro')", [
              `Gym ${key} ${tag}`,
              `gym-${key}-${tag}`,
            ])
          ).rows[0]!.id,
        true,
      );
    }
    await asOwner(async (db) => {
      const hash = (await db.query<{ h: string }>("select app_private.hash_password('citus-demo-password') as h")).rows[0]!.h;
      for (const [name, key] of [
        ["alice", "a"],
        ["amy", "a"],
        ["carl", "a"],
        ["bob", "b"],
        ["bea", "b"],
      ] as const) {
        const email = `${name}-${tag}@citus.test`;
        const { rows } = await db.query<{ id: string; user_id: string }>(
          "select id, user_id from app_private.bootstrap_gym_user($1, $2, $3, 'member', $4)",
          [gym[key], email, name, hash],
        );
        people[name] = {
          role: "member",
          email,
          userId: rows[0]!.user_id,
          tenantId: gym[key],
          sessionId: null,
          membershipId: rows[0]!.id,
        };
      }
    });
    // One private message in each gym, written by the member through the policies.
    const send = (from: Person, to: Person, body: string) =>
      onCitusAs(
        from,
        (db) => db.query("insert into app_public.messages (recipient_id, body) values ($1, $2)", [to.membershipId, body]),
        true,
      );
    await send(people.alice!, people.amy!, "a: alice to amy");
    await send(people.bob!, people.bea!, "b: bob to bea");
  });

  it("the recipient reads the message of their gym, and nothing of the other gym", async () => {
    const rows = await onCitusAs(
      people.amy!,
      async (db) => (await db.query<{ body: string; tenant_id: string }>("select body, tenant_id from app_public.messages")).rows,
    );
    expect(rows).toEqual([{ body: "a: alice to amy", tenant_id: gym.a }]);
  });

  it("a third member of the same gym reads no one else's message (no restrictive policy widened)", async () => {
    const rows = await onCitusAs(people.carl!, async (db) => (await db.query("select body from app_public.messages")).rows);
    expect(rows).toEqual([]);
  });

  it("asking for the other gym by its id returns nothing, on reads of every kind", async () => {
    await onCitusAs(people.alice!, async (db) => {
      expect((await db.query("select * from app_public.messages where tenant_id = $1", [gym.b])).rows).toEqual([]);
      expect((await db.query("select * from app_public.memberships where tenant_id = $1", [gym.b])).rows).toEqual([]);
      expect((await db.query("select * from app_public.gyms where id = $1", [gym.b])).rows).toEqual([]);
      const own = await db.query<{ tenant_id: string }>("select tenant_id from app_public.memberships");
      expect(own.rows.length).toBe(3);
      expect(new Set(own.rows.map((r) => r.tenant_id))).toEqual(new Set([gym.a]));
    });
  });

  it("a member cannot write into the other gym, nor name a column the grants leave out", async () => {
    // A recipient in gym B: the composite key (tenant_id, recipient_id) finds no such member of gym A.
    await expect(
      onCitusAs(people.alice!, (db) =>
        db.query("insert into app_public.messages (recipient_id, body) values ($1, 'x')", [people.bea!.membershipId]),
      ),
    ).rejects.toMatchObject({ code: "23503" });
    // Claiming gym B's tenant_id: the insert policy's tenant check refuses it.
    await expect(
      onCitusAs(people.alice!, (db) =>
        db.query("insert into app_public.messages (tenant_id, recipient_id, body) values ($1, $2, 'x')", [
          gym.b,
          people.bea!.membershipId,
        ]),
      ),
    ).rejects.toMatchObject({ code: "42501" });
    // sender_id is stamped from the token and has no INSERT grant: the coordinator still checks
    // the column grants, although the shards grant INSERT on every column (src/db/citus.ts).
    await expect(
      onCitusAs(people.alice!, (db) =>
        db.query("insert into app_public.messages (sender_id, recipient_id, body) values ($1, $2, 'x')", [
          people.amy!.membershipId,
          people.alice!.membershipId,
        ]),
      ),
    ).rejects.toMatchObject({ code: "42501", message: expect.stringContaining("permission denied") });
  });

  it("an update reaches only the member's own rows", async () => {
    const updated = await onCitusAs(
      people.carl!,
      async (db) => (await db.query("update app_public.messages set read_at = now()")).rowCount,
    );
    expect(updated).toBe(0);
    const own = await onCitusAs(
      people.amy!,
      async (db) => (await db.query("update app_public.messages set read_at = now()")).rowCount,
    );
    expect(own).toBe(1);
  });

  it("a member's query that names its gym (tenant_id = $1) is routed to one shard; RLS alone fans out", async () => {
    const tasks = (plan: { "QUERY PLAN": string }[]) => {
      const line = plan.map((r) => r["QUERY PLAN"]).find((l) => /Task Count:/.test(l));
      return Number(/Task Count: (\d+)/.exec(line ?? "")?.[1]);
    };
    await onCitusAs(people.amy!, async (db) => {
      const routed = await db.query("explain (costs off) select body from app_public.messages where tenant_id = $1", [gym.a]);
      expect(tasks(routed.rows)).toBe(1);
      // Today's cost of leaving it to the policies (docs/CITUS.md): one task per shard.
      const fanned = await db.query("explain (costs off) select body from app_public.messages");
      expect(tasks(fanned.rows)).toBeGreaterThan(1);
    });
  });
});
