/**
 * The platform-scale data generator behind `npm run bench:seed`.
 *
 * Set-based SQL (generate_series, one INSERT … SELECT per table), run on ONE superuser
 * connection to the bench database:
 * - superusers bypass RLS, so one connection may write every gym;
 * - `session_replication_role = replica` turns off the row triggers (plan limits, seat
 *   counting, profile creation, leaderboard job enqueueing) and the foreign-key triggers for
 *   the load. Everything those triggers would have derived is written here directly and
 *   consistently instead (gym counters, booked_count, profiles), and the generator only ever
 *   references rows it has just created, so the foreign keys hold; `checkShape` in the test
 *   verifies them afterwards;
 * - the bulk tables' secondary (non-unique) indexes are dropped for the load and rebuilt from
 *   their own definitions afterwards (a sorted build is much faster than 10 M random inserts),
 *   and so are their primary keys and unique constraints that no foreign key depends on.
 *   The schema is identical afterwards.
 *
 * Shape: gym sizes follow a power law (weight 1/rank^skew), so a few gyms are large and most
 * are small; a gym's content depends only on its member count, so a gym of N members looks
 * the same whether it is seeded among 1 000 gyms or alone (the "one gym among many"
 * comparison relies on that). Small gyms that fit the free plan get it, mid-size ones basic,
 * large ones pro. Results are inserted in the order they were logged (by date), as a real gym
 * would write them (every member's first result, then every member's second, …, dates rising
 * with each pass), so a member's rows are spread over the table rather than clustered, without
 * sorting 10 M rows.
 */
import type { Client } from "pg";

export interface SeedOptions {
  gyms: number;
  members: number;
  results: number;
  /** Power-law exponent of gym sizes (default 0.8: the largest gym ≈ 250× the smallest at 1 000 gyms). */
  skew?: number;
}

export const PRESETS: Record<"small" | "large", SeedOptions> = {
  small: { gyms: 30, members: 3_000, results: 60_000 },
  large: { gyms: 1_000, members: 200_000, results: 10_000_000 },
};

/** Every bench user logs in with this password (one bcrypt hash, cost 8 as provisioning uses). */
export const BENCH_PASSWORD = "bench-password";
export const BENCH_OWNER_EMAIL = "owner@bench.test";
/** Workouts per gym: the 8 network benchmarks plus a year of daily programming, roughly. */
export const WORKOUTS_PER_GYM = 108;
/** Classes are scheduled from this many days ago up to two weeks ahead. */
const CLASS_DAYS_BACK = 84;
const CLASS_DAYS_AHEAD = 13;

export interface StepTiming {
  step: string;
  rows: number;
  ms: number;
}

/** Tables whose non-unique indexes are rebuilt after the load. */
const BULK_TABLES = [
  "app_public.workout_results",
  "app_public.bookings",
  "app_public.class_sessions",
  "app_public.progress_metrics",
  "app_public.payments",
  "app_public.messages",
  "app_public.memberships",
  "app_public.trainer_assignments",
  "app_public.posts",
  "app_public.comments",
];

