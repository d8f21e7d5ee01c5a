import { Client } from "pg";
import { actAs } from "./act-as";
import { citusMode } from "./citus";
import type { GymRole } from "../roles";
import type { RoleNames } from "./roles";
import { seedNetworkDemo } from "./seed-network";

export const DEMO_PASSWORD = "demo-password";

interface DemoGym {
  name: string;
  slug: string;
  plan: "free" | "basic" | "pro";
}

export const DEMO_GYMS: DemoGym[] = [
  { name: "Iron Temple", slug: "iron-temple", plan: "pro" },
  { name: "Harbor Barbell", slug: "harbor-barbell", plan: "basic" },
  { name: "Tiny Box", slug: "tiny-box", plan: "free" },
];

/** The free plan's member limit: tiny-box is seeded exactly at it. */
export const TINY_BOX_MEMBERS = 30;

interface Person {
  local: string;
  name: (gym: string) => string;
  role: GymRole;
}

const PEOPLE: Person[] = [
  { local: "admin", name: (g) => `${g} Admin`, role: "gym_admin" },
  { local: "coach", name: (g) => `${g} Coach`, role: "coach" },
  { local: "pt", name: (g) => `${g} Trainer`, role: "personal_trainer" },
  { local: "pt2", name: (g) => `${g} Trainer Two`, role: "personal_trainer" },
  { local: "member", name: (g) => `${g} Member`, role: "member" },
  { local: "member2", name: (g) => `${g} Member Two`, role: "member" },
  { local: "member3", name: (g) => `${g} Member Three`, role: "member" },
];

/** tiny-box: the free plan allows 2 staff and 30 members, and it has exactly that. */
const TINY_PEOPLE: Person[] = [
  { local: "admin", name: (g) => `${g} Admin`, role: "gym_admin" },
  { local: "pt", name: (g) => `${g} Trainer`, role: "personal_trainer" },
  ...Array.from({ length: TINY_BOX_MEMBERS }, (_, i): Person => ({
    local: `member${i + 1}`,
    name: (g) => `${g} Member ${i + 1}`,
    role: "member",
  })),
];

function peopleOf(slug: string): Person[] {
  return slug === "tiny-box" ? TINY_PEOPLE : PEOPLE;
}

/** The demo logins, for the README and the start banner. */
export function demoLogins(): { email: string; role: string; gym: string }[] {
  const logins = [{ email: "owner@ironclad.test", role: "platform_owner", gym: "(all gyms)" }];
  for (const gym of DEMO_GYMS) {
    const people = peopleOf(gym.slug);
    const shown = people.length > 7 ? people.slice(0, 3) : people;
    for (const p of shown) logins.push({ email: `${p.local}@${gym.slug}.test`, role: p.role, gym: gym.slug });
    if (shown.length < people.length) {
      const rest = people.slice(shown.length);
      logins.push({ email: `${rest[0]!.local}…${rest[rest.length - 1]!.local}@${gym.slug}.test`, role: "member", gym: gym.slug });
    }
  }
  logins.push({ email: "dual@example.test", role: "coach / member", gym: "iron-temple / harbor-barbell" });
  return logins;
}

interface SeededMembership {
  id: string;
  userId: string;
  tenantId: string;
  role: GymRole;
  email: string;
}

/** A workout result the Citus-mode seed writes itself (see seedDemoData), with every column explicit. */
export interface SeedResult {
  tenantId: string;
  workoutId: string;
  memberId: string;
  score: number;
  isRx: boolean;
  notes: string;
  daysAgo: number;
}

/**
 * How the seed writes. One node: one transaction. Citus mode: Citus refuses several roles
 * writing in one distributed transaction (each role needs its own worker connections, and a
 * shard written on one may not be touched on another), so the seed commits at every role
 * switch; and the result triggers (graphile-worker jobs, the shared boards on the coordinator)
 * cannot run on the shards yet, so results are collected and loaded by the superuser with
 * triggers off, then the boards rebuilt (`loadResultsWithoutTriggers`).
 */
export interface Seeding {
  client: Client;
  roles: RoleNames;
  citus: boolean;
  /** Citus mode: results written at the end, without triggers. */
  results: SeedResult[];
}

