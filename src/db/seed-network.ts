import { actAs } from "./act-as";
import type { AppRole } from "../roles";
import { loadResultsWithoutTriggers, nextTransaction, type Seeding } from "./seed";

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
 * Citus mode (Seeding): the opt-ins, results and preferences fire triggers that cannot run on
 * the shards yet (graphile-worker jobs, the coordinator's shared boards), so the superuser
 * writes them with triggers off (`loadResultsWithoutTriggers`) and the refresh rebuilds the
 * boards from them; the workouts are still written by each gym's coach.
 */
export async function seedNetworkDemo(s: Seeding, rootUrl?: string): Promise<void> {
  const { client, roles } = s;
  await client.query("begin");
  try {
    await actAs(client, roles, "platform_owner", null, null);
    const { rows: gyms } = await client.query<{ id: string; slug: string }>(
      "select id, slug from app_public.gyms order by created_at, slug",
    );
    const { rows: people } = await client.query<{ tenant_id: string; user_id: string; role: string; email: string; id: string }>(
      `select m.tenant_id, m.user_id, m.role, u.email::text as email, m.id
       from app_public.memberships m join app_public.users u on u.id = m.user_id
       order by m.created_at, u.email`,
    );
    const optIns: { id: string; city: string; description: string }[] = [];
    for (const gym of gyms) {
      const card = NETWORK_GYMS[gym.slug];
      if (card) optIns.push({ id: gym.id, ...card });
    }
    if (!s.citus) {
      for (const gym of optIns) {
        await client.query("update app_public.gyms set network_opt_in = true, city = $2, description = $3 where id = $1", [
          gym.id,
          gym.city,
          gym.description,
        ]);
      }
    }
    const preferences: { tenantId: string; membershipId: string; show: boolean; name: string }[] = [];

    let seq = 0;
    for (const gym of gyms) {
      const here = people.filter((p) => p.tenant_id === gym.id);
      const staff = here.find((p) => p.role === "coach") ?? here.find((p) => p.role === "gym_admin");
      if (!staff) continue;
      await nextTransaction(s);
      await actAs(client, roles, staff.role as AppRole, staff.user_id, gym.id);
      // The benchmarks read first, then one VALUES insert (Citus refuses insert … select under RLS).
      const { rows: benchmarks } = await client.query<{
        id: string;
        slug: string;
        name: string;
        description: string;
        score_type: string;
      }>(
        "select id, slug::text as slug, name, description, score_type::text as score_type from app_public.benchmarks where slug in ('fran', 'cindy')",
      );
      const { rows: workouts } = await client.query<{ id: string; benchmark_id: string }>(
        `insert into app_public.workouts (title, description, scoring_type, is_published, benchmark_id)
         values ${benchmarks.map((_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}, true, $${i * 4 + 4})`).join(", ")}
         returning id, benchmark_id`,
        benchmarks.flatMap((b) => [b.name, b.description, b.score_type, b.id]),
      );
      const slugOf = (w: { benchmark_id: string }) => benchmarks.find((b) => b.id === w.benchmark_id)!.slug;
      const fran = workouts.find((w) => slugOf(w) === "fran")!;
      const cindy = workouts.find((w) => slugOf(w) === "cindy")!;

      for (const member of here) {
        if (member.role !== "member") {
          // Staff log no results but choose a network name too (they may train as well).
          if (s.citus) {
            preferences.push({
              tenantId: gym.id,
              membershipId: member.id,
              show: true,
              name: displayName(member.email, gym.slug),
            });
            continue;
          }
          await actAs(client, roles, member.role as AppRole, member.user_id, gym.id);
          await client.query("select app_public.set_network_preferences(true, $1)", [displayName(member.email, gym.slug)]);
          continue;
        }
        seq += 1;
        // Fran in seconds (Rx for most, scaled for every third), Cindy in rounds + reps/100.
        const rx = seq % 3 !== 0;
        const show = !NETWORK_OPT_OUTS.includes(member.email);
        if (s.citus) {
          const result = { tenantId: gym.id, memberId: member.id };
          s.results.push(
            { ...result, workoutId: fran.id, score: 300 + seq * 7, isRx: rx, daysAgo: 40, notes: "first attempt" },
            { ...result, workoutId: fran.id, score: 240 + ((seq * 13) % 90), isRx: rx, daysAgo: 0, notes: "felt strong" },
            { ...result, workoutId: cindy.id, score: 14 + (seq % 9) + (seq % 10) / 100, isRx: true, daysAgo: 0, notes: "" },
          );
          preferences.push({ tenantId: gym.id, membershipId: member.id, show, name: displayName(member.email, gym.slug) });
          continue;
        }
        await actAs(client, roles, "member", member.user_id, gym.id);
        await client.query(
          `insert into app_public.workout_results (workout_id, score, is_rx, performed_on, notes) values
             ($1, $2, $3, current_date - 40, 'first attempt'),
             ($1, $4, $3, current_date, 'felt strong'),
             ($5, $6, true, current_date, '')`,
          [fran.id, 300 + seq * 7, rx, 240 + ((seq * 13) % 90), cindy.id, 14 + (seq % 9) + (seq % 10) / 100],
        );
        await client.query("select app_public.set_network_preferences($1, $2)", [show, displayName(member.email, gym.slug)]);
      }
    }
    await client.query("reset role");
    if (s.citus) {
      await client.query("commit");
      await client.query("begin");
      if (!rootUrl) throw new Error("the Citus-mode seed needs the database's superuser URL (rootUrl)");
      await loadResultsWithoutTriggers(s, rootUrl, async (root) => {
        for (const gym of optIns) {
          await root.query("update app_public.gyms set network_opt_in = true, city = $2, description = $3 where id = $1", [
            gym.id,
            gym.city,
            gym.description,
          ]);
        }
        await root.query(
          `insert into app_public.network_preferences (tenant_id, membership_id, show_on_leaderboards, display_name)
           select * from unnest($1::uuid[], $2::uuid[], $3::boolean[], $4::text[])`,
          [
            preferences.map((p) => p.tenantId),
            preferences.map((p) => p.membershipId),
            preferences.map((p) => p.show),
            preferences.map((p) => p.name),
          ],
        );
      });
    }
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
