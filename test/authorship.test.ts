/**
 * Who wrote a row, and whether a number is a number.
 *
 * Authorship: the columns that say who wrote or recorded a row (workouts.author_id,
 * workout_results.recorded_by, progress_metrics.recorded_by, messages.sender_id,
 * posts.author_id, comments.author_id) are stamped from the token and have no insert/update
 * grant, so the GraphQL inputs have no such field and SQL naming the column is refused. The
 * *subject* of a row (the member a trainer logs a result for) stays choosable inside the gym.
 *
 * Numbers: workout_results.score and progress_metrics.value refuse NaN and ±Infinity with a
 * named CHECK (23514, extensions.constraint), so nothing is written and the leaderboard and
 * the aggregates only ever see numbers.
 */
import type { RunningApi } from "../src/server";
import { gql, login, startTestApi, type GraphQLResponse } from "./support/api";
import { GYM_A, asPersona, gymId, persona, rootQuery } from "./support/db";

const A = GYM_A;
const emailOf = (local: string) => `${local}@${A}.test`;

async function membershipOf(email: string): Promise<string> {
  const [row] = await rootQuery<{ id: string }>(
    `select m.id from app_public.memberships m join app_public.users u on u.id = m.user_id
     where u.email = $1 and m.tenant_id = (select id from app_public.gyms where slug = $2)`,
    [email, A],
  );
  if (!row) throw new Error(`no membership for ${email}`);
  return row.id;
}

type ErrorBody = { message: string; extensions?: { code?: string; constraint?: string } };
const firstError = (res: GraphQLResponse) => (res.errors?.[0] ?? null) as ErrorBody | null;
/** The document named a field the input type does not have: refused before anything ran. */
function expectNoSuchField(res: GraphQLResponse, field: string) {
  expect({ status: res.status, data: res.data ?? null, message: firstError(res)?.message }).toEqual({
    status: 400,
    data: null,
    message: expect.stringContaining(`Field "${field}" is not defined by type`),
  });
}

/** The input fields a GraphQL input type offers in the schema the token's role is served (null: it has no such type). */
async function inputFields(api: RunningApi, type: string, token: string): Promise<string[] | null> {
  const res = await gql<{ __type: { inputFields: { name: string }[] } | null }>(
    api,
    `query ($t: String!) { __type(name: $t) { inputFields { name } } }`,
    { t: type },
    token,
  );
  if (res.errors) throw new Error(`introspecting ${type}: ${JSON.stringify(res.errors)}`);
  return res.data?.__type?.inputFields.map((f) => f.name) ?? null;
}

