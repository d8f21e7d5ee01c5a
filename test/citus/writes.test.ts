import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { createClient, type Client as WsClient } from "graphql-ws";
import { Logger, runOnce, type Runner } from "graphile-worker";
import type { RunningApi } from "../../src/server";
import { startWorker } from "../../src/worker";
import {
  networkBestsCatchUp,
  NETWORK_BESTS_CATCH_UP_KEY,
  NETWORK_BESTS_CATCH_UP_SECONDS,
} from "../../src/worker/tasks/network_bests_catch_up";
import { gql, login, startTestApi } from "../support/api";
import { rootQuery, testDb } from "../support/db";
import { deliverMail, mailsTo, tokenIn } from "../support/mail";
import { citusWorkers } from "../../src/db/citus";
import { addPersonOnCitus, citusDescribe, onCitusAs, provisionGymOnCitus, type CitusPerson } from "./support";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest runs this file as CommonJS; ws's ESM wrapper is not loadable here
const WebSocketImpl = require("ws") as unknown;

/**
 * Writes on the cluster that used to be refused because their triggers fired on the workers
 * (docs/CITUS.md): results, network preferences, a gym's network opt-in, invitations. Proven
 * through the real API and the real graphile-worker tasks:
 * - a member's result commits; the gym board (workout_bests, co-located) has it at once; the
 *   network board (coordinator) has it after the catch-up job, and not before;
 * - a subscription hears the gym leaderboard event that the results shard raised on a worker;
 * - an invitation's mail is sent by send_mail through the mail transport;
 * - an opt-out (member, gym) is written and takes the member (the gym) off the network board.
 */

const quiet = new Logger(() => () => undefined);

/** Run the real catch-up task once (as the worker would, on the owner's connection). */
async function catchUp() {
  await rootQuery("select graphile_worker.add_job('network_bests_catch_up', '{}'::json, job_key := $1, max_attempts := 1)", [
    NETWORK_BESTS_CATCH_UP_KEY,
  ]);
  await runOnce({
    connectionString: testDb().ownerUrl,
    taskList: { network_bests_catch_up: networkBestsCatchUp },
    concurrency: 1,
    logger: quiet,
  });
  // The task scheduled its next run a few seconds ahead: not this suite's business.
  await rootQuery("select graphile_worker.remove_job($1)", [NETWORK_BESTS_CATCH_UP_KEY]);
}

/** Network-board rows (all time) of one membership, read as the superuser. */
async function boardRows(membershipId: string) {
  return rootQuery<{ score: number }>(
    "select score::float8 as score from app_shared.network_best_all_time where membership_id = $1",
    [membershipId],
  );
}

