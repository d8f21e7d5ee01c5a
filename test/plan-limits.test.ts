/**
 * Plan limits (app_public.plans) are enforced by the database: a trigger on memberships
 * counts members and staff on the gym row and refuses a membership beyond the plan with
 * IC010, race-safely, and that code reaches the GraphQL client.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { citusMode } from "../src/db/citus";
import { TINY_BOX_MEMBERS } from "../src/db/seed";
import { gql, login, startTestApi } from "./support/api";
import { claimsOf, commitAsPersona, race } from "./support/concurrency";
import { asPersona, createGymUser, expectPgError, persona, rootQuery, testDb, withRootDb } from "./support/db";
import { latestToken } from "./support/mail";

/** Invite (email, display name, role[, gym]): refused at once when the gym is full for that role. */
const ADD = "select id from app_public.invite_to_gym($1, $3, $2, $4)";

/**
 * A fresh free gym, committed, with an admin and `members` members (30: exactly at the limit).
 * The tests that change a full gym make one write per committed transaction, as a request does:
 * on Citus a write and then a SECURITY DEFINER function reading the same gym in one transaction
 * is refused ("modified in this transaction by a different user", 25001), so the same steps run
 * on both setups.
 */
async function freeGym(prefix: string, members: number) {
  const slug = `${prefix}-${randomUUID().slice(0, 8)}`;
  const gym = await commitAsPersona(
    await persona("platform_owner"),
    async (db) =>
      (await db.query<{ id: string }>("select id from app_public.provision_gym($1, $2, 'free')", [`Gym ${slug}`, slug])).rows[0]!
        .id,
  );
  const adminUser = (await createGymUser({ role: "gym_admin", gym: { id: gym, slug } })).userId;
  for (let i = 1; i <= members; i++) await createGymUser({ role: "member", gym: { id: gym, slug }, password: null });
  return { gym, slug, admin: claimsOf("gym_admin", adminUser, gym) };
}