describe("authorship is stamped from the token", () => {
  let api: RunningApi;
  const tokens = new Map<string, string>();
  const token = async (email: string) => {
    if (!tokens.has(email)) tokens.set(email, await login(api, email));
    return tokens.get(email)!;
  };
  /** Rows this file committed, removed afterwards so later suites see the demo data as seeded. */
  const created: { table: string; id: string }[] = [];

  let me: Record<"coach" | "admin" | "pt" | "member", string>;
  let client: { id: string; email: string };
  let publishedWorkout: string;

  beforeAll(async () => {
    api = await startTestApi();
    me = {
      coach: await membershipOf(emailOf("coach")),
      admin: await membershipOf(emailOf("admin")),
      pt: await membershipOf(emailOf("pt")),
      member: await membershipOf(emailOf("member")),
    };
    const [c] = await rootQuery<{ id: string; email: string }>(
      `select a.client_id as id, u.email from app_public.trainer_assignments a
       join app_public.memberships m on m.tenant_id = a.tenant_id and m.id = a.client_id
       join app_public.users u on u.id = m.user_id
       where a.tenant_id = $1 and a.trainer_id = $2 order by u.email limit 1`,
      [await gymId(A), me.pt],
    );
    client = c!;
    const [w] = await rootQuery<{ id: string }>(
      "select id from app_public.workouts where tenant_id = $1 and is_published order by created_at limit 1",
      [await gymId(A)],
    );
    publishedWorkout = w!.id;
  });
  afterAll(async () => {
    for (const { table, id } of created.reverse()) await rootQuery(`delete from app_public.${table} where id = $1`, [id]);
    await api.close();
  });

  it("offers no author/recorder field in any create or update input, in any gym role's schema", async () => {
    const stamped: [string, string][] = [
      ["WorkoutInput", "authorId"],
      ["WorkoutPatch", "authorId"],
      ["WorkoutResultInput", "recordedBy"],
      ["WorkoutResultPatch", "recordedBy"],
      ["ProgressMetricInput", "recordedBy"],
      ["ProgressMetricPatch", "recordedBy"],
      ["MessageInput", "senderId"],
      ["MessagePatch", "senderId"],
      ["PostInput", "authorId"],
      ["PostPatch", "authorId"],
      ["CommentInput", "authorId"],
      ["CommentPatch", "authorId"],
    ];
    const offered: string[] = [];
    const found = new Set<string>();
    for (const email of (["coach", "admin", "pt", "member"] as const).map(emailOf)) {
      for (const [type, field] of stamped) {
        const fields = await inputFields(api, type, await token(email));
        if (fields) found.add(type);
        if (fields?.includes(field)) offered.push(`${type}.${field}`);
      }
    }
    expect(offered).toEqual([]);
    // Every one of these inputs is offered to some gym role (the check looked at something).
    expect(stamped.map(([type]) => type).filter((type) => !found.has(type))).toEqual([]);
    // The subject of a row stays choosable: a trainer logs a result or a metric for a client.
    expect(await inputFields(api, "WorkoutResultInput", await token(emailOf("pt")))).toContain("memberId");
    expect(await inputFields(api, "ProgressMetricInput", await token(emailOf("pt")))).toContain("memberId");
  });

  it("a coach cannot publish a workout under another coach's name; the author is the caller", async () => {
    const forged = await gql(
      api,
      `mutation ($a: UUID!) { createWorkout(input: { workout: { title: "Forged", scoringType: REPS, authorId: $a } }) { workout { rowId } } }`,
      { a: me.admin },
      await token(emailOf("coach")),
    );
    expectNoSuchField(forged, "authorId");
    expect(await rootQuery("select 1 from app_public.workouts where title = 'Forged'")).toEqual([]);

    const res = await gql<{ createWorkout: { workout: { rowId: string; authorId: string } } }>(
      api,
      `mutation { createWorkout(input: { workout: { title: "Stamped", scoringType: REPS } }) { workout { rowId authorId } } }`,
      {},
      await token(emailOf("coach")),
    );
    expect(res.errors).toBeUndefined();
    const row = res.data!.createWorkout.workout;
    created.push({ table: "workouts", id: row.rowId });
    expect(row.authorId).toBe(me.coach);
    const [stored] = await rootQuery<{ author_id: string }>("select author_id from app_public.workouts where id = $1", [
      row.rowId,
    ]);
    expect(stored!.author_id).toBe(me.coach);
  });

  it("a trainer logs a result and a metric for a client: the client is the subject, the trainer the recorder", async () => {
    const pt = await token(emailOf("pt"));
    const forged = await gql(
      api,
      `mutation ($m: UUID!, $w: UUID!, $r: UUID!) {
         createWorkoutResult(input: { workoutResult: { memberId: $m, workoutId: $w, score: "100", recordedBy: $r } }) { workoutResult { rowId } }
       }`,
      { m: client.id, w: publishedWorkout, r: client.id },
      pt,
    );
    expectNoSuchField(forged, "recordedBy");

    const result = await gql<{ createWorkoutResult: { workoutResult: { rowId: string; memberId: string; recordedBy: string } } }>(
      api,
      `mutation ($m: UUID!, $w: UUID!) {
         createWorkoutResult(input: { workoutResult: { memberId: $m, workoutId: $w, score: "100", notes: "authorship-test" } }) {
           workoutResult { rowId memberId recordedBy }
         }
       }`,
      { m: client.id, w: publishedWorkout },
      pt,
    );
    expect(result.errors).toBeUndefined();
    const r = result.data!.createWorkoutResult.workoutResult;
    created.push({ table: "workout_results", id: r.rowId });
    expect(r).toMatchObject({ memberId: client.id, recordedBy: me.pt });

    const metricForged = await gql(
      api,
      `mutation ($m: UUID!, $r: UUID!) {
         createProgressMetric(input: { progressMetric: { memberId: $m, kind: "body_weight", value: "80", unit: "kg", recordedBy: $r } }) {
           progressMetric { rowId }
         }
       }`,
      { m: client.id, r: client.id },
      pt,
    );
    expectNoSuchField(metricForged, "recordedBy");

    const metric = await gql<{
      createProgressMetric: { progressMetric: { rowId: string; memberId: string; recordedBy: string } };
    }>(
      api,
      `mutation ($m: UUID!) {
         createProgressMetric(input: { progressMetric: { memberId: $m, kind: "body_weight", value: "80", unit: "kg" } }) {
           progressMetric { rowId memberId recordedBy }
         }
       }`,
      { m: client.id },
      pt,
    );
    expect(metric.errors).toBeUndefined();
    const p = metric.data!.createProgressMetric.progressMetric;
    created.push({ table: "progress_metrics", id: p.rowId });
    expect(p).toMatchObject({ memberId: client.id, recordedBy: me.pt });
  });

  it("a member cannot send a message, post or comment as someone else", async () => {
    const member = await token(emailOf("member"));
    const attempts = [
      [
        `mutation ($s: UUID!, $to: UUID!) { createMessage(input: { message: { senderId: $s, recipientId: $to, body: "forged" } }) { message { rowId } } }`,
        { s: me.coach, to: me.pt },
        "senderId",
      ],
      [
        `mutation ($a: UUID!) { createPost(input: { post: { authorId: $a, body: "forged" } }) { post { rowId } } }`,
        { a: me.coach },
        "authorId",
      ],
    ] as const;
    for (const [document, variables, field] of attempts) expectNoSuchField(await gql(api, document, variables, member), field);

    const msg = await gql<{ createMessage: { message: { rowId: string; senderId: string } } }>(
      api,
      `mutation ($to: UUID!) { createMessage(input: { message: { recipientId: $to, body: "authorship-test" } }) { message { rowId senderId } } }`,
      { to: me.pt },
      member,
    );
    expect(msg.errors).toBeUndefined();
    created.push({ table: "messages", id: msg.data!.createMessage.message.rowId });
    expect(msg.data!.createMessage.message.senderId).toBe(me.member);

    const post = await gql<{ createPost: { post: { rowId: string; authorId: string } } }>(
      api,
      `mutation { createPost(input: { post: { body: "authorship-test" } }) { post { rowId authorId } } }`,
      {},
      member,
    );
    expect(post.errors).toBeUndefined();
    const postId = post.data!.createPost.post.rowId;
    created.push({ table: "posts", id: postId });
    expect(post.data!.createPost.post.authorId).toBe(me.member);

    const forgedComment = await gql(
      api,
      `mutation ($p: UUID!, $a: UUID!) { createComment(input: { comment: { postId: $p, authorId: $a, body: "forged" } }) { comment { rowId } } }`,
      { p: postId, a: me.coach },
      member,
    );
    expectNoSuchField(forgedComment, "authorId");
    const comment = await gql<{ createComment: { comment: { rowId: string; authorId: string } } }>(
      api,
      `mutation ($p: UUID!) { createComment(input: { comment: { postId: $p, body: "authorship-test" } }) { comment { rowId authorId } } }`,
      { p: postId },
      member,
    );
    expect(comment.errors).toBeUndefined();
    created.push({ table: "comments", id: comment.data!.createComment.comment.rowId });
    expect(comment.data!.createComment.comment.authorId).toBe(me.member);
  });

  it("SQL that names a stamped column is refused (no grant), on insert and on update", async () => {
    const cases: { role: "coach" | "member" | "personal_trainer"; sql: string; params: (m: typeof me) => unknown[] }[] = [
      {
        role: "coach",
        sql: "insert into app_public.workouts (title, scoring_type, author_id) values ('x', 'reps', $1)",
        params: (m) => [m.admin],
      },
      { role: "coach", sql: "update app_public.workouts set author_id = $1", params: (m) => [m.admin] },
      {
        role: "personal_trainer",
        sql: "insert into app_public.progress_metrics (member_id, kind, value, unit, recorded_by) values ($1, 'body_weight', 80, 'kg', $1)",
        params: () => [client.id],
      },
      { role: "personal_trainer", sql: "update app_public.progress_metrics set recorded_by = $1", params: () => [client.id] },
      {
        role: "personal_trainer",
        sql: "insert into app_public.workout_results (member_id, workout_id, score, recorded_by) values ($1, $2, 1, $1)",
        params: () => [client.id, publishedWorkout],
      },
      { role: "personal_trainer", sql: "update app_public.workout_results set recorded_by = $1", params: () => [client.id] },
      {
        role: "member",
        sql: "insert into app_public.messages (sender_id, recipient_id, body) values ($1, $2, 'x')",
        params: (m) => [m.coach, m.pt],
      },
      { role: "member", sql: "insert into app_public.posts (author_id, body) values ($1, 'x')", params: (m) => [m.coach] },
      { role: "member", sql: "update app_public.posts set author_id = $1", params: (m) => [m.coach] },
      {
        role: "member",
        sql: "insert into app_public.comments (post_id, author_id, body) select id, $1, 'x' from app_public.posts limit 1",
        params: (m) => [m.coach],
      },
      { role: "member", sql: "update app_public.comments set author_id = $1", params: (m) => [m.coach] },
    ];
    const outcomes: string[] = [];
    for (const c of cases) {
      const who = await persona(c.role, A);
      outcomes.push(
        await asPersona(who, async (db) => {
          try {
            await db.query(c.sql, c.params(me));
            return `${c.sql}: accepted`;
          } catch (error) {
            return `${c.sql}: ${(error as { code?: string }).code}`;
          }
        }),
      );
    }
    expect(outcomes).toEqual(cases.map((c) => `${c.sql}: 42501`));
  });
});