citusDescribe("writes whose triggers run on the workers, on the Citus cluster", () => {
  let api: RunningApi;
  let gym = "";
  let workoutId = "";
  const tag = randomUUID().slice(0, 8);
  const people: Record<"admin" | "coach" | "member" | "member2", CitusPerson> = {} as never;
  const tokens: Record<string, string> = {};
  const sockets: WsClient[] = [];

  async function logResult(who: "member" | "member2", score: number) {
    const res = await gql<{ createWorkoutResult: { workoutResult: { rowId: string } } }>(
      api,
      `mutation ($w: UUID!, $s: BigFloat!) { createWorkoutResult(input: { workoutResult: { workoutId: $w, score: $s } }) { workoutResult { rowId } } }`,
      { w: workoutId, s: String(score) },
      tokens[who],
    );
    expect(res.errors).toBeUndefined();
    return res.data!.createWorkoutResult.workoutResult.rowId;
  }

  beforeAll(async () => {
    gym = await provisionGymOnCitus(`writes-${tag}`);
    for (const role of ["admin", "coach", "member", "member2"] as const) {
      const appRole = role === "admin" ? "gym_admin" : role === "member2" ? "member" : role;
      people[role] = await addPersonOnCitus(gym, appRole, `${role}-${tag}@citus.test`);
    }
    // The gym joins the network: an UPDATE of gyms.network_opt_in by its admin (its trigger
    // fires on the gym's shard).
    await onCitusAs(
      people.admin,
      (db) => db.query("update app_public.gyms set network_opt_in = true where id = $1", [gym]),
      true,
    );
    // A published Fran (a time: lower is better) in the gym, by its coach.
    workoutId = await onCitusAs(
      people.coach,
      async (db) =>
        (
          await db.query<{ id: string }>(
            `insert into app_public.workouts (tenant_id, title, scoring_type, benchmark_id, is_published)
             select $1, 'Fran', 'time', b.id, true from app_public.benchmarks b where b.slug = 'fran' returning id`,
            [gym],
          )
        ).rows[0]!.id,
      true,
    );
    api = await startTestApi({ transactions: { settingsStyle: "set_local" }, tenantRouting: true, listenOnEveryNode: true });
    for (const who of ["admin", "member", "member2"] as const)
      tokens[who] = await login(api, people[who].email, people[who].password);
    // Both members show on the network boards (their trigger fires on the shard too).
    for (const who of ["member", "member2"] as const) {
      const res = await gql(
        api,
        `mutation ($n: String!) { setNetworkPreferences(input: { showOnLeaderboards: true, displayName: $n }) { clientMutationId } }`,
        { n: `${who}-${tag}` },
        tokens[who],
      );
      expect(res.errors).toBeUndefined();
    }
    await catchUp();
  });

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await api?.close();
  });

  it("a member's result commits, is on the gym board at once and on the network board after the catch-up job", async () => {
    await logResult("member", 300);
    expect(
      await rootQuery("select 1 from app_public.workout_results where tenant_id = $1 and member_id = $2", [
        gym,
        people.member.membershipId,
      ]),
    ).toHaveLength(1);
    // Gym board: kept by the results shard's trigger, in the same transaction; read as the member.
    const gymBoard = await onCitusAs(
      people.member,
      async (db) =>
        (
          await db.query(
            "select member_id, score::float8 as score from app_public.workout_bests where tenant_id = $1 and workout_id = $2",
            [gym, workoutId],
          )
        ).rows,
    );
    expect(gymBoard).toEqual([{ member_id: people.member.membershipId, score: 300 }]);
    // Network board: not yet (the shard only left a note) …
    expect(await boardRows(people.member.membershipId!)).toEqual([]);
    expect(await rootQuery("select 1 from app_private.network_bests_pending where tenant_id = $1", [gym])).not.toHaveLength(0);
    // … and there once the coordinator's job ran, through the API as any member of the network.
    await catchUp();
    expect(await boardRows(people.member.membershipId!)).toEqual([{ score: 300 }]);
    expect(await rootQuery("select 1 from app_private.network_bests_pending where tenant_id = $1", [gym])).toEqual([]);
    const res = await gql(
      api,
      `{ networkLeaderboard(benchmark: "fran") { nodes { displayName gymName score } } }`,
      {},
      tokens.member2,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data!.networkLeaderboard.nodes).toContainEqual({
      displayName: `member-${tag}`,
      gymName: `Gym writes-${tag}`,
      score: expect.stringMatching(/^300(\.0+)?$/),
    });
  });

  it("a subscription hears the gym leaderboard event raised on the worker holding the gym's shard", async () => {
    // The results shard of this gym is on a worker, not on the coordinator: the NOTIFY happens there.
    const [placement] = await rootQuery<{ nodeport: number }>(
      `select p.nodeport from pg_dist_shard s join pg_dist_shard_placement p using (shardid)
        where s.logicalrelid = 'app_public.workout_results'::regclass
          and get_shard_id_for_distribution_column('app_public.workout_results', $1::uuid) = s.shardid`,
      [gym],
    );
    const workers = await citusWorkers(testDb().serverRootUrl);
    expect(workers.map((w) => w.port)).toContain(placement!.nodeport);

    const events: unknown[] = [];
    const errors: unknown[] = [];
    const ws = createClient({
      url: `${api.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams: { authorization: `Bearer ${tokens.member2}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
    });
    sockets.push(ws);
    ws.subscribe(
      { query: "subscription { gymLeaderboardChanged { rowId } }" },
      { next: (v) => events.push(v), error: (e) => errors.push(e), complete: () => undefined },
    );
    // LISTEN is set up asynchronously after the subscription starts: log results until one is heard.
    for (let i = 0; events.length === 0 && i < 10; i++) {
      await logResult("member2", 400 + i);
      const until = Date.now() + (i < 9 ? 1_500 : 10_000);
      while (events.length === 0 && errors.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    }
    expect(errors).toEqual([]);
    expect(events[0]).toEqual({ data: { gymLeaderboardChanged: { rowId: workoutId } } });
  });

  it("an invitation's mail is queued on the coordinator and sent by the send_mail task", async () => {
    const email = `invitee-${tag}@citus.test`;
    const res = await gql(
      api,
      `mutation ($e: String!) { inviteToGym(input: { email: $e, role: MEMBER, displayName: "Invitee" }) { clientMutationId } }`,
      { e: email },
      tokens.admin,
    );
    expect(res.errors).toBeUndefined();
    expect(
      await rootQuery("select 1 from app_private.mail_outbox where recipient = $1 and sent_at is null", [email]),
    ).toHaveLength(1);
    await deliverMail();
    const mails = await mailsTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.text).toContain(`Gym writes-${tag}`);
    expect(tokenIn(mails[0]!)).toMatch(/^[0-9a-f]{64}$/);
    expect(
      await rootQuery("select 1 from app_private.mail_outbox where recipient = $1 and sent_at is not null and secret is null", [
        email,
      ]),
    ).toHaveLength(1);
  });

  it("a member's opt-out is written and takes them off the network board", async () => {
    await catchUp(); // member2's results of the test above
    expect(await boardRows(people.member.membershipId!)).not.toEqual([]);
    const res = await gql(
      api,
      `mutation ($n: String!) { setNetworkPreferences(input: { showOnLeaderboards: false, displayName: $n }) { clientMutationId } }`,
      { n: `member-${tag}` },
      tokens.member,
    );
    expect(res.errors).toBeUndefined();
    // The board's line goes with the job; until then the board function, which re-checks the
    // member's current preference on the cluster, already leaves them out.
    expect(await boardRows(people.member.membershipId!)).not.toEqual([]);
    const board = await gql(api, `{ networkLeaderboard(benchmark: "fran") { nodes { displayName } } }`, {}, tokens.member2);
    expect(board.errors).toBeUndefined();
    const names = board.data!.networkLeaderboard.nodes.map((n: { displayName: string }) => n.displayName);
    expect(names).toContain(`member2-${tag}`);
    expect(names).not.toContain(`member-${tag}`);
    await catchUp();
    expect(await boardRows(people.member.membershipId!)).toEqual([]);
    expect(await boardRows(people.member2.membershipId!)).not.toEqual([]);
    // A new network name reaches member2's lines with the next catch-up (the boards carry it).
    const renamed = await gql(
      api,
      `mutation ($n: String!) { setNetworkPreferences(input: { showOnLeaderboards: true, displayName: $n }) { clientMutationId } }`,
      { n: `renamed-${tag}` },
      tokens.member2,
    );
    expect(renamed.errors).toBeUndefined();
    await catchUp();
    expect(
      await rootQuery("select distinct display_name from app_shared.network_best_all_time where membership_id = $1", [
        people.member2.membershipId,
      ]),
    ).toEqual([{ display_name: `renamed-${tag}` }]);
    // The daily full repair (as graphile-worker runs it, on the owner's connection) agrees.
    const owner = new Client({ connectionString: testDb().ownerUrl });
    await owner.connect();
    try {
      await owner.query("select app_shared.refresh_leaderboards()");
    } finally {
      await owner.end();
    }
    expect(await boardRows(people.member.membershipId!)).toEqual([]);
    expect(await boardRows(people.member2.membershipId!)).not.toEqual([]);
  });

  it("the running worker keeps the network board within seconds (lag measured) through results, a workout unpublished and the gym leaving", async () => {
    let worker: Runner | undefined;
    /** How long until `holds` is true of member2's board rows, polled every 50 ms. */
    const waitFor = async (what: string, holds: (rows: { score: number }[]) => boolean) => {
      const started = Date.now();
      for (;;) {
        const rows = await boardRows(people.member2.membershipId!);
        if (holds(rows)) return Date.now() - started;
        if (Date.now() - started > 30_000) throw new Error(`network board: ${what} not seen after 30 s: ${JSON.stringify(rows)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      worker = await startWorker(testDb().ownerUrl, { citus: true });
      // The crontab starts the chain at the next minute; start it now.
      await rootQuery("select graphile_worker.add_job('network_bests_catch_up', '{}'::json, job_key := $1, max_attempts := 1)", [
        NETWORK_BESTS_CATCH_UP_KEY,
      ]);
      // Results logged at different points of the job's cycle: each a new best (a lower time).
      const lags: number[] = [];
      for (let i = 0; i < 4; i++) {
        const score = 100 - i * 10;
        await logResult("member2", score);
        lags.push(await waitFor(`result ${score}`, (rows) => rows[0]?.score === score));
        await new Promise((r) => setTimeout(r, 1_300));
      }
      console.log(
        `network board lag on the cluster (result committed → on the board): ${lags.join(", ")} ms; catch-up every ${NETWORK_BESTS_CATCH_UP_SECONDS} s`,
      );
      for (const lag of lags) expect(lag).toBeLessThan((NETWORK_BESTS_CATCH_UP_SECONDS + 5) * 1000);

      // The workout stops counting (unpublished by the coach): member2's line goes.
      await onCitusAs(
        people.coach,
        (db) =>
          db.query("update app_public.workouts set is_published = false where tenant_id = $1 and id = $2", [gym, workoutId]),
        true,
      );
      await waitFor("the unpublished workout's line gone", (rows) => rows.length === 0);
      await onCitusAs(
        people.coach,
        (db) => db.query("update app_public.workouts set is_published = true where tenant_id = $1 and id = $2", [gym, workoutId]),
        true,
      );
      await waitFor("the republished workout's line back", (rows) => rows[0]?.score === 70);

      // The gym leaves the network (and is renamed, in the same UPDATE): all of its lines go.
      await onCitusAs(
        people.admin,
        (db) => db.query("update app_public.gyms set network_opt_in = false, name = name || ' (left)' where id = $1", [gym]),
        true,
      );
      await waitFor("the gym's lines gone", (rows) => rows.length === 0);
      expect(await rootQuery("select 1 from app_shared.network_best_all_time where tenant_id = $1", [gym])).toEqual([]);
    } finally {
      await worker?.stop();
      await rootQuery("select graphile_worker.remove_job($1)", [NETWORK_BESTS_CATCH_UP_KEY]);
    }
  });
});
