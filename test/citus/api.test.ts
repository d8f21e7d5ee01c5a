import { randomUUID } from "node:crypto";
import { Client } from "pg";
import type { RunningApi } from "../../src/server";
import { gql, login, startTestApi } from "../support/api";
import { testDb } from "../support/db";
import { addPersonOnCitus, citusDescribe, onCitusAs, provisionGymOnCitus, taskCounts, type CitusPerson } from "./support";

/**
 * The GraphQL API served from the cluster, as `npm run start:citus` runs it: claims with SET
 * LOCAL (the adaptor's "set_local" style) and the tenant-routing plugin. Two gyms; people log
 * in over HTTP; each role's typical operation (reads, then writes: create, update by rowId,
 * delete by node id) is sent as a client would, the SQL PostGraphile sends is captured on the
 * way out, and Citus's EXPLAIN of each statement must show ONE task: the query went to the
 * gym's shard only.
 */

interface Sent {
  text: string;
  values: unknown[];
}

/** Statements PostGraphile sends while `capturing` (prepared statement texts with their values). */
const sent: Sent[] = [];
let capturing = false;
const originalQuery = Client.prototype.query;

function startCapture() {
  sent.length = 0;
  capturing = true;
}

function stopCapture(): Sent[] {
  capturing = false;
  return [...sent];
}