describe("numeric inputs are numbers", () => {
  let api: RunningApi;
  let member: string;
  let coach: string;
  let memberId: string;
  let workoutId: string;
  const created: string[] = [];

  beforeAll(async () => {
    api = await startTestApi();
    member = await login(api, emailOf("member"));
    coach = await login(api, emailOf("coach"));
    memberId = await membershipOf(emailOf("member"));
    const [w] = await rootQuery<{ id: string }>(
      "select id from app_public.workouts where tenant_id = $1 and is_published order by created_at limit 1",
      [await gymId(A)],
    );
    workoutId = w!.id;
  });
  afterAll(async () => {
    for (const id of created) await rootQuery("delete from app_public.workout_results where id = $1", [id]);
    await api.close();
  });

  const counts = async () =>
    (
      await rootQuery<{ results: string; metrics: string }>(
        `select (select count(*) from app_public.workout_results where tenant_id = $1 and member_id = $2)::text as results,
            (select count(*) from app_public.progress_metrics where tenant_id = $1 and member_id = $2)::text as metrics`,
        [await gymId(A), memberId],
      )
    )[0]!;

  for (const bad of ["NaN", "Infinity", "-Infinity"]) {
    it(`refuses score ${bad} and metric value ${bad} with 23514 and the constraint name, writing nothing`, async () => {
      const before = await counts();
      const result = await gql(
        api,
        `mutation ($w: UUID!, $s: BigFloat!) { createWorkoutResult(input: { workoutResult: { workoutId: $w, score: $s } }) { workoutResult { rowId } } }`,
        { w: workoutId, s: bad },
        member,
      );
      expect(firstError(result)?.extensions).toEqual({ code: "23514", constraint: "workout_results_score_finite" });
      const metric = await gql(
        api,
        `mutation ($v: BigFloat!) { createProgressMetric(input: { progressMetric: { kind: "body_weight", value: $v, unit: "kg" } }) { progressMetric { rowId } } }`,
        { v: bad },
        member,
      );
      expect(firstError(metric)?.extensions).toEqual({ code: "23514", constraint: "progress_metrics_value_finite" });
      expect(await counts()).toEqual(before);
    });
  }

  it("refuses NaN on update too, and keeps scores to two decimals", async () => {
    const res = await gql<{ createWorkoutResult: { workoutResult: { id: string; rowId: string; score: string } } }>(
      api,
      `mutation ($w: UUID!) { createWorkoutResult(input: { workoutResult: { workoutId: $w, score: "61", notes: "authorship-test" } }) { workoutResult { id rowId score } } }`,
      { w: workoutId },
      member,
    );
    expect(res.errors).toBeUndefined();
    const row = res.data!.createWorkoutResult.workoutResult;
    created.push(row.rowId);
    expect(row.score).toBe("61.00");

    const update = (score: string) =>
      gql<{ updateWorkoutResult: { workoutResult: { score: string } } }>(
        api,
        `mutation ($id: UUID!, $s: BigFloat!) { updateWorkoutResult(input: { rowId: $id, patch: { score: $s } }) { workoutResult { score } } }`,
        { id: row.rowId, s: score },
        member,
      );
    expect(firstError(await update("NaN"))?.extensions).toEqual({ code: "23514", constraint: "workout_results_score_finite" });
    expect((await update("5.125")).data?.updateWorkoutResult.workoutResult.score).toBe("5.13");
    const tooBig = await update("100000000");
    expect(firstError(tooBig)?.extensions).toEqual({ code: "23514", constraint: "workout_results_score_range" });
    const [stored] = await rootQuery<{ score: string }>("select score::text from app_public.workout_results where id = $1", [
      row.rowId,
    ]);
    expect(stored!.score).toBe("5.13");
  });

  it("the leaderboard and the aggregates stay numbers", async () => {
    const res = await gql<{
      workouts: { nodes: { leaderboard: { nodes: { score: string }[] } }[] };
      workoutResults: {
        aggregates: { sum: { score: string }; average: { score: string }; max: { score: string }; min: { score: string } };
      };
    }>(
      api,
      `query ($w: UUID!) {
         workouts(condition: { rowId: $w }) { nodes { leaderboard { nodes { score } } } }
         workoutResults { aggregates { sum { score } average { score } max { score } min { score } } }
       }`,
      { w: workoutId },
      coach,
    );
    expect(res.errors).toBeUndefined();
    const numbers = [
      ...res.data!.workouts.nodes.flatMap((w) => w.leaderboard.nodes.map((n) => n.score)),
      ...Object.values(res.data!.workoutResults.aggregates).map((a) => a.score),
    ];
    expect(numbers.length).toBeGreaterThan(4);
    expect(numbers.filter((n) => !Number.isFinite(Number(n)))).toEqual([]);
    const [{ nonfinite }] = (await rootQuery<{ nonfinite: string }>(
      `select ((select count(*) from app_public.workout_results where score in ('NaN', 'Infinity', '-Infinity'))
             + (select count(*) from app_public.progress_metrics where value in ('NaN', 'Infinity', '-Infinity')))::text as nonfinite`,
    )) as [{ nonfinite: string }];
    expect(nonfinite).toBe("0");
  });
});
