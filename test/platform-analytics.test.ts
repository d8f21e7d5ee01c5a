import { GYM_A, GYM_B, GYM_ROLES, asPersona, expectPgError, gymId, persona, rootQuery } from "./support/db";
import { gql, login, startTestApi } from "./support/api";

describe("platform-owner analytics", () => {
  it("the platform owner reads every gym's facts; gym roles are denied the views", async () => {
    const owner = await persona("platform_owner");
    const gyms = await asPersona(
      owner,
      async (db) =>
        (await db.query<{ gym_name: string }>("select distinct gym_name from app_public.platform_membership_facts order by 1"))
          .rows,
    );
    expect(gyms.map((g) => g.gym_name)).toEqual(expect.arrayContaining(["Harbor Barbell", "Iron Temple"]));
    for (const role of GYM_ROLES) {
      for (const view of [
        "platform_membership_facts",
        "platform_class_facts",
        "platform_result_facts",
        "platform_revenue_facts",
      ]) {
        expect((await expectPgError(await persona(role, GYM_A), `select * from app_public.${view}`)).code).toBe("42501");
      }
    }
    expect((await expectPgError(await persona("anonymous"), "select * from app_public.platform_revenue_facts")).code).toBe(
      "42501",
    );
  });

  it("over GraphQL with pg-aggregates: members, active members, classes, results and revenue per gym, plan and month", async () => {
    const api = await startTestApi();
    try {
      const ownerToken = await login(api, "owner@ironclad.test");
      const query = `query Analytics {
        members: platformMembershipFacts {
          groupedAggregates(groupBy: [GYM_NAME, GYM_PLAN]) { keys distinctCount { membershipId } sum { active } }
        }
        membersByMonth: platformMembershipFacts { groupedAggregates(groupBy: [JOINED_MONTH]) { keys distinctCount { membershipId } } }
        classes: platformClassFacts { groupedAggregates(groupBy: [GYM_NAME, MONTH]) { keys distinctCount { classSessionId } sum { bookedCount } } }
        results: platformResultFacts { groupedAggregates(groupBy: [GYM_PLAN, MONTH]) { keys distinctCount { resultId } } }
        revenue: platformRevenueFacts { aggregates { sum { amountCents } } groupedAggregates(groupBy: [GYM_NAME, CURRENCY, MONTH]) { keys sum { amountCents } } }
      }`;
      const res = await gql(api, query, {}, ownerToken);
      expect(res.errors).toBeUndefined();
      const members = res.data!.members.groupedAggregates as { keys: string[]; distinctCount: { membershipId: string } }[];
      const truth = await rootQuery<{ name: string; plan: string; n: string }>(
        "select g.name, g.plan, count(m.id) as n from app_public.gyms g join app_public.memberships m on m.tenant_id = g.id group by 1, 2",
      );
      for (const t of truth) {
        expect(members).toContainEqual(expect.objectContaining({ keys: [t.name, t.plan], distinctCount: { membershipId: t.n } }));
      }
      expect(res.data!.results.groupedAggregates.length).toBeGreaterThan(0);

      // The same queries as a gym admin: the analytics are not in a gym admin's schema at all.
      const adminToken = await login(api, `admin@${GYM_A}.test`);
      const denied = await gql(api, query, {}, adminToken);
      expect(denied.data ?? null).toBeNull();
      expect(denied.errors?.map((e) => e.extensions?.code)).toEqual(expect.arrayContaining(["GRAPHQL_VALIDATION_FAILED"]));
      expect(JSON.stringify(denied.errors)).toMatch(/Cannot query field \\"platformRevenueFacts\\"/);
    } finally {
      await api.close();
    }
  });

  it("aggregates over tenant tables stay scoped to the gym for gym roles", async () => {
    const api = await startTestApi();
    try {
      const q = `{ memberships { totalCount aggregates { distinctCount { tenantId } } }
                   workoutResults { aggregates { distinctCount { tenantId } } } }`;
      for (const slug of [GYM_A, GYM_B]) {
        const token = await login(api, `admin@${slug}.test`);
        const res = await gql(api, q, {}, token);
        expect(res.errors).toBeUndefined();
        const [{ n }] = (await rootQuery<{ n: string }>("select count(*) as n from app_public.memberships where tenant_id = $1", [
          await gymId(slug),
        ])) as [{ n: string }];
        expect(res.data!.memberships.totalCount).toBe(Number(n));
        expect(res.data!.memberships.aggregates.distinctCount.tenantId).toBe("1");
        expect(res.data!.workoutResults.aggregates.distinctCount.tenantId).toBe("1");
      }
      const ownerRes = await gql(api, q, {}, await login(api, "owner@ironclad.test"));
      expect(Number(ownerRes.data!.memberships.aggregates.distinctCount.tenantId)).toBeGreaterThanOrEqual(2);
    } finally {
      await api.close();
    }
  });
});