citusDescribe("the GraphQL API on the Citus cluster", () => {
  let api: RunningApi;
  const gym: Record<"a" | "b", string> = { a: "", b: "" };
  const people: Record<string, CitusPerson> = {};
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    (Client.prototype as { query: unknown }).query = function (this: Client, ...args: unknown[]) {
      const config = args[0] as { text?: unknown; values?: unknown[] } | string;
      if (capturing && typeof config === "object" && typeof config.text === "string")
        sent.push({ text: config.text, values: config.values ?? [] });
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    };
    const tag = randomUUID().slice(0, 8);
    // The gyms' domain rows, written as the superuser (no policy in the way) with triggers off:
    // the leaderboard-refresh triggers enqueue graphile-worker jobs from the shards, where the
    // worker schema is absent (docs/CITUS.md, not done yet). The writes tested below go to
    // tables without such triggers.
    const root = new Client({ connectionString: testDb().rootUrl });
    await root.connect();
    await root.query("begin; set local citus.propagate_set_commands = 'local'; set local session_replication_role = replica");
    const rootQuery = async <T extends object>(text: string, values: unknown[]) => (await root.query<T>(text, values)).rows;
    for (const key of ["a", "b"] as const) {
      gym[key] = await provisionGymOnCitus(`api-${key}-${tag}`);
      for (const role of ["gym_admin", "coach", "personal_trainer", "member", "member"] as const) {
        const name = `${key}-${role}${people[`${key}-${role}`] ? "2" : ""}`;
        people[name] = await addPersonOnCitus(gym[key], role, `${name}-${tag}@citus.test`);
      }
      const [coach, pt, member, member2] = [`${key}-coach`, `${key}-personal_trainer`, `${key}-member`, `${key}-member2`].map(
        (n) => people[n]!.membershipId,
      );
      const [workout] = await rootQuery<{ id: string }>(
        "insert into app_public.workouts (tenant_id, author_id, title, scoring_type, is_published) values ($1, $2, $3, 'reps', true) returning id",
        [gym[key], coach, `WOD ${key}`],
      );
      for (const [who, score] of [
        [member, 10],
        [member2, 20],
      ] as const) {
        await rootQuery(
          "insert into app_public.workout_results (tenant_id, workout_id, member_id, score, recorded_by) values ($1, $2, $3, $4, $3)",
          [gym[key], workout!.id, who, score],
        );
      }
      for (let day = 0; day < 7; day++) {
        await rootQuery(
          "insert into app_public.class_sessions (tenant_id, title, starts_at, coach_id, workout_id, capacity) values ($1, $2, date_trunc('week', now()) + make_interval(days => $3, hours => 7), $4, $5, 12)",
          [gym[key], `Class ${key} ${day}`, day, coach, workout!.id],
        );
      }
      for (const who of [member, member2]) {
        await rootQuery(
          "insert into app_public.payments (tenant_id, member_id, amount_cents, period_start, period_end, paid_at) values ($1, $2, 4900, date_trunc('month', now()), date_trunc('month', now()) + interval '1 month' - interval '1 day', now())",
          [gym[key], who],
        );
      }
      await rootQuery("insert into app_public.trainer_assignments (tenant_id, trainer_id, client_id) values ($1, $2, $3)", [
        gym[key],
        pt,
        member,
      ]);
    }
    await root.query("commit");
    await root.end();
    api = await startTestApi({ transactions: { settingsStyle: "set_local" }, tenantRouting: true });
    for (const name of ["a-member", "a-coach", "a-gym_admin", "a-personal_trainer", "b-member", "b-gym_admin"]) {
      tokens[name] = await login(api, people[name]!.email, people[name]!.password);
    }
  });

  afterAll(async () => {
    (Client.prototype as { query: unknown }).query = originalQuery;
    await api?.close();
  });

  it("a member of gym A reads their gym's rows over HTTP, and none of gym B's", async () => {
    const res = await gql(
      api,
      `{ currentGym { rowId } gyms { nodes { rowId } } memberships { nodes { tenantId } }
         workoutResults { nodes { tenantId score } } classSessions { nodes { tenantId } } }`,
      {},
      tokens["a-member"],
    );
    expect(res.errors).toBeUndefined();
    const data = res.data!;
    expect(data.currentGym).toEqual({ rowId: gym.a });
    expect(data.gyms.nodes).toEqual([{ rowId: gym.a }]);
    // Own rows are there (the policies and the routing condition agree) …
    expect(data.memberships.nodes.length).toBe(5);
    expect(data.workoutResults.nodes).toEqual([{ tenantId: gym.a, score: "10" }]);
    expect(data.classSessions.nodes.length).toBe(7);
    // … and nothing of gym B.
    const tenants = [...data.memberships.nodes, ...data.workoutResults.nodes, ...data.classSessions.nodes].map(
      (n: { tenantId: string }) => n.tenantId,
    );
    expect(new Set(tenants)).toEqual(new Set([gym.a]));
  });

  it("asking for gym B's rows by id over HTTP finds nothing", async () => {
    const res = await gql(api, `query ($id: UUID!) { gym(rowId: $id) { rowId } }`, { id: gym.b }, tokens["a-member"]);
    expect(res.errors).toBeUndefined();
    expect(res.data!.gym).toBeNull();
  });

  // [what, who, operation, how many rows of the gym it must return (so the check cannot pass on an empty answer)]
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- four answers of different shapes, each read by its own case's accessor
  type Data = Record<string, any>;
  const TYPICAL: [string, string, string, (d: Data) => number, number][] = [
    [
      "a member's own results",
      "a-member",
      `{ workoutResults { totalCount aggregates { average { score } } nodes { score isRx performedOn workout { title } } } }`,
      (d) => d.workoutResults.nodes.length,
      1,
    ],
    [
      "a coach's week of classes",
      "a-coach",
      `query ($from: Datetime!, $to: Datetime!) {
         classSessions(filter: { startsAt: { greaterThanOrEqualTo: $from, lessThan: $to } }, orderBy: STARTS_AT_ASC) {
           nodes { title startsAt capacity bookedCount workout { title } bookings { totalCount } }
         }
       }`,
      (d) => d.classSessions.nodes.length,
      7,
    ],
    [
      "an admin's month of payments",
      "a-gym_admin",
      `query ($month: Date!) {
         payments(filter: { periodStart: { equalTo: $month } }) {
           totalCount aggregates { sum { amountCents } } nodes { amountCents currency status paidAt member { displayName } }
         }
       }`,
      (d) => d.payments.nodes.length,
      2,
    ],
    [
      "a trainer's clients' results",
      "a-personal_trainer",
      `{ trainerAssignments { nodes { client { displayName workoutResults { nodes { score performedOn workout { title } } } } } } }`,
      (d) => d.trainerAssignments.nodes.flatMap((n: Data) => n.client.workoutResults.nodes).length,
      1,
    ],
  ];

  it.each(TYPICAL)(
    "%s: every statement the API sends plans as ONE task (routed to the gym's shard)",
    async (_what, who, query, rowsOf, rows) => {
      const now = new Date();
      const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7)));
      const variables = {
        from: monday.toISOString(),
        to: new Date(monday.getTime() + 7 * 86_400_000).toISOString(),
        month: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10),
      };
      startCapture();
      const res = await gql(api, query, variables, tokens[who]);
      const statements = stopCapture().filter((s) => /app_public/.test(s.text) && /^\s*select/i.test(s.text));
      expect(res.errors).toBeUndefined();
      expect(rowsOf(res.data!)).toBe(rows);
      expect(JSON.stringify(res.data)).not.toContain(gym.b);
      expect(statements.length).toBeGreaterThan(0);
      const plans = await onCitusAs(people[who]!, async (db) => {
        const out: { text: string; tasks: number[] }[] = [];
        for (const s of statements) {
          const plan = await db.query<{ "QUERY PLAN": string }>(`explain (costs off) ${s.text}`, s.values);
          out.push({ text: s.text, tasks: taskCounts(plan.rows) });
        }
        return out;
      });
      // Every statement reads a distributed table, and each distributed scan is one task.
      for (const p of plans) expect({ sql: p.text, tasks: p.tasks }).toEqual({ sql: p.text, tasks: p.tasks.map(() => 1) });
      expect(plans.every((p) => p.tasks.length > 0)).toBe(true);
    },
  );

  /**
   * Each role's typical writes, as a client sends them: create, update by key (`rowId`), update
   * or delete by node id, with payload fields that read related rows. Every INSERT, UPDATE and
   * DELETE the API sends (and every read of the payload) must plan as ONE task. Without the
   * routing of by-key writes, `update … where id = $1` runs on every shard (8 tasks).
   */
  async function sendAndPlan(who: string, query: string, variables: Record<string, unknown>) {
    startCapture();
    const res = await gql(api, query, variables, tokens[who]);
    const statements = stopCapture().filter(
      (s) => /app_public/.test(s.text) && /^\s*(select|insert|update|delete)/i.test(s.text),
    );
    expect(res.errors).toBeUndefined();
    const plans = await onCitusAs(people[who]!, async (db) => {
      const out: { sql: string; tasks: number[] }[] = [];
      for (const s of statements) {
        // Each EXPLAIN in a savepoint of its own: for an UPDATE whose SET takes a parameter, the
        // worker's half of Citus's EXPLAIN fails ("could not determine data type of parameter
        // $1": the shard query has the values inlined, the parameter list is sent anyway), which
        // shows as "Error: Could not get remote plan." under the task and aborts the
        // transaction. The task count is the coordinator's plan, printed before that.
        await db.query("savepoint explain");
        const plan = await db.query<{ "QUERY PLAN": string }>(`explain (costs off) ${s.text}`, s.values);
        await db.query("rollback to savepoint explain");
        out.push({ sql: s.text, tasks: taskCounts(plan.rows) });
      }
      return out;
    });
    return { data: res.data!, plans };
  }

  /** The writes among the plans: each must be there and be one task, as every read beside them. */
  function expectOneTaskEach(plans: { sql: string; tasks: number[] }[], writes: RegExp[]) {
    for (const w of writes) expect(plans.map((p) => p.sql).some((sql) => w.test(sql))).toBe(true);
    for (const p of plans) expect(p).toEqual({ sql: p.sql, tasks: p.tasks.map(() => 1) });
    expect(plans.every((p) => p.tasks.length > 0)).toBe(true);
  }

  it("a member's post: created, edited by rowId, deleted by node id, each write ONE task", async () => {
    const created = await sendAndPlan(
      "a-member",
      `mutation ($body: String!) { createPost(input: { post: { body: $body } }) { post { rowId id tenantId body author { displayName } } } }`,
      { body: "first" },
    );
    const post = created.data.createPost.post;
    expect(post).toMatchObject({ tenantId: gym.a, body: "first" });
    expectOneTaskEach(created.plans, [/^\s*insert into "app_public"."posts"/i]);

    const edited = await sendAndPlan(
      "a-member",
      `mutation ($id: UUID!) { updatePost(input: { rowId: $id, patch: { body: "edited" } }) { post { rowId body author { displayName } } } }`,
      { id: post.rowId },
    );
    expect(edited.data.updatePost.post).toMatchObject({ rowId: post.rowId, body: "edited" });
    expectOneTaskEach(edited.plans, [/^\s*update "app_public"."posts"/i]);

    const deleted = await sendAndPlan(
      "a-member",
      `mutation ($id: ID!) { deletePostById(input: { id: $id }) { deletedPostId post { rowId } } }`,
      { id: post.id },
    );
    expect(deleted.data.deletePostById).toEqual({ deletedPostId: post.id, post: { rowId: post.rowId } });
    expectOneTaskEach(deleted.plans, [/^\s*delete from "app_public"."posts"/i]);
  });

  it("a coach moves a class (update by rowId): ONE task", async () => {
    const [session] = await nodesOf(
      "a-coach",
      `{ classSessions(first: 1, orderBy: STARTS_AT_ASC) { nodes { rowId } } }`,
      "classSessions",
    );
    const moved = await sendAndPlan(
      "a-coach",
      `mutation ($id: UUID!) { updateClassSession(input: { rowId: $id, patch: { capacity: 14 } }) { classSession { rowId capacity coach { displayName } } } }`,
      { id: session!.rowId },
    );
    expect(moved.data.updateClassSession.classSession).toMatchObject({ rowId: session!.rowId, capacity: 14 });
    expectOneTaskEach(moved.plans, [/^\s*update "app_public"."class_sessions"/i]);
  });

  it("an admin marks a payment refunded (by rowId) and adds then removes a plan: ONE task each", async () => {
    const [payment] = await nodesOf("a-gym_admin", `{ payments(first: 1) { nodes { rowId } } }`, "payments");
    // The payload asks for `status`: PostGraphile returns an enum as `status::text` in the
    // UPDATE's RETURNING, which Citus refuses unless the cast is IMMUTABLE (migrations/citus.sql).
    const refunded = await sendAndPlan(
      "a-gym_admin",
      `mutation ($id: UUID!) { updatePayment(input: { rowId: $id, patch: { status: REFUNDED } }) { payment { rowId status member { displayName } } } }`,
      { id: payment!.rowId },
    );
    expect(refunded.data.updatePayment.payment).toMatchObject({ rowId: payment!.rowId, status: "REFUNDED" });
    expectOneTaskEach(refunded.plans, [/^\s*update "app_public"."payments"/i]);
    const [after] = await nodesOf(
      "a-gym_admin",
      `{ payments(condition: { rowId: "${payment!.rowId}" }) { nodes { status } } }`,
      "payments",
    );
    expect(after).toEqual({ status: "REFUNDED" });

    const plan = await sendAndPlan(
      "a-gym_admin",
      `mutation { createMembershipPlan(input: { membershipPlan: { name: "Ten visits", priceCents: 9000 } }) { membershipPlan { rowId tenantId } } }`,
      {},
    );
    expect(plan.data.createMembershipPlan.membershipPlan.tenantId).toBe(gym.a);
    expectOneTaskEach(plan.plans, [/^\s*insert into "app_public"."membership_plans"/i]);
    const removed = await sendAndPlan(
      "a-gym_admin",
      `mutation ($id: UUID!) { deleteMembershipPlan(input: { rowId: $id }) { membershipPlan { rowId } } }`,
      { id: plan.data.createMembershipPlan.membershipPlan.rowId },
    );
    expect(removed.data.deleteMembershipPlan.membershipPlan.rowId).toBe(plan.data.createMembershipPlan.membershipPlan.rowId);
    expectOneTaskEach(removed.plans, [/^\s*delete from "app_public"."membership_plans"/i]);
  });

  it("a trainer records and corrects a client's metric (create, update by rowId): ONE task each", async () => {
    const recorded = await sendAndPlan(
      "a-personal_trainer",
      `mutation ($member: UUID!) { createProgressMetric(input: { progressMetric: { memberId: $member, kind: "body_weight", unit: "kg", value: "80.5" } }) { progressMetric { rowId value member { displayName } } } }`,
      { member: people["a-member"]!.membershipId },
    );
    const metric = recorded.data.createProgressMetric.progressMetric;
    expectOneTaskEach(recorded.plans, [/^\s*insert into "app_public"."progress_metrics"/i]);
    const corrected = await sendAndPlan(
      "a-personal_trainer",
      `mutation ($id: UUID!) { updateProgressMetric(input: { rowId: $id, patch: { value: "80.2" } }) { progressMetric { rowId value } } }`,
      { id: metric.rowId },
    );
    expect(corrected.data.updateProgressMetric.progressMetric).toEqual({ rowId: metric.rowId, value: "80.20" });
    expectOneTaskEach(corrected.plans, [/^\s*update "app_public"."progress_metrics"/i]);
  });

  it("a write by key to gym B's row changes nothing (the answer is the one RLS gives)", async () => {
    const [paymentB] = await nodesOf("b-gym_admin", `{ payments(first: 1) { nodes { rowId status } } }`, "payments");
    const res = await gql(
      api,
      `mutation ($id: UUID!) { updatePayment(input: { rowId: $id, patch: { status: FAILED } }) { payment { rowId } } }`,
      { id: paymentB!.rowId },
      tokens["a-gym_admin"],
    );
    // No row matched: no payment comes back, as on one node (RLS hides gym B's row).
    expect(res.data?.updatePayment?.payment ?? null).toBeNull();
    const [again] = await nodesOf(
      "b-gym_admin",
      `{ payments(condition: { rowId: "${paymentB!.rowId}" }) { nodes { rowId status } } }`,
      "payments",
    );
    expect(again).toEqual(paymentB);
  });

  /** A connection's nodes, read over HTTP as `who`. */
  async function nodesOf(who: string, query: string, field: string): Promise<Record<string, string>[]> {
    const res = await gql(api, query, {}, tokens[who]);
    expect(res.errors).toBeUndefined();
    const nodes = (res.data![field] as { nodes: Record<string, string>[] }).nodes;
    expect(nodes.length).toBeGreaterThan(0);
    return nodes;
  }
});
