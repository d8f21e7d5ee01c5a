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
       from app_public.gyms g where g.slug = 'tiny-box'`);
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
    const res = await gql<{ workoutResults: { groupedAggregates: { keys: string[]; average: { score: string } }[] } }>(api,
      "{ workoutResults { groupedAggregates(groupBy: WORKOUT_ID) { keys average { score } } } }", {}, token);
    const truth = await rootQuery<{ workout_id: string; avg: string }>(
      `select r.workout_id::text, avg(r.score)::text as avg from app_public.workout_results r
       join app_public.gyms g on g.id = r.tenant_id where g.slug = 'iron-temple' group by 1`);
    const got = Object.fromEntries(res.data!.workoutResults.groupedAggregates.map((g) => [g.keys[0], Number(g.average.score)]));
    expect(got).toEqual(Object.fromEntries(truth.map((t) => [t.workout_id, Number(t.avg)])));
  });

  it("a member sees the leaderboard of every member but only their own results rows", async () => {
    const token = await login(api, "member2@iron-temple.test");
    const res = await gql<any>(api,
      `{ workouts { nodes { isPublished leaderboard { nodes { displayName } } } }
         workoutResults { nodes { member { displayName } } } }`, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data.workouts.nodes.every((w: { isPublished: boolean }) => w.isPublished)).toBe(true);
    const board = new Set(res.data.workouts.nodes.flatMap((w: any) => w.leaderboard.nodes.map((n: any) => n.displayName)));
    expect(board.size).toBeGreaterThan(1);
    const own = new Set(res.data.workoutResults.nodes.map((r: any) => r.member.displayName));
    expect([...own]).toEqual(["Iron Temple Member Two"]);
  });

  it("messages stay private: the gym admin sees only their own, the platform owner's schema has none", async () => {
    const admin = await login(api, "admin@iron-temple.test");
    const mine = await gql<any>(api, "{ messages { nodes { body } } }", {}, admin);
    expect(mine.data.messages.nodes.map((n: { body: string }) => n.body).sort()).toEqual(
      ["Sorry, paying today.", "Your payment for this month is pending."]);
    const owner = await login(api, "owner@ironclad.test");
    const denied = await gql(api, "{ messages { totalCount } }", {}, owner);
    expect(denied.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("anonymous visitors read the plans and nothing of any gym", async () => {
    const res = await gql(api, "{ workouts { totalCount } }");
    expect(res.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});
