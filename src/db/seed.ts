import type { Client } from "pg";
import { actAs } from "./act-as";
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

/**
 * Load the demo data, through the same functions and roles the API uses: the seed becomes
 * the platform owner (a real visitor role, under RLS) to provision gyms and people, then
 * the gym admin, the coach, each member and the trainer in turn (SET LOCAL ROLE + claims,
 * exactly as a request would) to write the gym's domain rows, so seeding exercises the
 * policies. Returns false if the database already has gyms.
 */
export async function seedDemoData(client: Client, roles: RoleNames): Promise<boolean> {
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
    await client.query(
      "select set_config('jwt.claims.role', '', true), set_config('jwt.claims.user_id', '', true), set_config('jwt.claims.tenant_id', '', true)",
    );
    const { rows: hashed } = await client.query<{ hash: string }>("select app_private.hash_password($1) as hash", [
      DEMO_PASSWORD,
    ]);
    const hash = hashed[0]!.hash;
    for (const g of gyms) {
      for (const p of peopleOf(g.gym.slug)) {
        g.people.push(await addUser(client, hash, `${p.local}@${g.gym.slug}.test`, p.name(g.gym.name), p.role, g.id));
      }
    }
    gyms[0]!.people.push(await addUser(client, hash, "dual@example.test", "Dana Dual", "coach", gyms[0]!.id));
    gyms[1]!.people.push(await addUser(client, hash, "dual@example.test", "Dana (Harbor)", "member", gyms[1]!.id));

    for (const g of gyms) await seedGymDomain(client, roles, g.people);

    await client.query("reset role");
    await client.query("commit");
    await seedNetworkDemo(client, roles);
    return true;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
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

async function become(client: Client, roles: RoleNames, m: SeededMembership) {
  await actAs(client, roles, m.role, m.userId, m.tenantId);
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

async function seedGymDomain(client: Client, roles: RoleNames, people: SeededMembership[]) {
  const admin = people.find((p) => p.role === "gym_admin")!;
  const [pt, pt2] = people.filter((p) => p.role === "personal_trainer") as [SeededMembership, SeededMembership | undefined];
  const coach = people.find((p) => p.role === "coach") ?? admin; // tiny-box's admin coaches
  const members = people.filter((p) => p.role === "member");

  // The gym admin: price list, payments, trainer assignments, a profile for the trainer.
  await become(client, roles, admin);
  const { rows: plans } = await client.query<{ id: string; price_cents: number }>(
    `insert into app_public.membership_plans (name, price_cents, billing_period) values
       ('Unlimited', 12000, 'month'), ('3x per week', 9000, 'month'), ('Drop-in', 2000, 'once')
     returning id, price_cents`,
  );
  await client.query(
    `insert into app_public.payments (member_id, membership_plan_id, amount_cents, period_start, period_end, status, paid_at)
     select m.id, $2::uuid, $3::int, d::date, (d + interval '1 month' - interval '1 day')::date,
            (case when d > now() - interval '1 month' and m.ord % 5 = 4 then 'pending' else 'paid' end)::app_public.payment_status,
            case when d > now() - interval '1 month' and m.ord % 5 = 4 then null else d + interval '2 days' end
     from unnest($1::uuid[]) with ordinality as m(id, ord),
          generate_series(date_trunc('month', now()) - interval '1 month', date_trunc('month', now()), interval '1 month') d`,
    [members.map((m) => m.id), plans[0]!.id, plans[0]!.price_cents],
  );
  // The trainer takes on the first member(s); the rest are not theirs.
  const clients = members.slice(0, members.length > 10 ? 5 : 1);
  await client.query(
    `insert into app_public.trainer_assignments (trainer_id, client_id, notes)
     select $1, c, 'Strength block, 12 weeks' from unnest($2::uuid[]) c`,
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
    await client.query("select app_public.invite_to_gym($1, 'coach', 'New Coach')", [`new-coach@${admin.email.split("@")[1]}`]);
  }

  // The coach: programming and a week of classes.
  await become(client, roles, coach);
  const workoutIds: { id: string; scoring: string; published: boolean }[] = [];
  for (const w of WORKOUTS) {
    const { rows } = await client.query<{ id: string }>(
      `insert into app_public.workouts (title, description, scoring_type, is_published) values ($1, $2, $3, $4) returning id`,
      [w.title, w.description, w.scoring, w.published],
    );
    workoutIds.push({ id: rows[0]!.id, scoring: w.scoring, published: w.published });
  }
  const published = workoutIds.filter((w) => w.published);
  const { rows: classes } = await client.query<{ id: string }>(
    `insert into app_public.class_sessions (title, starts_at, coach_id, workout_id, capacity)
     select case when h = 7 then 'Early WOD' else 'Evening WOD' end,
            date_trunc('day', now()) + make_interval(days => d, hours => h),
            $1, ($2::uuid[])[1 + (d % array_length($2::uuid[], 1))], $3
     from generate_series(0, 6) d, unnest(array[7, 18]) h
     order by d, h
     returning id`,
    [coach.id, published.map((w) => w.id), members.length > 10 ? 20 : 12],
  );
  await client.query(`insert into app_public.posts (body) values ('Welcome to the box! Schedule for the week is up.')`);
  // Everyone on staff says hello on the feed, and comments under the welcome post.
  for (const s of [admin, pt, ...people.filter((p) => p.role === "coach")]) {
    await become(client, roles, s);
    await client.query(`insert into app_public.posts (body) values ($1)`, [`Hello from ${s.email.split("@")[0]}!`]);
    await client.query(
      `insert into app_public.comments (post_id, body) select id, 'See you in class.' from app_public.posts order by created_at, id limit 1`,
    );
  }

  // Every member: a couple of bookings, a result for each published workout, body metrics, a post.
  for (const [i, m] of members.entries()) {
    await become(client, roles, m);
    await client.query(`insert into app_public.bookings (class_session_id) select unnest($1::uuid[])`, [
      [classes[(i * 3) % classes.length]!.id, classes[(i * 3 + 5) % classes.length]!.id],
    ]);
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
    await client.query(
      `insert into app_public.progress_metrics (kind, label, value, unit, measured_on) values
         ('body_weight', null, $1, 'kg', current_date - 14), ('body_weight', null, $1 - 0.8, 'kg', current_date),
         ('body_fat', null, $2, 'percent', current_date)`,
      [65 + jitter(i, 30), 12 + jitter(i + 1, 15)],
    );
    if (i < 3) {
      await client.query(`insert into app_public.posts (body) values ($1)`, [`New PR today! (${m.email.split("@")[0]})`]);
      await client.query(
        `insert into app_public.comments (post_id, body) select id, 'Thanks coach!' from app_public.posts order by created_at, id limit 1`,
      );
    }
  }

  // The trainer: personal records for their clients, a comment, and messages.
  await become(client, roles, pt);
  for (const [i, c] of clients.entries()) {
    await client.query(
      `insert into app_public.progress_metrics (member_id, kind, label, value, unit) values ($1, 'personal_record', 'Deadlift 1RM', $2, 'kg')`,
      [c.id, 100 + jitter(i, 80)],
    );
  }
  await client.query(
    `insert into app_public.comments (post_id, body) select id, 'Great work!' from app_public.posts order by created_at limit 1`,
  );
  await client.query(
    `insert into app_public.messages (recipient_id, body) values ($1, 'See you Thursday for our session.'), ($2, 'Can you cover my 7am on Friday?')`,
    [clients[0]!.id, coach.id],
  );
  // The coach, a member and the admin write too.
  if (coach !== admin) {
    await become(client, roles, coach);
    await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Sure, I have it.')`, [pt.id]);
  }
  await become(client, roles, clients[0]!);
  await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Thanks, see you then!')`, [pt.id]);
  const last = members[members.length - 1]!;
  await become(client, roles, admin);
  await client.query(
    `insert into app_public.messages (recipient_id, body) values ($1, 'Your payment for this month is pending.')`,
    [last.id],
  );
  await become(client, roles, last);
  await client.query(`insert into app_public.messages (recipient_id, body) values ($1, 'Sorry, paying today.')`, [admin.id]);
}