describe("plan limits", () => {
  it("plans are a global table with the documented limits, and gyms.plan references it", async () => {
    const anonymous = await persona("anonymous");
    const plans = await asPersona(
      anonymous,
      async (db) => (await db.query("select id, max_members, max_staff from app_public.plans order by sort_order")).rows,
    );
    expect(plans).toEqual([
      { id: "free", max_members: 30, max_staff: 2 },
      { id: "basic", max_members: 200, max_staff: null },
      { id: "pro", max_members: null, max_staff: null },
    ]);
    // A plan is a gym_plan value (an unknown one is not even a value) whose limits row exists.
    const owner = await persona("platform_owner");
    const err = await expectPgError(owner, "update app_public.gyms set plan = 'platinum' where slug = 'iron-temple'");
    expect(err.code).toBe("22P02");
    const orphaned = await withRootDb(async (db) => {
      try {
        await db.query("delete from app_public.plans where id = 'pro'");
      } catch (error) {
        return (error as { code: string }).code;
      }
      return "deleted";
    });
    expect(orphaned).toBe("23503"); // gyms.plan references plans: a plan in use keeps its limits
  });

  it("tiny-box is seeded exactly at the free plan's member limit", async () => {
    const rows = await rootQuery<{ plan: string; member_count: number; staff_count: number; members: string }>(
      `select g.plan, g.member_count, g.staff_count,
              (select count(*) from app_public.memberships m where m.tenant_id = g.id and m.role = 'member') as members
       from app_public.gyms g where g.slug = 'tiny-box'`,
    );
    expect(rows).toEqual([{ plan: "free", member_count: TINY_BOX_MEMBERS, staff_count: 2, members: String(TINY_BOX_MEMBERS) }]);
  });

  it("the 31st member of a free gym is refused with IC010, naming the limit", async () => {
    const admin = await persona("gym_admin", "tiny-box");
    const err = await expectPgError(admin, ADD, ["one-too-many@example.test", "One Too Many", "member", null]);
    expect(err).toEqual({ code: "IC010", message: "Plan limit reached: free plan allows 30 members" });
  });

  it("the free plan's staff limit holds too, including when a member is promoted", async () => {
    const admin = await persona("gym_admin", "tiny-box");
    const err = await expectPgError(admin, ADD, ["extra-coach@example.test", "Extra Coach", "coach", null]);
    expect(err).toEqual({ code: "IC010", message: "Plan limit reached: free plan allows 2 staff" });
    const promote = await expectPgError(
      admin,
      "update app_public.memberships set role = 'coach' where id = (select id from app_public.memberships where role = 'member' limit 1)",
    );
    expect(promote).toEqual({ code: "IC010", message: "Plan limit reached: free plan allows 2 staff" });
  });

  it("removing a member frees the place; the counters follow", async () => {
    const { slug, admin } = await freeGym("frees", 30);
    const full = await expectPgError(admin, ADD, [`late@${slug}.test`, "Late", "member", null]);
    expect(full).toEqual({ code: "IC010", message: "Plan limit reached: free plan allows 30 members" });
    const counts = await commitAsPersona(admin, async (db) => {
      await db.query(
        "delete from app_public.memberships where id = (select id from app_public.memberships where role = 'member' limit 1)",
      );
      return (await db.query("select member_count, staff_count from app_public.gyms")).rows;
    });
    expect(counts).toEqual([{ member_count: 29, staff_count: 1 }]);
    // The freed place admits the next invitation (refused before the delete, above).
    const invited = await commitAsPersona(admin, (db) =>
      db.query(ADD, [`replacement@${slug}.test`, "Replacement", "member", null]),
    );
    expect(invited.rowCount).toBe(1);
  });

  it("pro is unlimited; basic is not; a plan change must fit the gym (platform owner only)", async () => {
    const owner = await persona("platform_owner");
    // iron-temple has 5 staff: it cannot move to free.
    const down = await expectPgError(owner, "update app_public.gyms set plan = 'free' where slug = 'iron-temple'");
    expect(down).toEqual({ code: "IC010", message: "Plan limit reached: free plan allows 2 staff" });
    const { slug, admin } = await freeGym("upgrade", 30);
    // A gym admin cannot change the plan at all.
    const err = await expectPgError(admin, "update app_public.gyms set plan = 'pro'");
    expect(err.code).toBe("42501");
    const res = await commitAsPersona(owner, (db) => db.query("update app_public.gyms set plan = 'pro' where slug = $1", [slug]));
    expect(res.rowCount).toBe(1);
    // On pro the 31st member is welcome.
    await commitAsPersona(admin, (db) => db.query(ADD, [`now-allowed@${slug}.test`, "Now Allowed", "member", null]));
  });

  it("10 people accepting invitations at the same moment never overshoot the limit; the losers get IC010", async () => {
    // A fresh free gym with 28 members, committed: 2 places left, and 10 open invitations.
    const { gym, slug, admin } = await freeGym("race", 28);
    await commitAsPersona(admin, async (db) => {
      for (let i = 0; i < 10; i++) await db.query(ADD, [`racer${i}@${slug}.test`, `Racer ${i}`, "member", null]);
    });
    const tokens: string[] = [];
    for (let i = 0; i < 10; i++) tokens.push(await latestToken(`racer${i}@${slug}.test`));
    const anonymous = await persona("anonymous");
    const outcomes = await race(
      tokens.map((token) => ({
        who: anonymous,
        sql: "select app_public.accept_invitation($1, 'racer-password')",
        params: [token],
      })),
    );
    const winners = outcomes.filter((o) => o.ok);
    const losers = outcomes.filter((o) => !o.ok);
    expect(winners).toHaveLength(2);
    // Citus hands on a worker's error with its SQLSTATE and message but without the constraint name.
    expect(losers.map((o) => [o.code, o.message, o.constraint])).toEqual(
      Array(8).fill(["IC010", "Plan limit reached: free plan allows 30 members", citusMode() ? undefined : "plan_max_members"]),
    );
    const [counts] = await rootQuery<{ member_count: number; members: string }>(
      `select g.member_count, (select count(*) from app_public.memberships m where m.tenant_id = g.id and m.role = 'member') as members
       from app_public.gyms g where g.id = $1`,
      [gym],
    );
    expect(counts).toEqual({ member_count: 30, members: "30" });
  });

  it("10 people joining a gym with 2 places left at the same moment: exactly 2 get in, the rest get IC010", async () => {
    // The same plan-limit trigger as acceptance, reached through the owner-only bootstrap (no
    // mail involved, so it runs on the cluster too): 10 connections, each in its own
    // transaction, add a member to a free gym with 28 at the same moment.
    const { gym, slug } = await freeGym("join", 28);
    const clients = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const client = new Client({ connectionString: testDb().ownerUrl });
        await client.connect();
        await client.query("begin");
        return client;
      }),
    );
    const outcomes = await Promise.all(
      clients.map(async (client, i) => {
        try {
          await client.query("select app_private.bootstrap_gym_user($1, $2, $3, 'member', null)", [
            gym,
            `joiner${i}@${slug}.test`,
            `Joiner ${i}`,
          ]);
          await client.query("commit");
          return "ok";
        } catch (error) {
          await client.query("rollback").catch(() => undefined);
          const e = error as { code?: string; message?: string };
          return `${e.code} ${e.message}`;
        } finally {
          await client.end();
        }
      }),
    );
    expect(outcomes.filter((o) => o === "ok")).toHaveLength(2);
    expect(outcomes.filter((o) => o !== "ok")).toEqual(Array(8).fill("IC010 Plan limit reached: free plan allows 30 members"));
    const [counts] = await rootQuery<{ member_count: number; members: string }>(
      `select g.member_count, (select count(*) from app_public.memberships m where m.tenant_id = g.id and m.role = 'member') as members
       from app_public.gyms g where g.id = $1`,
      [gym],
    );
    expect(counts).toEqual({ member_count: 30, members: "30" });
  });

  it("reaches the GraphQL client as extensions.code IC010 with the limit in the message", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, "admin@tiny-box.test");
      const res = await gql(
        api,
        `mutation { inviteToGym(input: { email: "gql-extra@example.test", displayName: "Extra", role: MEMBER }) { clientMutationId } }`,
        {},
        token,
      );
      expect(res.errors?.[0]).toMatchObject({
        message: "Plan limit reached: free plan allows 30 members",
        extensions: { code: "IC010", constraint: "plan_max_members" },
      });
      const plans = await gql(
        api,
        "{ plans(orderBy: SORT_ORDER_ASC) { nodes { rowId maxMembers maxStaff } } currentGym { plan memberCount staffCount } }",
        {},
        token,
      );
      expect(plans.errors).toBeUndefined();
      expect(plans.data).toEqual({
        plans: {
          nodes: [
            { rowId: "FREE", maxMembers: 30, maxStaff: 2 },
            { rowId: "BASIC", maxMembers: 200, maxStaff: null },
            { rowId: "PRO", maxMembers: null, maxStaff: null },
          ],
        },
        currentGym: { plan: "FREE", memberCount: 30, staffCount: 2 },
      });
    } finally {
      await api.close();
    }
  });
});