function int(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${n}`);
  return n;
}

/**
 * Fill an empty, migrated database. `client` must be a superuser connection to it.
 * Returns the time each step took.
 */
export async function seedPlatform(
  client: Client,
  options: SeedOptions,
  log: (m: string) => void = () => undefined,
): Promise<StepTiming[]> {
  const G = int(options.gyms, "gyms");
  const M = int(options.members, "members");
  const R = int(options.results, "results");
  const skew = options.skew ?? 0.8;
  if (M < G * 5) throw new Error(`members must be at least 5 per gym (${G * 5})`);
  const timings: StepTiming[] = [];
  const step = async (name: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await client.query(sql, params);
    const ms = performance.now() - started;
    const rows = result.rowCount ?? 0;
    timings.push({ step: name, rows, ms });
    log(`${name}: ${rows.toLocaleString("en")} rows in ${(ms / 1000).toFixed(1)} s`);
  };

  const { rows: existing } = await client.query<{ n: string }>("select count(*) as n from app_public.gyms");
  if (Number(existing[0]!.n) > 0) throw new Error("the bench database already has gyms; seed into a fresh one");

  await client.query(`set session_replication_role = replica`);
  await client.query(`set synchronous_commit = off`);
  await client.query(`set work_mem = '128MB'`);
  await client.query(`set maintenance_work_mem = '512MB'`);
  // No parallel workers: the machine has 2 cores shared with others.
  await client.query(`set max_parallel_maintenance_workers = 0`);

  const { rows: indexes } = await client.query<{ name: string; def: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
     from pg_index i
     where i.indrelid = any ($1::regclass[]) and not i.indisunique and not i.indisprimary`,
    [BULK_TABLES],
  );
  for (const ix of indexes) await client.query(`drop index ${ix.name}`);
  // Primary keys and unique constraints no foreign key depends on go too, and come back as
  // the same constraints (sorted builds instead of millions of random B-tree inserts).
  const { rows: constraints } = await client.query<{ tbl: string; name: string; def: string }>(
    `select c.conrelid::regclass::text as tbl, quote_ident(c.conname) as name, pg_get_constraintdef(c.oid) as def
     from pg_constraint c
     where c.conrelid = any ($1::regclass[]) and c.contype in ('p', 'u')
       and not exists (select 1 from pg_constraint f where f.contype = 'f' and f.conindid = c.conindid)`,
    [BULK_TABLES],
  );
  for (const c of constraints) await client.query(`alter table ${c.tbl} drop constraint ${c.name}`);

  // --- gyms -------------------------------------------------------------------------------
  await step(
    "plan the gyms",
    `
    create temp table g on commit preserve rows as
    with w as (select i, 1.0 / power(i, $3::float8) as w from generate_series(1, $1::int) i),
         t as (select sum(w) as s from w),
         sized as (select i, greatest(5, round($2::int * w / s))::int as n_members from w, t)
    select i, gen_random_uuid() as id, n_members,
           case when n_members <= 30 then 0 else 1 + n_members / 150 end as n_coaches,
           1 + n_members / 250 as n_trainers
    from sized`,
    [G, M, skew],
  );
  await client.query(`alter table g add column staff int, add column plan text`);
  await client.query(`update g set staff = 1 + n_coaches + n_trainers`);
  await client.query(`update g set plan = case when n_members <= 30 and staff <= 2 then 'free'
                                               when n_members <= 200 then 'basic' else 'pro' end`);
  await client.query(`create unique index on g (i)`);
  await step(
    "gyms",
    `
    insert into app_public.gyms (id, name, slug, plan, created_at, member_count, staff_count, network_opt_in, city, description)
    select id, 'Bench Gym ' || i, 'bench-gym-' || lpad(i::text, 5, '0'), plan::app_public.gym_plan, now() - interval '2 years',
           n_members, staff, i % 5 <> 0,
           (array['Lisbon','Porto','Madrid','Berlin','Austin','Leeds','Lyon','Oslo'])[1 + i % 8],
           'Benchmark gym number ' || i
    from g`,
  );

  // --- people -----------------------------------------------------------------------------
  // gord: the person's ordinal inside the gym: 1 the admin, then coaches, trainers, members.
  await step(
    "plan the people",
    `
    create temp table p on commit preserve rows as
    select row_number() over (order by g.i, k) as ord, g.id as tenant_id, g.i as gi, k as gord,
           case when k = 1 then 'gym_admin'
                when k <= 1 + g.n_coaches then 'coach'
                when k <= g.staff then 'personal_trainer'
                else 'member' end::app_public.membership_role as role,
           k - g.staff as mord,
           gen_random_uuid() as user_id, gen_random_uuid() as membership_id
    from g cross join lateral generate_series(1, g.staff + g.n_members) k`,
  );
  await client.query(`create unique index on p (gi, gord)`);
  await client.query(`analyze g; analyze p`);
  await step(
    "users",
    `
    insert into app_public.users (id, email, display_name, created_at)
    select user_id, 'p' || ord || '@bench.test', 'Athlete ' || ord, now() - interval '1 year' from p`,
  );
  await step(
    "user_secrets",
    `
    insert into app_private.user_secrets (user_id, password_hash)
    select p.user_id, h.hash from p, (select crypt($1, gen_salt('bf', 8)) as hash) h`,
    [BENCH_PASSWORD],
  );
  await step(
    "memberships",
    `
    insert into app_public.memberships (tenant_id, id, user_id, role, display_name, created_at)
    select tenant_id, membership_id, user_id, role, 'Athlete ' || ord, now() - interval '1 year' + ord * interval '1 millisecond' from p`,
  );
  await step(
    "profiles",
    `
    insert into app_public.profiles (tenant_id, membership_id, headline, goals)
    select tenant_id, membership_id,
           case when role = 'member' then null else 'Staff at the gym' end,
           case when role = 'member' and ord % 4 = 0 then 'Get a muscle-up' end
    from p`,
  );
  await step(
    "account_events",
    `
    insert into app_public.account_events (tenant_id, occurred_at, action, actor_role, actor_membership_id, membership_id, email, role)
    select p.tenant_id, now() - interval '1 year' + p.ord * interval '1 millisecond', 'membership_created', 'gym_admin',
           a.membership_id, p.membership_id, 'p' || p.ord || '@bench.test', p.role
    from p join p a on a.gi = p.gi and a.gord = 1`,
  );
  await step(
    "invitations",
    `
    insert into app_public.invitations (tenant_id, email, role, display_name, token_hash, expires_at)
    select g.id, 'invitee' || k || '-' || g.i || '@bench.test', 'member', 'Invitee ' || k,
           sha256(convert_to(g.id::text || k, 'UTF8')), now() + interval '7 days'
    from g cross join generate_series(1, 2) k`,
  );
  await step(
    "trainer_assignments",
    `
    insert into app_public.trainer_assignments (tenant_id, trainer_id, client_id, started_on)
    select m.tenant_id, t.membership_id, m.membership_id, current_date - (m.ord % 200)::int
    from p m join g on g.i = m.gi
    join p t on t.gi = m.gi and t.gord = 2 + g.n_coaches + (m.mord % g.n_trainers)
    where m.role = 'member' and m.mord % 3 = 0`,
  );

  // --- workouts and results -----------------------------------------------------------------
  await step(
    "plan the workouts",
    `
    create temp table wk on commit preserve rows as
    with b as (select row_number() over (order by slug) as k, id, score_type from app_public.benchmarks)
    select g.i as gi, g.id as tenant_id, k, gen_random_uuid() as id,
           coalesce(b.score_type, (array['time','reps','load','rounds_reps']::app_public.scoring_type[])[1 + k % 4]) as scoring_type,
           b.id as benchmark_id,
           (b.id is not null or k % 10 <> 0) as is_published,
           case when g.n_coaches > 0 then 2 + k % g.n_coaches else 1 end as author_gord
    from g cross join generate_series(1, $1::int) k left join b using (k)`,
    [WORKOUTS_PER_GYM],
  );
  await client.query(`create unique index on wk (gi, k); analyze wk`);
  await step(
    "workouts",
    `
    insert into app_public.workouts (tenant_id, id, author_id, title, description, scoring_type, is_published, benchmark_id, created_at)
    select wk.tenant_id, wk.id, a.membership_id, 'Workout ' || wk.k, 'Programmed workout number ' || wk.k,
           wk.scoring_type, wk.is_published, wk.benchmark_id, now() - interval '1 year' + wk.k * interval '3 days'
    from wk join p a on a.gi = wk.gi and a.gord = wk.author_gord`,
  );
  // Each member logs a share of the results proportional to a random activity level; ceil
  // makes the total at least the target.
  await step(
    "plan the results",
    `
    create temp table mres on commit preserve rows as
    select ord, gi, tenant_id, membership_id, ceil($1::bigint * a / sum(a) over ())::int as n
    from (select ord, gi, tenant_id, membership_id, 0.2 + random() as a from p where role = 'member') x`,
    [R],
  );
  await client.query(`create temp sequence result_seq`);
  await step(
    "workout_results",
    `
    insert into app_public.workout_results (tenant_id, id, workout_id, member_id, score, is_rx, notes, performed_on, created_at)
    select s.tenant_id,
           (lpad(to_hex(s.gi), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(nextval('result_seq')), 12, '0'))::uuid,
           s.workout_id, s.membership_id,
           round(case s.scoring_type when 'time' then 120 + s.r * 900
                                     when 'reps' then 50 + s.r * 250
                                     when 'load' then 40 + s.r * 160
                                     else floor(5 + s.r * 20) + floor(s.r * 2900)::int % 30 / 100.0 end::numeric, 2),
           s.r < 0.7, case when s.r < 0.05 then 'felt strong' else '' end,
           s.performed_on, s.performed_on + interval '18 hours'
    from (
      select m.gi, m.tenant_id, m.membership_id, w.id as workout_id, w.scoring_type, random()::numeric as r,
             current_date - least(364, greatest(0, 365 - j * 365 / m.n + (random() * 3)::int)) as performed_on
      from generate_series(1, (select max(n) from mres)) j
      cross join lateral (select * from mres where mres.n >= j) m
      join wk w on w.gi = m.gi and w.k = 1 + (m.ord * 7 + j * 13) % $1::int
    ) s`,
    [WORKOUTS_PER_GYM],
  );

  // --- classes and bookings -------------------------------------------------------------------
  await step(
    "plan the classes",
    `
    create temp table cls on commit preserve rows as
    select g.i as gi, g.id as tenant_id, g.n_members, g.staff, gen_random_uuid() as id,
           row_number() over () as ord, d, s,
           case when g.n_coaches > 0 then 2 + s % g.n_coaches else 1 end as coach_gord,
           1 + (d + 400) % $3::int as workout_k,
           least(g.n_members, 4 + (random() * 12)::int) as booked
    from g cross join generate_series(-$1::int, $2::int) d
    cross join lateral generate_series(0, g.n_members / 300) s`,
    [CLASS_DAYS_BACK, CLASS_DAYS_AHEAD, WORKOUTS_PER_GYM],
  );
  await step(
    "class_sessions",
    `
    insert into app_public.class_sessions (tenant_id, id, title, starts_at, coach_id, workout_id, capacity, booked_count, created_at)
    select c.tenant_id, c.id, case when c.s % 2 = 0 then 'WOD' else 'Strength' end,
           date_trunc('day', now()) + make_interval(days => c.d, hours => 6 + (c.s * 3) % 15),
           co.membership_id, w.id, 20, c.booked, now() - interval '100 days'
    from cls c join p co on co.gi = c.gi and co.gord = c.coach_gord
    join wk w on w.gi = c.gi and w.k = c.workout_k`,
  );
  await step(
    "bookings",
    `
    insert into app_public.bookings (tenant_id, class_session_id, member_id, checked_in_at, created_at)
    select c.tenant_id, c.id, m.membership_id,
           case when c.d < 0 and j % 5 <> 0 then date_trunc('day', now()) + make_interval(days => c.d, hours => 6) end,
           now() - interval '100 days'
    from cls c cross join lateral generate_series(1, c.booked) j
    join p m on m.gi = c.gi and m.gord = c.staff + 1 + (c.ord * 37 + j) % c.n_members`,
  );

  // --- private progress, money, messages, feed -------------------------------------------------
  await step(
    "progress_metrics",
    `
    insert into app_public.progress_metrics (tenant_id, member_id, kind, label, value, unit, measured_on, recorded_by)
    select m.tenant_id, m.membership_id,
           case when k = 7 then 'body_fat' when k = 8 then 'personal_record' else 'body_weight' end,
           case when k = 8 then 'Back squat' end,
           case when k = 7 then 12 + (m.ord % 20) when k = 8 then 80 + (m.ord % 120) else 60 + (m.ord % 50) - k * 0.3 end,
           case when k = 7 then 'percent' else 'kg' end,
           current_date - (k * 45)::int, m.membership_id
    from p m cross join generate_series(1, 8) k where m.role = 'member'`,
  );
  await step(
    "membership_plans",
    `
    insert into app_public.membership_plans (tenant_id, name, price_cents, billing_period)
    select g.id, n.name, n.price, n.period from g,
      (values ('Unlimited', 12000, 'month'), ('3x per week', 9000, 'month'), ('Drop-in', 2000, 'once')) n(name, price, period)`,
  );
  await step(
    "payments",
    `
    insert into app_public.payments (tenant_id, member_id, membership_plan_id, amount_cents, period_start, period_end, status, paid_at)
    select m.tenant_id, m.membership_id, mp.id, mp.price_cents, d::date, (d + interval '1 month' - interval '1 day')::date,
           (case when k = 0 and m.ord % 7 = 0 then 'pending' else 'paid' end)::app_public.payment_status,
           case when k = 0 and m.ord % 7 = 0 then null else d + interval '2 days' end
    from p m
    join app_public.membership_plans mp on mp.tenant_id = m.tenant_id and mp.name = 'Unlimited'
    cross join lateral generate_series(0, 5) k
    cross join lateral (select date_trunc('month', now()) - k * interval '1 month' as d) dd
    where m.role = 'member'`,
  );
  await step(
    "messages",
    `
    insert into app_public.messages (tenant_id, sender_id, recipient_id, body, read_at, created_at)
    select m.tenant_id,
           case when k = 2 then s.membership_id else m.membership_id end,
           case when k = 2 then m.membership_id else s.membership_id end,
           'Message ' || k || ' about the programme', case when k = 1 then now() end,
           now() - (m.ord % 300) * interval '1 day' + k * interval '1 hour'
    from p m join g on g.i = m.gi
    join p s on s.gi = m.gi and s.gord = 1 + m.mord % g.staff
    cross join generate_series(1, 2) k
    where m.role = 'member'`,
  );
  await step(
    "posts",
    `
    insert into app_public.posts (tenant_id, author_id, body, created_at)
    select a.tenant_id, a.membership_id, 'Post number ' || k, now() - k * interval '1 day'
    from g cross join lateral generate_series(1, 10 + g.n_members / 20) k
    join p a on a.gi = g.i and a.gord = 1 + (k * 11) % (g.staff + g.n_members)`,
  );
  await step(
    "comments",
    `
    insert into app_public.comments (tenant_id, post_id, author_id, body, created_at)
    select po.tenant_id, po.id, a.membership_id, 'Nice one', po.created_at + k * interval '1 hour'
    from app_public.posts po join g on g.id = po.tenant_id
    cross join generate_series(1, 2) k
    join p a on a.gi = g.i and a.gord = 1 + (abs(hashtext(po.id::text)) + k) % (g.staff + g.n_members)`,
  );
  await step(
    "network_preferences",
    `
    insert into app_public.network_preferences (tenant_id, membership_id, show_on_leaderboards, display_name)
    select p.tenant_id, p.membership_id, p.ord % 10 <> 0, 'Athlete ' || p.ord
    from p join g on g.i = p.gi
    where g.i % 5 <> 0 and p.ord % 2 = 0`,
  );

  // --- indexes, the platform owner, derived views, statistics -----------------------------------
  for (const c of constraints) {
    await step(`constraint ${c.tbl} ${c.name}`, `alter table ${c.tbl} add constraint ${c.name} ${c.def}`);
  }
  for (const ix of indexes) {
    await step(`index ${ix.name}`, ix.def);
  }
  // The boards' tables, filled from the results (the row triggers were off), still in replica
  // mode: their rows reference only rows just written, so the foreign-key triggers may stay off.
  await step("network leaderboards", `select app_shared.refresh_leaderboards()`);
  await step("gym leaderboards' bests", `select app_private.rebuild_workout_bests()`);
  await client.query(`reset session_replication_role`);
  await step("platform owner", `select app_private.create_platform_owner($1, 'Bench Owner', $2)`, [
    BENCH_OWNER_EMAIL,
    BENCH_PASSWORD,
  ]);
  await step("vacuum analyze", `vacuum (analyze)`);
  await client.query(`drop table g, p, wk, mres, cls; drop sequence result_seq`);
  return timings;
}

/** Row counts of every tenant table (and the two global identity tables), for reports and the test. */
export async function tableCounts(client: Client): Promise<Record<string, number>> {
  const { rows } = await client.query<{ table_name: string }>(
    `select table_name::text from information_schema.columns
     where table_schema = 'app_public' and column_name = 'tenant_id'
       and table_name in (select table_name from information_schema.tables where table_schema = 'app_public' and table_type = 'BASE TABLE')
     order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const t of [...rows.map((r) => r.table_name), "gyms", "users"]) {
    const { rows: n } = await client.query<{ n: string }>(`select count(*) as n from app_public.${t}`);
    counts[t] = Number(n[0]!.n);
  }
  return counts;
}
