/**
 * SQL-level scenarios, each measured side by side (A, B, A, B … one execution each, same
 * connection pair), timing only the statement under test:
 * - RLS cost per role: the role's query as the visitor role under RLS (authenticator
 *   connection, the same transaction-local settings as a request) vs the same SQL with an
 *   explicit `WHERE tenant_id = …` as a role that bypasses RLS. The database owner cannot be
 *   that baseline: it is under FORCE RLS with no policy of its own and sees nothing; the
 *   superuser connection is the owner-equivalent that bypasses RLS.
 * - One gym among many: the same RLS queries for a gym in the full platform vs the same-shaped
 *   gym alone in its own database.
 * - Leaderboards: network and gym top-100 latency as a member; refresh time vs total results.
 */
import { Client } from "pg";
import { pgSettingsFor } from "../src/auth/pg-settings";
import type { RoleNames } from "../src/db/roles";
import type { GymPeople, Person } from "./identities";
import { summarize, type Comparison } from "./stats";

export interface RoleQuery {
  name: string;
  who: (g: GymPeople) => Person;
  /** The query as the app sends it: RLS supplies the tenant (and the row rules). */
  rls: string;
  /** The same rows with the rules spelled out: $1 is the tenant, $2 the person's membership. */
  explicit: string;
  params?: (g: GymPeople) => unknown[];
}

const WEEK_START = `date_trunc('week', now())`;

/** Each role's typical reads (issue 12). Extra parameters follow $1/$2 in `explicit` and start at $1 in `rls`. */
export const ROLE_QUERIES: RoleQuery[] = [
  {
    name: "member: own results (latest 50)",
    who: (g) => g.member,
    rls: `select id, workout_id, score, is_rx, performed_on from app_public.workout_results order by performed_on desc, id limit 50`,
    explicit: `select id, workout_id, score, is_rx, performed_on from app_public.workout_results
               where tenant_id = $1 and member_id = $2 order by performed_on desc, id limit 50`,
  },
  {
    name: "coach: this week's schedule",
    who: (g) => g.coach,
    rls: `select id, title, starts_at, coach_id, booked_count, capacity from app_public.class_sessions
          where starts_at >= ${WEEK_START} and starts_at < ${WEEK_START} + interval '7 days' order by starts_at`,
    explicit: `select id, title, starts_at, coach_id, booked_count, capacity from app_public.class_sessions
               where tenant_id = $1 and $2::uuid is not null and starts_at >= ${WEEK_START} and starts_at < ${WEEK_START} + interval '7 days' order by starts_at`,
  },
  {
    name: "coach: a class roster",
    who: (g) => g.coach,
    rls: `select b.id, b.member_id, b.checked_in_at, p.headline from app_public.bookings b
          join app_public.profiles p on p.tenant_id = b.tenant_id and p.membership_id = b.member_id
          where b.class_session_id = (select c.id from app_public.class_sessions c where c.starts_at < now() order by c.starts_at desc limit 1)`,
    explicit: `select b.id, b.member_id, b.checked_in_at, p.headline from app_public.bookings b
               join app_public.profiles p on p.tenant_id = b.tenant_id and p.membership_id = b.member_id
               where b.tenant_id = $1 and p.tenant_id = $1 and $2::uuid is not null
                 and b.class_session_id = (select c.id from app_public.class_sessions c where c.tenant_id = $1 and c.starts_at < now() order by c.starts_at desc limit 1)`,
  },
  {
    name: "coach: average score per workout",
    who: (g) => g.coach,
    rls: `select workout_id, avg(score), count(*) from app_public.workout_results group by workout_id`,
    explicit: `select workout_id, avg(score), count(*) from app_public.workout_results where tenant_id = $1 and $2::uuid is not null group by workout_id`,
  },
  {
    name: "trainer: clients' latest results",
    who: (g) => g.trainer,
    rls: `select id, member_id, score, performed_on from app_public.workout_results order by performed_on desc, id limit 100`,
    explicit: `select r.id, r.member_id, r.score, r.performed_on from app_public.workout_results r
               where r.tenant_id = $1 and r.member_id in (select a.client_id from app_public.trainer_assignments a where a.tenant_id = $1 and a.trainer_id = $2)
               order by r.performed_on desc, r.id limit 100`,
  },
  {
    name: "trainer: clients' progress",
    who: (g) => g.trainer,
    rls: `select member_id, kind, value, unit, measured_on from app_public.progress_metrics order by member_id, kind, measured_on`,
    explicit: `select m.member_id, m.kind, m.value, m.unit, m.measured_on from app_public.progress_metrics m
               where m.tenant_id = $1 and m.member_id in (select a.client_id from app_public.trainer_assignments a where a.tenant_id = $1 and a.trainer_id = $2)
               order by m.member_id, m.kind, m.measured_on`,
  },
  {
    name: "admin: payments of last month",
    // date bounds, not timestamptz: under RLS only leakproof operators become index conditions,
    // and date >= timestamptz (date_ge_timestamptz) is not leakproof, date >= date is.
    who: (g) => g.admin,
    rls: `select id, member_id, amount_cents, status, paid_at from app_public.payments
          where period_start >= (date_trunc('month', now()) - interval '1 month')::date and period_start < date_trunc('month', now())::date`,
    explicit: `select id, member_id, amount_cents, status, paid_at from app_public.payments
               where tenant_id = $1 and $2::uuid is not null
                 and period_start >= (date_trunc('month', now()) - interval '1 month')::date and period_start < date_trunc('month', now())::date`,
  },
];

