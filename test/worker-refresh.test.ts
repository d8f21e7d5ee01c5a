import { Client } from "pg";
import { run, runOnce } from "graphile-worker";
import type { Claims } from "../src/auth/verify-token";
import { taskList } from "../src/worker";
import { GYM_A, GYM_B, asPersona, becomePersona, persona, rootQuery, testDb } from "./support/db";

/** Run `fn` as this persona through the authenticator, and COMMIT (the worker must see it). */
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

// The worker and these tests commit; they clean up the results they add.
describe("leaderboard refresh through graphile-worker", () => {
  const added: string[] = [];
  afterAll(async () => {
    if (added.length) await rootQuery("delete from app_public.workout_results where notes = 'worker-test'");
    await rootQuery("select app_shared.refresh_leaderboards()");
    await rootQuery("delete from graphile_worker.jobs where task_identifier = 'refresh_leaderboards'").catch(() => undefined);
  });

  it("logging a result enqueues a refresh that a real worker run turns into an updated leaderboard", async () => {
    const memberA = await persona("member", GYM_A);
    const memberB = await persona("member", GYM_B);
    const fran = await franWorkoutId(GYM_A);
    const [{ refreshed_at: before }] = (await rootQuery<{ refreshed_at: Date }>(
      "select app_shared.leaderboard_refreshed_at() as refreshed_at",
    )) as [{ refreshed_at: Date }];

    await committedAs(memberA, async (db) => {
      const { rows } = await db.query<{ id: string }>(
        "insert into app_public.workout_results (workout_id, score, is_rx, notes) values ($1, 61, true, 'worker-test') returning id",
        [fran],
      );
      added.push(rows[0]!.id);
    });
    expect(await pendingRefreshJobs()).toBeGreaterThanOrEqual(1);

    const leaderOf = async () =>
      asPersona(memberB, async (db) => (await db.query<{ score: string; gym_name: string }>(
        "select score, gym_name from app_shared.network_leaderboard('fran') where rank = 1",
      )).rows[0]);
    expect(Number((await leaderOf())?.score)).not.toBe(61);

    const runner = await run({ connectionString: testDb().ownerUrl, taskList, concurrency: 1, pollInterval: 200, noHandleSignals: true });
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && Number((await leaderOf())?.score) !== 61) await sleep(200);
    } finally {
      await runner.stop();
    }
    expect(await leaderOf()).toEqual({ score: "61.00", gym_name: "Iron Temple" });
    const [{ refreshed_at: after }] = (await rootQuery<{ refreshed_at: Date }>(
      "select app_shared.leaderboard_refreshed_at() as refreshed_at",
    )) as [{ refreshed_at: Date }];
    expect(after.getTime()).toBeGreaterThan(before.getTime());
  });

  it("a burst of 100 results leads to a bounded number of refresh jobs, drained by one worker pass", async () => {
    const memberA = await persona("member", GYM_A);
    const fran = await franWorkoutId(GYM_A);
    for (let i = 0; i < 100; i++) {
      await committedAs(memberA, async (db) => {
        await db.query("insert into app_public.workout_results (workout_id, score, is_rx, notes) values ($1, $2, true, 'worker-test')", [fran, 400 + i]);
      });
      added.push(String(i));
    }
    const pending = await pendingRefreshJobs();
    expect(pending).toBeGreaterThanOrEqual(1);
    expect(pending).toBeLessThanOrEqual(2);

    await sleep(1_200); // run_at = first change + 1 s
    await runOnce({ connectionString: testDb().ownerUrl, taskList, noHandleSignals: true });
    expect(await pendingRefreshJobs()).toBe(0);
  });

  it("REFRESH … CONCURRENTLY does not block readers", async () => {
    const memberB = await persona("member", GYM_B);
    const refresher = new Client({ connectionString: testDb().rootUrl });
    await refresher.connect();
    try {
      await refresher.query("begin");
      await refresher.query("select app_shared.refresh_leaderboards()"); // holds its locks until rollback
      const rows = await asPersona(memberB, async (db) => {
        await db.query("set local statement_timeout = '3s'");
        return (await db.query("select * from app_shared.network_leaderboard('fran')")).rows;
      });
      expect(rows.length).toBeGreaterThan(0);

      // For contrast: a plain REFRESH (ACCESS EXCLUSIVE) would block the same read.
      await refresher.query("refresh materialized view app_shared.network_best_this_month");
      const blocked = await asPersona(memberB, async (db) => {
        await db.query("set local statement_timeout = '300ms'");
        return db.query("select * from app_shared.network_leaderboard('fran', true, true)").then(
          () => "read", (e: { code: string }) => e.code);
      });
      expect(blocked).toBe("57014");
    } finally {
      await refresher.query("rollback");
      await refresher.end();
    }
  });
});
