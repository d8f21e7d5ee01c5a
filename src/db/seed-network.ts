import type { Client } from "pg";
import { actAs } from "./act-as";
import type { AppRole } from "../roles";
import type { RoleNames } from "./roles";

/** The demo gyms in the network (tiny-box, if present, stays out: a gym that never opted in). */
export const NETWORK_GYMS: Record<string, { city: string; description: string }> = {
  "iron-temple": { city: "Lisbon", description: "Old-school strength and conditioning since 2009." },
  "harbor-barbell": { city: "Porto", description: "Barbell club by the river. Drop-ins welcome." },
};

/** Demo members who chose not to show on network leaderboards (they still log results). */
export const NETWORK_OPT_OUTS = ["member2@harbor-barbell.test", "member3@iron-temple.test"];

/**
 * Network demo: the demo gyms opt in, a Fran and a Cindy per gym linked to the benchmarks,
 * results for every member, and each member's network preference (a few opt out). Written
 * the way the API would: each step as the visitor role that may do it. Then one refresh.
 */
export async function seedNetworkDemo(client: Client, roles: RoleNames): Promise<void> {
  await client.query("begin");
  try {
    await actAs(client, roles, "platform_owner", null, null);
    const { rows: gyms } = await client.query<{ id: string; slug: string }>(
      "select id, slug from app_public.gyms order by created_at, slug",
    );
    const { rows: people } = await client.query<{ tenant_id: string; user_id: string; role: string; email: string }>(
      `select m.tenant_id, m.user_id, m.role, u.email::text as email
       from app_public.memberships m join app_public.users u on u.id = m.user_id
       order by m.created_at, u.email`,
    );
    for (const gym of gyms) {
      const card = NETWORK_GYMS[gym.slug];
      if (card) {
        await client.query("update app_public.gyms set network_opt_in = true, city = $2, description = $3 where id = $1", [
          gym.id,
          card.city,
          card.description,
        ]);
      }
    }

    let seq = 0;
    for (const gym of gyms) {
      const here = people.filter((p) => p.tenant_id === gym.id);
      const staff = here.find((p) => p.role === "coach") ?? here.find((p) => p.role === "gym_admin");
      if (!staff) continue;
      await actAs(client, roles, staff.role as AppRole, staff.user_id, gym.id);
      const { rows: workouts } = await client.query<{ id: string; slug: string }>(
        `insert into app_public.workouts (title, description, scoring_type, is_published, benchmark_id)
         select b.name, b.description, b.score_type, true, b.id
         from app_public.benchmarks b where b.slug in ('fran', 'cindy')
         returning id, (select b.slug::text from app_public.benchmarks b where b.id = benchmark_id) as slug`,
      );
      const fran = workouts.find((w) => w.slug === "fran")!;
      const cindy = workouts.find((w) => w.slug === "cindy")!;

      for (const member of here) {
        if (member.role !== "member") {
          // Staff log no results but choose a network name too (they may train as well).
          await actAs(client, roles, member.role as AppRole, member.user_id, gym.id);
          await client.query("select app_public.set_network_preferences(true, $1)", [displayName(member.email, gym.slug)]);
          continue;
        }
        seq += 1;
        await actAs(client, roles, "member", member.user_id, gym.id);
        // Fran in seconds (Rx for most, scaled for every third), Cindy in rounds + reps/100.
        const rx = seq % 3 !== 0;
        await client.query(
          `insert into app_public.workout_results (workout_id, score, is_rx, performed_on, notes) values
             ($1, $2, $3, current_date - 40, 'first attempt'),
             ($1, $4, $3, current_date, 'felt strong'),
             ($5, $6, true, current_date, '')`,
          [fran.id, 300 + seq * 7, rx, 240 + ((seq * 13) % 90), cindy.id, 14 + (seq % 9) + (seq % 10) / 100],
        );
        await client.query("select app_public.set_network_preferences($1, $2)", [
          !NETWORK_OPT_OUTS.includes(member.email),
          displayName(member.email, gym.slug),
        ]);
      }
    }
    await client.query("reset role");
    await client.query("select app_shared.refresh_leaderboards()");
    await client.query("commit");
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

function displayName(email: string, slug: string): string {
  const name = email.split("@")[0]!.replace(/^./, (c) => c.toUpperCase());
  return `${name} (${slug.split("-")[0]})`;
}
