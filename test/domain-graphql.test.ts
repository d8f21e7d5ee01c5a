/**
 * The example queries in docs/DOMAIN.md, run against the real API as the demo login each
 * one names, so the documentation cannot drift from the schema. Also a few sanity checks of
 * what the generated GraphQL exposes to each role.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RunningApi } from "../src/server";
import { gql, login, startTestApi } from "./support/api";
import { rootQuery } from "./support/db";

interface Example {
  runAs: string;
  name: string;
  document: string;
}

function examples(): Example[] {
  const markdown = readFileSync(path.resolve(__dirname, "../docs/DOMAIN.md"), "utf8");
  const out: Example[] = [];
  const pattern = /<!-- run-as: (\S+) -->\s*```graphql\n([\s\S]*?)```/g;
  for (const match of markdown.matchAll(pattern)) {
    const document = match[2]!;
    const name = /(?:query|mutation)\s+(\w+)/.exec(document)?.[1] ?? "(anonymous)";
    out.push({ runAs: match[1]!, name, document });
  }
  return out;
}

/** Variables some examples need, looked up in the demo data. */
const VARIABLES: Record<string, () => Promise<Record<string, unknown>>> = {
  MemberBooksAndLogs: async () => {
    const [row] = await rootQuery<{ class_id: string; workout_id: string }>(
      `select (select c.id from app_public.class_sessions c
               where c.tenant_id = g.id and c.booked_count < c.capacity
                 and not exists (select 1 from app_public.bookings b join app_public.memberships m on m.tenant_id = b.tenant_id and m.id = b.member_id
                                 join app_public.users u on u.id = m.user_id
                                 where b.class_session_id = c.id and u.email = 'member1@tiny-box.test')
               order by c.starts_at desc limit 1) as class_id,
              (select w.id from app_public.workouts w where w.tenant_id = g.id and w.is_published limit 1) as workout_id
       from app_public.gyms g where g.slug = 'tiny-box'`,
    );
    return { classId: row!.class_id, workoutId: row!.workout_id };
  },
};

describe("docs/DOMAIN.md examples run against the API", () => {
  let api: RunningApi;
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });
  async function tokenFor(runAs: string): Promise<string | undefined> {
    if (runAs === "anonymous") return undefined;
    if (!tokens.has(runAs)) tokens.set(runAs, await login(api, runAs));
    return tokens.get(runAs);
  }

  const all = examples();
  it("finds the examples (one per role at least)", () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
  });

  for (const example of all) {
    it(`${example.name} as ${example.runAs}`, async () => {
      const variables = (await VARIABLES[example.name]?.()) ?? {};
      const res = await gql(api, example.document, variables, await tokenFor(example.runAs));
      expect(res.errors).toBeUndefined();
      expect(res.data).toBeTruthy();
      for (const value of Object.values(res.data!)) expect(value).not.toBeNull();
    });
  }
});

