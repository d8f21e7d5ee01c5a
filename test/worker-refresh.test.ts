import { Client } from "pg";
import { runOnce } from "graphile-worker";
import type { Claims } from "../src/auth/verify-token";
import { taskList } from "../src/worker";
import { GYM_A, GYM_B, asPersona, becomePersona, persona, rootQuery, testDb } from "./support/db";

/** Run `fn` as this persona through the authenticator, and COMMIT (other sessions must see it). */
async function committedAs<T>(who: Claims, fn: (db: Client) => Promise<T>): Promise<T> {
  const db = new Client({ connectionString: testDb().authUrl });
  await db.connect();
  try {
    await db.query("begin");
    await becomePersona(db, who);
    const result = await fn(db);
    await db.query("commit");
    return result;
  } finally {
    await db.end();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pendingRefreshJobs(): Promise<number> {
  const [row] = await rootQuery<{ n: string }>(
    "select count(*) as n from graphile_worker.jobs where task_identifier = 'refresh_leaderboards'",
  );
  return Number(row!.n);
}

async function franWorkoutId(slug: string): Promise<string> {
  const [row] = await rootQuery<{ id: string }>(
    `select w.id from app_public.workouts w join app_public.gyms g on g.id = w.tenant_id
     join app_public.benchmarks b on b.id = w.benchmark_id
     where g.slug = $1 and b.slug = 'fran' and w.is_published limit 1`,
    [slug],
  );
  return row!.id;
}

/** The boards (network and gym) as recomputed from scratch, and as the triggers kept them: they must agree. */
async function boardsAgree(): Promise<void> {
  const kept = await rootQuery(
    "select * from app_shared.network_best_all_time order by tenant_id, membership_id, benchmark_id, is_rx",
  );
  const keptMonth = await rootQuery(
    "select * from app_shared.network_best_by_month order by tenant_id, membership_id, benchmark_id, is_rx, month",
  );
  const client = new Client({ connectionString: testDb().rootUrl });
  await client.connect();
  try {
    await client.query("begin");
    await client.query("select app_shared.refresh_leaderboards()");
    const full = (
      await client.query("select * from app_shared.network_best_all_time order by tenant_id, membership_id, benchmark_id, is_rx")
    ).rows;
    const fullMonth = (
      await client.query(
        "select * from app_shared.network_best_by_month order by tenant_id, membership_id, benchmark_id, is_rx, month",
      )
    ).rows;
    const key = (r: Record<string, unknown>) => JSON.stringify({ ...r, result_id: undefined });
    // Ties may keep a different result of the same score and day; everything else is equal.
    expect(kept.map(key)).toEqual(full.map(key));
    expect(keptMonth.map(key)).toEqual(fullMonth.map(key));
    // The gym boards' bests likewise.
    const gymOrder = "order by tenant_id, workout_id, member_id";
    const keptGym = (await client.query(`select * from app_public.workout_bests ${gymOrder}`)).rows;
    await client.query("select app_private.rebuild_workout_bests()");
    const fullGym = (await client.query(`select * from app_public.workout_bests ${gymOrder}`)).rows;
    expect(keptGym.length).toBeGreaterThan(0);
    expect(keptGym.map(key)).toEqual(fullGym.map(key));
  } finally {
    await client.query("rollback");
    await client.end();
  }
}

// These tests commit; they clean up the results they add.
describe("leaderboards follow every write (triggers), the worker only repairs", () => {
  afterAll(async () => {
    await rootQuery("delete from app_public.workout_results where notes = 'worker-test'");
    await rootQuery("delete from graphile_worker.jobs where task_identifier = 'refresh_leaderboards'").catch(() => undefined);
  });

  const leaderOf = async (who: Claims) =>
    asPersona(
      who,
      async (db) =>
        (
          await db.query<{ score: string; gym_name: string }>(
            "select score, gym_name from app_shared.network_leaderboard('fran') where rank = 1",
          )
        ).rows[0],
    );

  it("a logged result is on the board as soon as it commits, with no refresh job; a delete recomputes that member", async () => {
    const memberA = await persona("member", GYM_A);
    const memberB = await persona("member", GYM_B);
    const fran = await franWorkoutId(GYM_A);
    const jobsBefore = await pendingRefreshJobs();
    expect(Number((await leaderOf(memberB))?.score)).not.toBe(61);

    const id = await committedAs(memberA, async (db) => {
      const { rows } = await db.query<{ id: string }>(
        "insert into app_public.workout_results (workout_id, score, is_rx, notes) values ($1, 61, true, 'worker-test') returning id",
        [fran],
      );
      return rows[0]!.id;
    });
    // Lag 0: another gym's member reads it right after the commit, nothing was enqueued.
    expect(await leaderOf(memberB)).toEqual({ score: "61.00", gym_name: "Iron Temple" });
    // And the gym's own board of that workout has it first.
    const gymTop = await asPersona(
      memberA,
      async (db) =>
        (
          await db.query<{ rank: number; score: string; mine: boolean }>(
            `select l.rank, l.score, l.membership_id = app_hidden.current_membership_id() as mine
         from app_public.workouts w, app_public.workouts_leaderboard(w) l where w.id = $1 order by l.rank limit 1`,
            [fran],
          )
        ).rows[0],
    );
    expect(gymTop).toEqual({ rank: 1, score: "61.00", mine: true });
    expect(await pendingRefreshJobs()).toBe(jobsBefore);

    // Improving the best moves it (a recompute of that member); deleting it brings
    // back the member's previous best (recomputed from their other results).
    await committedAs(memberA, (db) => db.query("update app_public.workout_results set score = 59 where id = $1", [id]));
    expect(await leaderOf(memberB)).toEqual({ score: "59.00", gym_name: "Iron Temple" });
    await committedAs(memberA, (db) => db.query("delete from app_public.workout_results where id = $1", [id]));
    expect(Number((await leaderOf(memberB))?.score)).not.toBe(59);
    await boardsAgree();
  });

  it("a new best notifies the network channel at commit (board name only); a result that beats nothing is silent", async () => {
    const memberA = await persona("member", GYM_A);
    const fran = await franWorkoutId(GYM_A);
    const listener = new Client({ connectionString: testDb().rootUrl });
    await listener.connect();
    const heard: string[] = [];
    listener.on("notification", (n) => {
      if (n.channel === "ironclad:network:leaderboards") heard.push(n.payload ?? "");
    });
    try {
      await listener.query('listen "ironclad:network:leaderboards"');
      const log = (score: number) =>
        committedAs(memberA, (db) =>
          db.query(
            "insert into app_public.workout_results (workout_id, score, is_rx, notes) values ($1, $2, true, 'worker-test')",
            [fran, score],
          ),
        );
      await log(1); // faster than any Fran: a best on both boards
      await sleep(300);
      expect(heard.map((p) => JSON.parse(p))).toEqual(
        expect.arrayContaining([{ leaderboard: "network_best_all_time" }, { leaderboard: "network_best_by_month" }]),
      );
      heard.length = 0;
      await log(99999); // slower than the member's own best: no board changes
      await sleep(300);
      expect(heard).toEqual([]);
    } finally {
      await listener.end();
      await rootQuery("delete from app_public.workout_results where notes = 'worker-test'");
    }
  });

  it("a burst of 100 results keeps the board equal to a full recompute, and enqueues nothing", async () => {
    const memberA = await persona("member", GYM_A);
    const fran = await franWorkoutId(GYM_A);
    const jobsBefore = await pendingRefreshJobs();
    for (let i = 0; i < 100; i++) {
      await committedAs(memberA, async (db) => {
        await db.query(
          "insert into app_public.workout_results (workout_id, score, is_rx, notes) values ($1, $2, true, 'worker-test')",
          [fran, 400 - i],
        );
      });
    }
    expect(await pendingRefreshJobs()).toBe(jobsBefore);
    await boardsAgree();
    await rootQuery("delete from app_public.workout_results where notes = 'worker-test'");
    await boardsAgree();
  });

  it("opting out, a gym leaving and an unpublished workout take rows off the boards at once (triggers), and back", async () => {
    const [{ id: gymB }] = (await rootQuery<{ id: string }>("select id from app_public.gyms where slug = $1", [GYM_B])) as [
      { id: string },
    ];
    const rowsOf = async () =>
      Number(
        (
          await rootQuery<{ n: string }>("select count(*) as n from app_shared.network_best_all_time where tenant_id = $1", [
            gymB,
          ])
        )[0]!.n,
      );
    const before = await rowsOf();
    expect(before).toBeGreaterThan(0);
    const fran = await franWorkoutId(GYM_B);
    try {
      await rootQuery("update app_public.gyms set network_opt_in = false where id = $1", [gymB]);
      expect(await rowsOf()).toBe(0);
      await rootQuery("update app_public.gyms set network_opt_in = true where id = $1", [gymB]);
      expect(await rowsOf()).toBe(before);

      await rootQuery("update app_public.workouts set is_published = false where id = $1", [fran]);
      expect(await rowsOf()).toBeLessThan(before);
      await rootQuery("update app_public.workouts set is_published = true where id = $1", [fran]);
      expect(await rowsOf()).toBe(before);
      await boardsAgree();
    } finally {
      // Other suites rely on gym B in the network with its Fran published.
      await rootQuery("update app_public.gyms set network_opt_in = true where id = $1", [gymB]);
      await rootQuery("update app_public.workouts set is_published = true where id = $1", [fran]);
    }
  });

  it("the worker's repair job recomputes every board and records when", async () => {
    const [{ refreshed_at: before }] = (await rootQuery<{ refreshed_at: Date }>(
      "select app_shared.leaderboard_refreshed_at() as refreshed_at",
    )) as [{ refreshed_at: Date }];
    await rootQuery("select graphile_worker.add_job('refresh_leaderboards', '{}'::json, job_key := 'refresh_leaderboards')");
    await runOnce({ connectionString: testDb().ownerUrl, taskList, noHandleSignals: true });
    const [{ refreshed_at: after }] = (await rootQuery<{ refreshed_at: Date }>(
      "select app_shared.leaderboard_refreshed_at() as refreshed_at",
    )) as [{ refreshed_at: Date }];
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });

  it("the database owner (the worker, the operator's tools) may repair one gym's bests; a visitor may not", async () => {
    // The owner reads no gym itself (RLS is forced on it too): the id comes from the ground truth.
    const [gym] = await rootQuery<{ id: string }>("select id from app_public.gyms where slug = $1", [GYM_A]);
    const owner = new Client({ connectionString: testDb().ownerUrl });
    await owner.connect();
    try {
      await owner.query("begin");
      const { rows } = await owner.query<{ n: number }>("select app_private.rebuild_workout_bests($1) as n", [gym!.id]);
      expect(rows[0]!.n).toBeGreaterThan(0);
    } finally {
      await owner.query("rollback");
      await owner.end();
    }
    await expect(
      asPersona(await persona("gym_admin", GYM_A), (db) => db.query("select app_private.rebuild_workout_bests()")),
    ).rejects.toMatchObject({ code: "42501" });
  });

  it("a repair in progress does not block readers", async () => {
    const memberB = await persona("member", GYM_B);
    const refresher = new Client({ connectionString: testDb().rootUrl });
    await refresher.connect();
    try {
      await refresher.query("begin");
      await refresher.query("select app_shared.refresh_leaderboards()"); // holds its row locks until rollback
      const rows = await asPersona(memberB, async (db) => {
        await db.query("set local statement_timeout = '3s'");
        return (await db.query("select * from app_shared.network_leaderboard('fran')")).rows;
      });
      expect(rows.length).toBeGreaterThan(0);
    } finally {
      await refresher.query("rollback");
      await refresher.end();
    }
  });
});
