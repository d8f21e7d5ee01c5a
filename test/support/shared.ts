import type { PoolClient } from "pg";
import type { Claims } from "../../src/auth/verify-token";
import { becomePersona } from "./db";

/**
 * Inside a superuser transaction (withRootDb), become this persona exactly as the API would
 * (role + claims, transaction-local), so a test can set up rows as root, refresh, and then
 * read as a visitor in the same uncommitted transaction. `becomeRoot` switches back.
 */
export async function become(db: PoolClient, who: Claims): Promise<void> {
  await becomePersona(db, who);
}

export async function becomeRoot(db: PoolClient): Promise<void> {
  await db.query("reset role");
}

/**
 * Create, in the current (root) transaction, a gym with one member who logs a Fran, has a
 * network preference showing them, and (optionally) a gym that opted in.
 */
export async function makeGymWithFran(
  db: PoolClient,
  opts: { name: string; slug: string; optIn: boolean; displayName: string; score: number },
): Promise<{ gymId: string; membershipId: string }> {
  const {
    rows: [gym],
  } = await db.query<{ id: string }>(
    "insert into app_public.gyms (name, slug, plan, network_opt_in, city) values ($1, $2, 'pro', $3, 'Nowhere') returning id",
    [opts.name, opts.slug, opts.optIn],
  );
  const {
    rows: [user],
  } = await db.query<{ id: string }>("insert into app_public.users (email, display_name) values ($1, $2) returning id", [
    `athlete@${opts.slug}.test`,
    `Real Name ${opts.slug}`,
  ]);
  const {
    rows: [membership],
  } = await db.query<{ id: string }>(
    "insert into app_public.memberships (tenant_id, user_id, role, display_name) values ($1, $2, 'member', $3) returning id",
    [gym!.id, user!.id, `Real Name ${opts.slug}`],
  );
  const {
    rows: [workout],
  } = await db.query<{ id: string }>(
    `insert into app_public.workouts (tenant_id, title, scoring_type, is_published, benchmark_id)
     select $1, 'Fran', 'time', true, b.id from app_public.benchmarks b where b.slug = 'fran' returning id`,
    [gym!.id],
  );
  await db.query(
    "insert into app_public.workout_results (tenant_id, workout_id, member_id, score, is_rx, notes) values ($1, $2, $3, $4, true, 'secret note')",
    [gym!.id, workout!.id, membership!.id, opts.score],
  );
  await db.query(
    "insert into app_public.network_preferences (tenant_id, membership_id, show_on_leaderboards, display_name) values ($1, $2, true, $3)",
    [gym!.id, membership!.id, opts.displayName],
  );
  return { gymId: gym!.id, membershipId: membership!.id };
}