/** An authenticator connection that runs statements as a person, the way a request does. */
export class VisitorSession {
  constructor(
    private readonly client: Client,
    private readonly roles: RoleNames,
  ) {}
  static async open(authUrl: string, roles: RoleNames) {
    const client = new Client({ connectionString: authUrl });
    await client.connect();
    return new VisitorSession(client, roles);
  }
  /** BEGIN, the request's settings, then `fn`, then ROLLBACK. */
  async as<T>(who: Person, fn: (c: Client) => Promise<T>): Promise<T> {
    await this.client.query("begin");
    try {
      const settings = Object.entries(pgSettingsFor(who, this.roles));
      await this.client.query("select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el", [
        JSON.stringify(settings),
      ]);
      return await fn(this.client);
    } finally {
      await this.client.query("rollback");
    }
  }
  end() {
    return this.client.end();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function explainAs(session: VisitorSession, who: Person, sql: string, analyze = true): Promise<string> {
  return session.as(who, async (c) => {
    const { rows } = await c.query<{ "QUERY PLAN": string }>(
      `explain (${analyze ? "analyze, buffers, costs off" : "costs"}) ${sql}`,
    );
    return rows.map((r) => r["QUERY PLAN"]).join("\n");
  });
}

/**
 * Interleave A and B `rounds` times, or fewer when one run of the slower side is long: each
 * pair gets about `budgetMs` in all (at least 3 rounds). A statement that fails (e.g. hits
 * the request's statement_timeout, 57014) ends the pair with what it has and says so.
 */
async function interleave(
  runA: () => Promise<number>,
  runB: () => Promise<number>,
  rounds: number,
  budgetMs: number,
): Promise<{ a: number[]; b: number[]; error?: string }> {
  const a: number[] = [];
  const b: number[] = [];
  try {
    const wa = await runA();
    const wb = await runB();
    const n = Math.max(3, Math.min(rounds, Math.floor(budgetMs / Math.max(wa + wb, 0.01))));
    for (let i = 0; i < n; i++) {
      a.push(await runA());
      b.push(await runB());
    }
    return { a, b };
  } catch (error) {
    const e = error as { code?: string; message: string };
    return { a, b, error: `${e.code ?? ""} ${e.message}`.trim() };
  }
}

export interface SqlRounds {
  rounds: number;
  budgetMs: number;
}

/** RLS vs explicit WHERE for each role query of one gym. */
export async function rlsCost(
  opts: { visitor: VisitorSession; root: Client; gym: GymPeople; label: string } & SqlRounds,
): Promise<Comparison[]> {
  const out: Comparison[] = [];
  for (const q of ROLE_QUERIES) {
    const who = q.who(opts.gym);
    const { a, b, error } = await interleave(
      () => opts.visitor.as(who, (c) => timed(() => c.query(q.rls))),
      () => timed(() => opts.root.query(q.explicit, [opts.gym.tenantId, who.membershipId])),
      opts.rounds,
      opts.budgetMs,
    );
    const aS = summarize(a);
    const bS = summarize(b);
    const ratio = error ? 0 : bS.p50 / aS.p50;
    const met = !error && ratio >= 0.9;
    out.push({
      scenario: "rls-cost",
      name: `${q.name} — ${opts.label}`,
      a: `RLS as ${who.role}`,
      b: "superuser, explicit WHERE",
      aSummary: aS,
      bSummary: bS,
      ratio,
      goal: "median ratio ≥ 0.9",
      met,
      notes: error ? `failed: ${error}` : undefined,
      explain: met ? undefined : await explainAs(opts.visitor, who, q.rls, !error && aS.p50 < 5000),
    });
  }
  return out;
}

/** The same RLS queries for a gym among many vs the same-shaped gym alone. */
export async function gymAmongMany(
  opts: {
    among: { visitor: VisitorSession; gym: GymPeople };
    alone: { visitor: VisitorSession; gym: GymPeople };
  } & SqlRounds,
): Promise<Comparison[]> {
  const out: Comparison[] = [];
  for (const q of ROLE_QUERIES) {
    const whoA = q.who(opts.among.gym);
    const whoB = q.who(opts.alone.gym);
    const { a, b, error } = await interleave(
      () => opts.among.visitor.as(whoA, (c) => timed(() => c.query(q.rls))),
      () => opts.alone.visitor.as(whoB, (c) => timed(() => c.query(q.rls))),
      opts.rounds,
      opts.budgetMs,
    );
    const aS = summarize(a);
    const bS = summarize(b);
    const ratio = error ? 0 : bS.p50 / aS.p50;
    out.push({
      scenario: "gym-among-many",
      name: q.name,
      a: "among all gyms",
      b: "the same-shaped gym alone",
      aSummary: aS,
      bSummary: bS,
      ratio,
      goal: "≥ 0.9× the lone gym's throughput",
      met: !error && ratio >= 0.9,
      notes: error ? `failed: ${error}` : undefined,
    });
  }
  return out;
}

export interface LeaderboardFigures {
  network: ReturnType<typeof summarize>;
  gym: ReturnType<typeof summarize>;
  /** Logging one Fran result as a member: the INSERT with both boards' triggers (rolled back). */
  write?: ReturnType<typeof summarize>;
  /** Recomputing one member's network bests (what a deleted best or an opt-in change costs). */
  memberRecompute?: ReturnType<typeof summarize>;
  /** Full repair of every gym's bests (app_private.rebuild_workout_bests). */
  gymRebuildMs?: number;
  gymBestRows?: number;
  refreshMs: number[];
  totalResults: number;
  benchmarkResults: number;
  networkRows: number;
  networkExplain: string;
  gymExplain: string;
}

/** Top-100 latencies as a member (network board, then the gym's own board of a benchmark workout), the write path's cost, and full repairs. */
export async function leaderboards(opts: {
  visitor: VisitorSession;
  root: Client;
  gym: GymPeople;
  calls: number;
  refreshes: number;
  /** Run the full repairs (minutes at `large`); `--no-repair` keeps the previous run's figures. */
  repair: boolean;
}): Promise<LeaderboardFigures> {
  const network = `select * from app_shared.network_leaderboard('fran', true, false) limit 100`;
  const { rows: w } = await opts.root.query<{ id: string }>(
    `select w.id from app_public.workouts w join app_public.benchmarks b on b.id = w.benchmark_id
     where w.tenant_id = $1 and b.slug = 'fran'`,
    [opts.gym.tenantId],
  );
  const gymBoard = `select l.* from app_public.workouts w, app_public.workouts_leaderboard(w) l where w.id = '${w[0]!.id}' limit 100`;
  const who = opts.gym.member;
  const n: number[] = [];
  const g: number[] = [];
  await opts.visitor.as(who, (c) => c.query(network));
  await opts.visitor.as(who, (c) => c.query(gymBoard));
  for (let i = 0; i < opts.calls; i++) {
    n.push(await opts.visitor.as(who, (c) => timed(() => c.query(network))));
    g.push(await opts.visitor.as(who, (c) => timed(() => c.query(gymBoard))));
  }
  // A write: the member logs a Fran result (some beat their best, most do not); rolled back.
  const write: number[] = [];
  const recompute: number[] = [];
  for (let i = 0; i < opts.calls; i++) {
    write.push(
      await opts.visitor.as(who, (c) =>
        timed(() =>
          c.query("insert into app_public.workout_results (workout_id, score, is_rx) values ($1, $2, true)", [
            w[0]!.id,
            120 + (i % 400),
          ]),
        ),
      ),
    );
    recompute.push(
      await timed(async () => {
        await opts.root.query("begin");
        await opts.root.query("select app_shared.network_bests_recompute($1, array[$2::uuid])", [who.tenantId, who.membershipId]);
        await opts.root.query("rollback");
      }),
    );
  }
  const refreshMs: number[] = [];
  for (let i = 0; opts.repair && i < opts.refreshes; i++)
    refreshMs.push(await timed(() => opts.root.query("select app_shared.refresh_leaderboards()")));
  const gymRebuildMs = opts.repair ? await timed(() => opts.root.query("select app_private.rebuild_workout_bests()")) : undefined;
  const { rows: gymBest } = await opts.root.query<{ n: string }>("select count(*) as n from app_public.workout_bests");
  const { rows: counts } = await opts.root.query<{ total: string; bench: string; lb: string }>(
    `select (select count(*) from app_public.workout_results) as total,
            (select count(*) from app_public.workout_results r join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id
              where w.benchmark_id is not null) as bench,
            (select count(*) from app_shared.network_best_all_time) as lb`,
  );
  return {
    network: summarize(n),
    gym: summarize(g),
    write: summarize(write),
    memberRecompute: summarize(recompute),
    gymRebuildMs: gymRebuildMs === undefined ? undefined : Math.round(gymRebuildMs),
    gymBestRows: Number(gymBest[0]!.n),
    refreshMs: refreshMs.map((x) => Math.round(x)),
    totalResults: Number(counts[0]!.total),
    benchmarkResults: Number(counts[0]!.bench),
    networkRows: Number(counts[0]!.lb),
    networkExplain: await explainAs(opts.visitor, who, network),
    gymExplain: await explainAs(opts.visitor, who, gymBoard),
  };
}