describe("what the GraphQL API shows each role", () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it("a coach's average score per workout matches the database", async () => {
    const token = await login(api, "coach@iron-temple.test");
    const res = await gql<{ workoutResults: { groupedAggregates: { keys: string[]; average: { score: string } }[] } }>(
      api,
      "{ workoutResults { groupedAggregates(groupBy: WORKOUT_ID) { keys average { score } } } }",
      {},
      token,
    );
    const truth = await rootQuery<{ workout_id: string; avg: string }>(
      `select r.workout_id::text, avg(r.score)::text as avg from app_public.workout_results r
       join app_public.gyms g on g.id = r.tenant_id where g.slug = 'iron-temple' group by 1`,
    );
    const got = Object.fromEntries(res.data!.workoutResults.groupedAggregates.map((g) => [g.keys[0], Number(g.average.score)]));
    expect(got).toEqual(Object.fromEntries(truth.map((t) => [t.workout_id, Number(t.avg)])));
  });

  it("a member sees the leaderboard of every member but only their own results rows", async () => {
    const token = await login(api, "member2@iron-temple.test");
    type Names = { nodes: { displayName: string }[] };
    const res = await gql<{
      workouts: { nodes: { isPublished: boolean; leaderboard: Names }[] };
      workoutResults: { nodes: { member: { displayName: string } }[] };
    }>(
      api,
      `{ workouts { nodes { isPublished leaderboard { nodes { displayName } } } }
         workoutResults { nodes { member { displayName } } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.workouts.nodes.every((w) => w.isPublished)).toBe(true);
    const board = new Set(res.data!.workouts.nodes.flatMap((w) => w.leaderboard.nodes.map((n) => n.displayName)));
    expect(board.size).toBeGreaterThan(1);
    const own = new Set(res.data!.workoutResults.nodes.map((r) => r.member.displayName));
    expect([...own]).toEqual(["Iron Temple Member Two"]);
  });

  it("messages stay private: the gym admin sees only their own, the platform owner's schema has none", async () => {
    const admin = await login(api, "admin@iron-temple.test");
    const mine = await gql<{ messages: { nodes: { body: string }[] } }>(api, "{ messages { nodes { body } } }", {}, admin);
    expect(mine.data!.messages.nodes.map((n: { body: string }) => n.body).sort()).toEqual([
      "Sorry, paying today.",
      "Your payment for this month is pending.",
    ]);
    const owner = await login(api, "owner@ironclad.test");
    const denied = await gql(api, "{ messages { totalCount } }", {}, owner);
    expect(denied.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("anonymous visitors read the plans and nothing of any gym", async () => {
    const res = await gql(api, "{ workouts { totalCount } }");
    expect(res.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

describe("what UIs need: ordering and filtering on screen columns, enums as GraphQL enums", () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  type Nodes<T> = { totalCount?: number; nodes: T[] };
  const descending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);
  const ascending = (xs: string[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);
  const iso = (t: string) => new Date(t).toISOString();

  it("a coach lists the gym's results by score, best first, and filters them by Rx", async () => {
    const token = await login(api, "coach@iron-temple.test");
    const res = await gql<{ all: Nodes<{ score: string }>; rx: Nodes<{ isRx: boolean; performedOn: string }> }>(
      api,
      `{ all: workoutResults(orderBy: SCORE_DESC) { nodes { score } }
         rx: workoutResults(filter: { isRx: { equalTo: true } }, orderBy: [PERFORMED_ON_DESC, SCORE_DESC]) {
           totalCount nodes { isRx performedOn } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const truth = await rootQuery<{ score: string; is_rx: boolean }>(
      `select r.score::text, r.is_rx from app_public.workout_results r
       join app_public.gyms g on g.id = r.tenant_id where g.slug = 'iron-temple' order by r.score desc`,
    );
    expect(res.data!.all.nodes.map((n) => Number(n.score))).toEqual(truth.map((t) => Number(t.score)));
    const rx = truth.filter((t) => t.is_rx).length;
    expect(rx).toBeGreaterThan(0);
    expect(rx).toBeLessThan(truth.length); // the seed has scaled results too, so the filter has something to drop
    expect(res.data!.rx.totalCount).toBe(rx);
    expect(res.data!.rx.nodes.every((n) => n.isRx)).toBe(true);
    expect(ascending(res.data!.rx.nodes.map((n) => n.performedOn).reverse())).toBe(true);
  });

  it("a member orders their own results by score, and sees no one else's", async () => {
    const token = await login(api, "member@iron-temple.test");
    const res = await gql<{ workoutResults: Nodes<{ score: string; member: { displayName: string } }> }>(
      api,
      "{ workoutResults(orderBy: SCORE_DESC) { nodes { score member { displayName } } } }",
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.workoutResults.nodes;
    expect(nodes.length).toBeGreaterThan(1);
    expect(descending(nodes.map((n) => Number(n.score)))).toBe(true);
    expect(new Set(nodes.map((n) => n.member.displayName))).toEqual(new Set(["Iron Temple Member"]));
  });

  it("the schedule orders and filters classes by start time", async () => {
    const token = await login(api, "member@iron-temple.test");
    const from = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const res = await gql<{ classSessions: Nodes<{ startsAt: string }> }>(
      api,
      `query ($from: Datetime!) {
         classSessions(orderBy: STARTS_AT_ASC, filter: { startsAt: { greaterThanOrEqualTo: $from } }) { nodes { startsAt } }
       }`,
      { from },
      token,
    );
    expect(res.errors).toBeUndefined();
    const starts = res.data!.classSessions.nodes.map((n) => iso(n.startsAt));
    expect(starts.length).toBeGreaterThan(1);
    expect(ascending(starts)).toBe(true);
    expect(starts.every((s) => s >= from)).toBe(true);
  });

  it("messages order by the time they were sent", async () => {
    const token = await login(api, "admin@iron-temple.test");
    const res = await gql<{ messages: Nodes<{ createdAt: string }> }>(
      api,
      "{ messages(orderBy: CREATED_AT_DESC) { nodes { createdAt } } }",
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const times = res.data!.messages.nodes.map((n) => iso(n.createdAt));
    expect(times.length).toBeGreaterThan(1);
    expect(ascending([...times].reverse())).toBe(true);
  });

  it("a gym admin filters payments by status (an enum) and orders them by date", async () => {
    // tiny-box: 30 members, so the seed left some of this month's payments pending.
    const token = await login(api, "admin@tiny-box.test");
    type Payment = { status: string; paidAt: string | null };
    const res = await gql<{ pending: Nodes<Payment>; paid: Nodes<Payment> }>(
      api,
      `{ pending: payments(filter: { status: { equalTo: PENDING } }, orderBy: PERIOD_START_DESC) { totalCount nodes { status paidAt } }
         paid: payments(condition: { status: PAID }, orderBy: PAID_AT_DESC) { totalCount nodes { status paidAt } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    const [truth] = await rootQuery<{ pending: number; paid: number }>(
      `select count(*) filter (where p.status = 'pending')::int as pending, count(*) filter (where p.status = 'paid')::int as paid
       from app_public.payments p join app_public.gyms g on g.id = p.tenant_id where g.slug = 'tiny-box'`,
    );
    expect(truth!.pending).toBeGreaterThan(0);
    expect(res.data!.pending.totalCount).toBe(truth!.pending);
    expect(res.data!.pending.nodes.every((n) => n.status === "PENDING" && n.paidAt === null)).toBe(true);
    expect(res.data!.paid.totalCount).toBe(truth!.paid);
    const paidAt = res.data!.paid.nodes.map((n) => iso(n.paidAt!));
    expect(ascending([...paidAt].reverse())).toBe(true);
  });

  it("role, plan, scoring type and payment status are GraphQL enums", async () => {
    const token = await login(api, "admin@iron-temple.test");
    const res = await gql<{
      currentGym: { plan: string };
      memberships: Nodes<{ role: string }>;
      workouts: Nodes<{ scoringType: string }>;
      payments: Nodes<{ status: string }>;
    }>(
      api,
      `{ currentGym { plan } memberships { nodes { role } }
         workouts(first: 1) { nodes { scoringType } } payments(first: 1) { nodes { status } } }`,
      {},
      token,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.currentGym.plan).toBe("PRO");
    expect(new Set(res.data!.memberships.nodes.map((n) => n.role))).toEqual(
      new Set(["GYM_ADMIN", "COACH", "PERSONAL_TRAINER", "MEMBER"]),
    );
    expect(["TIME", "REPS", "LOAD", "ROUNDS_REPS"]).toContain(res.data!.workouts.nodes[0]!.scoringType);
    expect(["PENDING", "PAID", "REFUNDED", "FAILED"]).toContain(res.data!.payments.nodes[0]!.status);
  });

  it.each([
    ["an unknown value", `role: SUPERUSER`],
    ["a string where the enum is expected", `role: "coach"`],
  ])("%s is a GraphQL validation error, before any SQL runs (not 23514)", async (_label, role) => {
    const token = await login(api, "admin@iron-temple.test");
    const email = `enum-${Date.now()}@example.test`;
    const res = await gql(
      api,
      `mutation { inviteToGym(input: { email: "${email}", ${role}, displayName: "Typo" }) { clientMutationId } }`,
      {},
      token,
    );
    expect(res.data).toBeUndefined();
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(await rootQuery("select 1 from app_public.invitations where email = $1", [email])).toEqual([]);
  });

  it("an unknown enum value in a variable is refused before any SQL runs", async () => {
    const token = await login(api, "admin@iron-temple.test");
    const res = await gql(
      api,
      'mutation ($role: MembershipRole!) { inviteToGym(input: { email: "var@example.test", role: $role, displayName: "V" }) { clientMutationId } }',
      { role: "superuser" },
      token,
    );
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.extensions?.code).not.toBe("23514");
    expect(res.errors?.[0]?.message).toMatch(/MembershipRole/);
  });
});
