/**
 * Who the benchmarks act as: real people of the bench database, picked by a fixed rule (the
 * gym's admin, its first coach, its first trainer with clients, its tenth member in joining
 * order), so the same rule picks the equivalent people in another database of the same shape.
 * Tokens are signed exactly as PostGraphile signs them (HS256, audience, issuer) over a
 * session row inserted for the bench.
 */
import jwt from "jsonwebtoken";
import type { Client } from "pg";
import { JWT_ISSUER } from "../src/auth/verify-token";
import type { Claims } from "../src/auth/verify-token";
import type { GymRole } from "../src/roles";

export interface Person extends Claims {
  role: GymRole;
  tenantId: string;
  userId: string;
  sessionId: string;
  membershipId: string;
  /** memberships.token_version: the token carries it and the session check compares it. */
  membershipVersion: number;
  email: string;
}

export interface GymPeople {
  tenantId: string;
  slug: string;
  members: number;
  results: number;
  admin: Person;
  coach: Person;
  trainer: Person;
  member: Person;
}

export async function gymsBySize(client: Client): Promise<{ id: string; slug: string; member_count: number }[]> {
  const { rows } = await client.query<{ id: string; slug: string; member_count: number }>(
    "select id, slug, member_count from app_public.gyms where slug like 'bench-gym-%' order by member_count desc, slug",
  );
  return rows;
}

/** The people of one gym (superuser connection); each gets a live session. */
export async function peopleOf(client: Client, tenantId: string): Promise<GymPeople> {
  const pick = async (where: string, offset = 0): Promise<Person> => {
    const { rows } = await client.query<{ id: string; user_id: string; role: GymRole; email: string; token_version: number }>(
      `select m.id, m.user_id, m.role, m.token_version, u.email::text as email from app_public.memberships m join app_public.users u on u.id = m.user_id
       where m.tenant_id = $1 and ${where} order by m.created_at offset $2 limit 1`,
      [tenantId, offset],
    );
    const m = rows[0];
    if (!m) throw new Error(`no person for ${where} in gym ${tenantId}`);
    const { rows: s } = await client.query<{ id: string }>(
      "insert into app_private.sessions (user_id) values ($1) returning id",
      [m.user_id],
    );
    return {
      role: m.role,
      tenantId,
      userId: m.user_id,
      sessionId: s[0]!.id,
      membershipId: m.id,
      membershipVersion: m.token_version,
      email: m.email,
    };
  };
  const { rows } = await client.query<{ slug: string; member_count: number; results: string }>(
    `select g.slug, g.member_count, (select count(*) from app_public.workout_results r where r.tenant_id = g.id) as results
     from app_public.gyms g where g.id = $1`,
    [tenantId],
  );
  const trainerWithClients = `m.role = 'personal_trainer' and exists (select 1 from app_public.trainer_assignments a where a.tenant_id = m.tenant_id and a.trainer_id = m.id)`;
  return {
    tenantId,
    slug: rows[0]!.slug,
    members: rows[0]!.member_count,
    results: Number(rows[0]!.results),
    admin: await pick("m.role = 'gym_admin'"),
    // A small gym on the free plan has no coach: its admin runs the classes.
    coach: await pick("m.role = 'coach'").catch(() => pick("m.role = 'gym_admin'")),
    trainer: await pick(trainerWithClients),
    member: await pick("m.role = 'member'", 9).catch(() => pick("m.role = 'member'")),
  };
}

/** An access token as the API issues it (15 minutes at most; the bench uses one for its whole run). */
export function tokenFor(p: Person, secret: string, audience = "ironclad"): string {
  const claims = {
    role: p.role,
    tenant_id: p.tenantId,
    membership_id: p.membershipId,
    membership_version: p.membershipVersion,
    sub: p.userId,
    sid: p.sessionId,
  };
  return jwt.sign(claims, secret, { algorithm: "HS256", audience, issuer: JWT_ISSUER, expiresIn: "1h" });
}