/** Citus mode: end the transaction and start the next one (the next role writes in its own). */
export async function nextTransaction(s: Seeding) {
  if (!s.citus) return;
  await s.client.query("reset role");
  await s.client.query("commit");
  await s.client.query("begin");
}

export interface SeedOptions {
  /** Citus mode (default: CITUS); needs rootUrl. */
  citus?: boolean;
  /** Superuser URL of this database: Citus mode loads results with triggers off as the superuser. */
  rootUrl?: string;
}

/**
 * Load the demo data, through the same functions and roles the API uses: the seed becomes
 * the platform owner (a real visitor role, under RLS) to provision gyms and people, then
 * the gym admin, the coach, each member and the trainer in turn (SET LOCAL ROLE + claims,
 * exactly as a request would) to write the gym's domain rows, so seeding exercises the
 * policies. Returns false if the database already has gyms. In Citus mode (see Seeding) the
 * data is the same, written in one transaction per role switch: a failure midway leaves what
 * was committed (seed an empty database again).
 */
export async function seedDemoData(client: Client, roles: RoleNames, options: SeedOptions = {}): Promise<boolean> {
  const s: Seeding = { client, roles, citus: options.citus ?? citusMode(), results: [] };
  if (s.citus && !options.rootUrl) throw new Error("the Citus-mode seed needs the database's superuser URL (rootUrl)");
  await client.query("begin");
  try {
    await client.query("select app_private.create_platform_owner($1, $2, $3)", [
      "owner@ironclad.test",
      "Olivia Owner",
      DEMO_PASSWORD,
    ]);
    await actAs(client, roles, "platform_owner", null, null);
    const { rows: existing } = await client.query("select 1 from app_public.gyms limit 1");
    if (existing.length > 0) {
      await client.query("rollback");
      return false;
    }
    const gyms: { gym: DemoGym; id: string; people: SeededMembership[] }[] = [];
    for (const gym of DEMO_GYMS) {
      // Citus: one gym per transaction (three gyms' shards in one transaction crashed a worker).
      await nextTransaction(s);
      await actAs(client, roles, "platform_owner", null, null);
      const { rows } = await client.query<{ id: string }>("select id from app_public.provision_gym($1, $2, $3)", [
        gym.name,
        gym.slug,
        gym.plan,
      ]);
      gyms.push({ gym, id: rows[0]!.id, people: [] });
    }
    // People are seeded as already-accepted accounts, through the owner-only bootstrap (no
    // API path sets anyone's password). One bcrypt hash of the demo password serves everyone.
    await client.query("reset role");
    await nextTransaction(s);
    if (!s.citus) {
      await client.query(
        "select set_config('jwt.claims.role', '', true), set_config('jwt.claims.user_id', '', true), set_config('jwt.claims.tenant_id', '', true)",
      );
    }
    const { rows: hashed } = await client.query<{ hash: string }>("select app_private.hash_password($1) as hash", [
      DEMO_PASSWORD,
    ]);
    const hash = hashed[0]!.hash;
    for (const g of gyms) {
      await nextTransaction(s);
      for (const p of peopleOf(g.gym.slug)) {
        g.people.push(await addUser(client, hash, `${p.local}@${g.gym.slug}.test`, p.name(g.gym.name), p.role, g.id));
      }
    }
    await nextTransaction(s);
    gyms[0]!.people.push(await addUser(client, hash, "dual@example.test", "Dana Dual", "coach", gyms[0]!.id));
    await nextTransaction(s);
    gyms[1]!.people.push(await addUser(client, hash, "dual@example.test", "Dana (Harbor)", "member", gyms[1]!.id));

    for (const g of gyms) await seedGymDomain(s, g.people);

    await client.query("reset role");
    await client.query("commit");
    await seedNetworkDemo(s, options.rootUrl);
    return true;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

/**
 * Citus mode: write the collected results as the superuser with triggers off
 * (`session_replication_role = replica`, sent to the workers with SET LOCAL), then rebuild
 * what the triggers keep: the gym boards' bests (`rebuild_workout_bests`, as the owner) —
 * the network boards are rebuilt by the caller (`refresh_leaderboards`). The score is rounded
 * here as the `_150_round_score` trigger would.
 */
export async function loadResultsWithoutTriggers(s: Seeding, rootUrl: string, extra: (root: Client) => Promise<void>) {
  const root = new Client({ connectionString: rootUrl });
  await root.connect();
  try {
    await root.query("begin");
    await root.query("set local citus.propagate_set_commands = 'local'");
    await root.query("set local session_replication_role = replica");
    const r = s.results;
    if (r.length > 0) {
      await root.query(
        `insert into app_public.workout_results (tenant_id, workout_id, member_id, recorded_by, score, is_rx, notes, performed_on)
         select t, w, m, m, round(sc, 2), rx, n, current_date - d
         from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::numeric[], $5::boolean[], $6::text[], $7::int[])
           as x(t, w, m, sc, rx, n, d)`,
        [
          r.map((x) => x.tenantId),
          r.map((x) => x.workoutId),
          r.map((x) => x.memberId),
          r.map((x) => x.score),
          r.map((x) => x.isRx),
          r.map((x) => x.notes),
          r.map((x) => x.daysAgo),
        ],
      );
    }
    await extra(root);
    await root.query("commit");
  } catch (error) {
    await root.query("rollback").catch(() => undefined);
    throw error;
  } finally {
    await root.end();
  }
  s.results = [];
  await s.client.query("select app_private.rebuild_workout_bests()");
  await nextTransaction(s); // the network refresh writes as another role (the shared layer's)
}

async function addUser(
  client: Client,
  passwordHash: string,
  email: string,
  name: string,
  role: GymRole,
  tenantId: string,
): Promise<SeededMembership> {
  const { rows } = await client.query<{ id: string; user_id: string }>(
    "select id, user_id from app_private.bootstrap_gym_user($1, $2, $3, $4, $5)",
    [tenantId, email, name, role, passwordHash],
  );
  return { id: rows[0]!.id, userId: rows[0]!.user_id, tenantId, role, email };
}

/**
 * INSERT of the rows a read-only query computes, as one multi-row VALUES statement. Citus runs
 * `insert … select` into a distributed table through the coordinator with COPY, which it
 * refuses under row-level security; a VALUES list goes to the gym's shard like any insert.
 * The query's columns are the table's columns, by name (values as text: the table's types apply).
 */
async function insertComputed<R extends object = Record<string, unknown>>(
  client: Client,
  table: string,
  columns: string[],
  compute: string,
  params: unknown[] = [],
  returning?: string,
): Promise<R[]> {
  const { rows } = await client.query<Record<string, unknown>>(compute, params);
  if (rows.length === 0) return [];
  const values = rows.map((_, i) => `(${columns.map((__, j) => `$${i * columns.length + j + 1}`).join(", ")})`);
  const { rows: inserted } = await client.query<R>(
    `insert into ${table} (${columns.join(", ")}) values ${values.join(", ")}${returning ? ` returning ${returning}` : ""}`,
    rows.flatMap((r) => columns.map((c) => r[c])),
  );
  return inserted;
}

/** A comment under the gym's first post (the welcome post), as the current role. */
async function commentOnFirstPost(client: Client, body: string) {
  await insertComputed(
    client,
    "app_public.comments",
    ["post_id", "body"],
    "select id::text as post_id, $1::text as body from app_public.posts order by created_at, id limit 1",
    [body],
  );
}

async function become(s: Seeding, m: SeededMembership) {
  await nextTransaction(s);
  await actAs(s.client, s.roles, m.role, m.userId, m.tenantId);
}

const WORKOUTS: { title: string; description: string; scoring: "time" | "reps" | "load" | "rounds_reps"; published: boolean }[] =
  [
    { title: "Fran", description: "21-15-9 thrusters (43 kg) and pull-ups, for time.", scoring: "time", published: true },
    {
      title: "Cindy",
      description: "20-minute AMRAP: 5 pull-ups, 10 push-ups, 15 air squats.",
      scoring: "rounds_reps",
      published: true,
    },
    { title: "Back squat 5RM", description: "Build to a heavy set of five.", scoring: "load", published: true },
    { title: "Max burpees in 7 minutes", description: "As many burpees as possible.", scoring: "reps", published: true },
    {
      title: "Hero WOD (draft)",
      description: "Next Saturday's hero workout; not announced yet.",
      scoring: "time",
      published: false,
    },
  ];

/** Deterministic "random" numbers, so the demo data is the same on every run. */
function jitter(seed: number, spread: number): number {
  const x = Math.sin(seed * 12.9898) * 43758.5453;
  return Math.round((x - Math.floor(x)) * spread);
}

function scoreFor(scoring: string, i: number, w: number): number {
  switch (scoring) {
    case "time":
      return 180 + jitter(i * 7 + w, 300);
    case "rounds_reps":
      return 12 + jitter(i * 3 + w, 10) + jitter(i + w, 29) / 100;
    case "load":
      return 60 + jitter(i * 5 + w, 80);
    default:
      return 70 + jitter(i * 11 + w, 60);
  }
}

async function seedGymDomain(s: Seeding, people: SeededMembership[]) {
  const client = s.client;
  const admin = people.find((p) => p.role === "gym_admin")!;
  const [pt, pt2] = people.filter((p) => p.role === "personal_trainer") as [SeededMembership, SeededMembership | undefined];
  const coach = people.find((p) => p.role === "coach") ?? admin; // tiny-box's admin coaches
  const members = people.filter((p) => p.role === "member");

  // The gym admin: price list, payments, trainer assignments, a profile for the trainer.
  await become(s, admin);
  const { rows: plans } = await client.query<{ id: string; price_cents: number }>(
    `insert into app_public.membership_plans (name, price_cents, billing_period) values
       ('Unlimited', 12000, 'month'), ('3x per week', 9000, 'month'), ('Drop-in', 2000, 'once')
     returning id, price_cents`,
  );
  await insertComputed(
    client,
    "app_public.payments",
    ["member_id", "membership_plan_id", "amount_cents", "period_start", "period_end", "status", "paid_at"],
    `select m.id::text as member_id, $2::text as membership_plan_id, $3::int as amount_cents, d::date::text as period_start,
            (d + interval '1 month' - interval '1 day')::date::text as period_end,
            case when d > now() - interval '1 month' and m.ord % 5 = 4 then 'pending' else 'paid' end as status,
            (case when d > now() - interval '1 month' and m.ord % 5 = 4 then null else d + interval '2 days' end)::text as paid_at
     from unnest($1::uuid[]) with ordinality as m(id, ord),
          generate_series(date_trunc('month', now()) - interval '1 month', date_trunc('month', now()), interval '1 month') d`,
    [members.map((m) => m.id), plans[0]!.id, plans[0]!.price_cents],
  );
  // The trainer takes on the first member(s); the rest are not theirs.
  const clients = members.slice(0, members.length > 10 ? 5 : 1);
  await insertComputed(
    client,
    "app_public.trainer_assignments",
    ["trainer_id", "client_id", "notes"],
    `select $1::text as trainer_id, c::text as client_id, 'Strength block, 12 weeks' as notes from unnest($2::uuid[]) c`,
    [pt.id, clients.map((c) => c.id)],
  );
  if (pt2) {
    // A second trainer with their own client, so "assigned clients only" has someone to exclude.
    await client.query(`insert into app_public.trainer_assignments (trainer_id, client_id) values ($1, $2)`, [
      pt2.id,
      members[members.length - 1]!.id,
    ]);
  }
  await client.query(
    `update app_public.profiles set headline = 'Personal trainer', specialties = '{strength,mobility}'
     where membership_id = $1`,
    [pt.id],
  );
  // One invitation waiting to be accepted (its mail goes through the outbox like any other);
  // not in tiny-box, which is full.
  if (members.length <= 10) {
    // Citus: a transaction of its own (the definer function reads the shard the admin just wrote).
    await become(s, admin);
    await client.query("select app_public.invite_to_gym($1, 'coach', 'New Coach')", [`new-coach@${admin.email.split("@")[1]}`]);
  }

  // The coach: programming and a week of classes.
  await become(s, coach);
  const workoutIds: { id: string; scoring: string; published: boolean }[] = [];
  for (const w of WORKOUTS) {
    const { rows } = await client.query<{ id: string }>(
      `insert into app_public.workouts (title, description, scoring_type, is_published) values ($1, $2, $3, $4) returning id`,
      [w.title, w.description, w.scoring, w.published],
    );
    workoutIds.push({ id: rows[0]!.id, scoring: w.scoring, published: w.published });
  }
  const published = workoutIds.filter((w) => w.published);
  const inserted = await insertComputed<{ id: string; starts_at: Date }>(
    client,
    "app_public.class_sessions",
    ["title", "starts_at", "coach_id", "workout_id", "capacity"],
    `select case when h = 7 then 'Early WOD' else 'Evening WOD' end as title,
            (date_trunc('day', now()) + make_interval(days => d, hours => h))::text as starts_at,
            $1::text as coach_id, (($2::uuid[])[1 + (d % array_length($2::uuid[], 1))])::text as workout_id, $3::int as capacity
     from generate_series(0, 6) d, unnest(array[7, 18]) h`,
    [coach.id, published.map((w) => w.id), members.length > 10 ? 20 : 12],
    "id, starts_at",
  );
  const classes = inserted.sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime());
  await client.query(`insert into app_public.posts (body) values ('Welcome to the box! Schedule for the week is up.')`);
  // Everyone on staff says hello on the feed, and comments under the welcome post.
  for (const staff of [admin, pt, ...people.filter((p) => p.role === "coach")]) {
    await become(s, staff);
    await client.query(`insert into app_public.posts (body) values ($1)`, [`Hello from ${staff.email.split("@")[0]}!`]);
    await commentOnFirstPost(client, "See you in class.");
  }

  // Every member: a couple of bookings, a result for each published workout, body metrics, a post.
  for (const [i, m] of members.entries()) {
    await become(s, m);
    await client.query(`insert into app_public.bookings (class_session_id) values ($1), ($2)`, [
      classes[(i * 3) % classes.length]!.id,
      classes[(i * 3 + 5) % classes.length]!.id,
    ]);
    if (s.citus) {
      s.results.push(
        ...published.map((w, wi) => ({
          tenantId: m.tenantId,
          workoutId: w.id,
          memberId: m.id,
          score: scoreFor(w.scoring, i, wi),
          isRx: (i + wi) % 4 !== 0,
          notes: "",
          daysAgo: wi + 1,
        })),
      );
    } else {
      await client.query(
        `insert into app_public.workout_results (workout_id, score, is_rx, notes, performed_on)
         select w, s, rx, '', current_date - (ord::int)
         from unnest($1::uuid[], $2::numeric[], $3::boolean[]) with ordinality as r(w, s, rx, ord)`,
        [
          published.map((w) => w.id),
          published.map((w, wi) => scoreFor(w.scoring, i, wi)),
          published.map((_, wi) => (i + wi) % 4 !== 0),
        ],
      );
    }
    await client.query(
      `insert into app_public.progress_metrics (kind, label, value, unit, measured_on) values
         ('body_weight', null, $1, 'kg', current_date - 14), ('body_weight', null, $1 - 0.8, 'kg', current_date),
         ('body_fat', null, $2, 'percent', current_date)`,
      [65 + jitter(i, 30), 12 + jitter(i + 1, 15)],
    );
    if (i < 3) {
      await client.query(`insert into app_public.posts (body) values ($1)`, [`New PR today! (${m.email.split("@")[0]})`]);
      await commentOnFirstPost(client, "Thanks coach!");
    }
  }

  // The trainer: personal records for their clients, a comment, and messages.
  await become(s, pt);
  // One statement (Citus: a second write as the trainer would re-read, as the policy helper's
  // definer, a shard this transaction already wrote as the trainer: refused).
  await client.query(
    `insert into app_public.progress_metrics (member_id, kind, label, value, unit) values ${clients
      .map((_, i) => `($${2 * i + 1}, 'personal_record', 'Deadlift 1RM', $${2 * i + 2}, 'kg')`)
      .join(", ")}`,
    clients.flatMap((c, i) => [c.id, 100 + jitter(i, 80)]),
  );
  await commentOnFirstPost(client, "Great work!");
  await client.query(
    `insert into app_public.messages (recipient_id, body) values ($1, 'See you Thursday for our session.'), ($2, 'Can you cover my 7am on Friday?')`,
    [clients[0]!.id, coach.id],
  );
  // The coach, a member and the admin write too.
  if (coach !== admin) {
    await become(s, coach);
    await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Sure, I have it.')`, [pt.id]);
  }
  await become(s, clients[0]!);
  await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Thanks, see you then!')`, [pt.id]);
  const last = members[members.length - 1]!;
  await become(s, admin);
  await client.query(
    `insert into app_public.messages (recipient_id, body) values ($1, 'Your payment for this month is pending.')`,
    [last.id],
  );
  await become(s, last);
  await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Sorry, paying today.')`, [admin.id]);
}
