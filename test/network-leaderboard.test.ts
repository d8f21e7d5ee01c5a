import { randomUUID } from "node:crypto";
import {
  GYM_A,
  GYM_B,
  asPersona,
  becomePersona,
  expectPgError,
  gymId,
  persona,
  rootQuery,
  testDb,
  withRootDb,
} from "./support/db";
import { gql, login, startTestApi } from "./support/api";
import { become, becomeRoot, makeGymWithFran } from "./support/shared";
import { NETWORK_OPT_OUTS } from "../src/db/seed-network";

const ENTRY_COLUMNS = ["display_name", "gym_name", "performed_on", "rank", "score"];

interface Entry {
  rank: number;
  display_name: string;
  gym_name: string;
  score: string;
  performed_on: Date;
}

describe("network leaderboards", () => {
  it("a refresh (run as the shared role) sees every opted-in gym, and only opted-in members", async () => {
    await withRootDb(async (db) => {
      await db.query("select app_shared.refresh_leaderboards()");
      const { rows: gyms } = await db.query<{ tenant_id: string }>(
        "select distinct tenant_id from app_shared.network_best_all_time order by 1",
      );
      const { rows: expected } = await db.query<{ id: string }>(
        `select distinct g.id as tenant_id from app_public.gyms g
         join app_public.workout_results r on r.tenant_id = g.id
         join app_public.workouts w on w.tenant_id = r.tenant_id and w.id = r.workout_id and w.benchmark_id is not null and w.is_published
         join app_public.network_preferences p on p.tenant_id = r.tenant_id and p.membership_id = r.member_id and p.show_on_leaderboards
         where g.network_opt_in order by 1`,
      );
      expect(expected.length).toBeGreaterThanOrEqual(2);
      expect(gyms).toEqual(expected);
      expect(gyms.map((g) => g.tenant_id)).toEqual(expect.arrayContaining([await gymId(GYM_A), await gymId(GYM_B)]));
      // Nobody who opted out (or never opted in) is on the board.
      const { rows: leaks } = await db.query(
        `select 1 from app_shared.network_best_all_time l
         where not exists (select 1 from app_public.network_preferences p
                           where p.tenant_id = l.tenant_id and p.membership_id = l.membership_id and p.show_on_leaderboards)`,
      );
      expect(leaks).toEqual([]);
    });
  });

  it("a member of gym A sees gym B's opted-in athletes with only the permitted columns", async () => {
    const memberA = await persona("member", GYM_A);
    const { rows, hidden } = await withRootDb(async (db) => {
      // Names nobody can share (other suites, the fuzzer among them, rename people), so a
      // name on the board identifies exactly one person's preference row.
      await db.query("update app_public.network_preferences set display_name = 'np-' || left(membership_id::text, 13)");
      const { rows: out } = await db.query<{ display_name: string }>(
        `select p.display_name from app_public.network_preferences p
         join app_public.memberships m on m.tenant_id = p.tenant_id and m.id = p.membership_id
         join app_public.users u on u.id = m.user_id
         where not p.show_on_leaderboards or u.email = any($1)`,
        [NETWORK_OPT_OUTS],
      );
      await becomePersona(db, memberA);
      const board = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      return { rows: board, hidden: out.map((r) => r.display_name) };
    });
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(ENTRY_COLUMNS);
    expect(rows.map((r) => r.gym_name)).toEqual(expect.arrayContaining(["Iron Temple", "Harbor Barbell"]));
    expect(hidden.length).toBeGreaterThan(0);
    for (const row of rows) expect(hidden).not.toContain(row.display_name);
    // Ranked: ranks are non-decreasing and Fran (time) scores ascending.
    const scores = rows.map((r) => Number(r.score));
    expect([...scores].sort((a, b) => a - b)).toEqual(scores);
    expect(rows[0]!.rank).toBe(1);
  });

  it("a gym that is not in the network never appears, even with opted-in members and a fresh refresh", async () => {
    await withRootDb(async (db) => {
      await makeGymWithFran(db, { name: "Closed Box", slug: "closed-box", optIn: false, displayName: "Closed Champ", score: 1 });
      await makeGymWithFran(db, { name: "Open Box", slug: "open-box", optIn: true, displayName: "Open Champ", score: 2 });
      await db.query("select app_shared.refresh_leaderboards()");
      await become(db, await persona("member", GYM_A));
      const { rows } = await db.query<Entry>("select * from app_shared.network_leaderboard('fran')");
      expect(rows.map((r) => r.gym_name)).not.toContain("Closed Box");
      expect(rows.map((r) => r.display_name)).not.toContain("Closed Champ");
      expect(rows[0]).toMatchObject({ rank: 1, display_name: "Open Champ", gym_name: "Open Box" });
      // Never the person's real name or notes, whatever the column.
      expect(JSON.stringify(rows)).not.toMatch(/Real Name|secret note/);
      await becomeRoot(db);
      const { rows: inView } = await db.query(
        "select 1 from app_shared.network_best_all_time l join app_public.gyms g on g.id = l.tenant_id where g.slug = 'closed-box'",
      );
      expect(inView).toEqual([]);
    });
  });

  it("opting out hides a gym or a member from the live leaderboard at once, and from the boards' tables", async () => {
    const adminB = await persona("gym_admin", GYM_B);
    await asPersona(adminB, async (db) => {
      const before = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      expect(before.map((r) => r.gym_name)).toContain("Harbor Barbell");
      await db.query("update app_public.gyms set network_opt_in = false where id = app_hidden.current_tenant_id()");
      const after = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      expect(after.map((r) => r.gym_name)).not.toContain("Harbor Barbell");
      expect(after.length).toBeGreaterThan(0);
    });

    const memberA = await persona("member", GYM_A);
    await asPersona(memberA, async (db) => {
      // A name nobody else can have (other suites may rename people meanwhile).
      const name = `Opt-out ${randomUUID().slice(0, 8)}`;
      await db.query("select app_public.set_network_preferences(true, $1)", [name]);
      const before = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      expect(before.map((r) => r.display_name)).toContain(name);
      await db.query("select app_public.set_network_preferences(false, $1)", [name]);
      const after = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      expect(after.map((r) => r.display_name)).not.toContain(name);
    });

    await withRootDb(async (db) => {
      await db.query("update app_public.gyms set network_opt_in = false where slug = $1", [GYM_B]);
      await db.query("select app_shared.refresh_leaderboards()");
      const { rows } = await db.query("select 1 from app_shared.network_best_all_time where tenant_id = $1", [
        await gymId(GYM_B),
      ]);
      expect(rows).toEqual([]);
    });
  });

  it("a new network name is on the live leaderboard at once (the boards carry the name)", async () => {
    const memberA = await persona("member", GYM_A);
    await asPersona(memberA, async (db) => {
      const [first, second] = [`Name ${randomUUID().slice(0, 8)}`, `Renamed ${randomUUID().slice(0, 8)}`];
      await db.query("select app_public.set_network_preferences(true, $1)", [first]);
      const before = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows;
      expect(before.map((r) => r.display_name)).toContain(first);
      await db.query("select app_public.set_network_preferences(true, $1)", [second]);
      const after = (await db.query<Entry>("select * from app_shared.network_leaderboard('fran')")).rows.map(
        (r) => r.display_name,
      );
      expect(after).toContain(second);
      expect(after).not.toContain(first);
    });
  });

  it("a member manages only their own network preference", async () => {
    const memberA = await persona("member", GYM_A);
    await asPersona(memberA, async (db) => {
      const { rows } = await db.query("select membership_id from app_public.network_preferences");
      expect(rows).toHaveLength(1);
      const res = await db.query(
        "update app_public.network_preferences set display_name = 'x' where membership_id <> app_hidden.current_membership_id()",
      );
      expect(res.rowCount).toBe(0);
    });
  });

  it("visitors cannot read the boards' tables, recompute them, or become the shared role", async () => {
    const memberA = await persona("member", GYM_A);
    for (const sql of [
      "select * from app_shared.network_best_all_time",
      "select * from app_shared.network_best_by_month",
      "select * from app_shared.leaderboard_refreshes",
      "select app_shared.refresh_leaderboards()",
    ]) {
      expect((await expectPgError(memberA, sql)).code).toBe("42501");
    }
    expect((await expectPgError(memberA, `set role "${testDb().roles.shared}"`)).code).toBe("42501");
    const [{ granted }] = (await rootQuery<{ granted: boolean }>("select pg_has_role($1, $2, 'member') as granted", [
      testDb().roles.authenticator,
      testDb().roles.shared,
    ])) as [{ granted: boolean }];
    expect(granted).toBe(false);
  });

  it("over GraphQL: leaderboard, this month, scaled, refresh time; and no path from the shared layer to a tenant row", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, `member@${GYM_A}.test`);
      const res = await gql(
        api,
        `{
        rx: networkLeaderboard(benchmark: "fran") { nodes { rank displayName gymName score performedOn } }
        month: networkLeaderboard(benchmark: "fran", thisMonth: true) { totalCount }
        scaled: networkLeaderboard(benchmark: "fran", rx: false) { totalCount }
        leaderboardRefreshedAt
      }`,
        {},
        token,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.rx.nodes.map((n: { gymName: string }) => n.gymName)).toEqual(expect.arrayContaining(["Harbor Barbell"]));
      expect(res.data!.month.totalCount).toBeGreaterThan(0);
      expect(typeof res.data!.leaderboardRefreshedAt).toBe("string");

      // Introspection: every field reachable from the shared layer's root fields.
      const schema = await gql(
        api,
        `{ __schema { types { name kind fields { name type { ...T } } } queryType { fields { name type { ...T } } } } }
        fragment T on __Type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name kind } } } } }`,
        {},
        token,
      );
      type TypeRef = { name: string | null; kind: string; ofType?: TypeRef | null };
      const types = new Map<string, { kind: string; fields: { name: string; type: TypeRef }[] | null }>(
        schema.data!.__schema.types.map((t: { name: string; kind: string; fields: { name: string; type: TypeRef }[] | null }) => [
          t.name,
          t,
        ]),
      );
      const named = (t: TypeRef): string => (t.name ? t.name : named(t.ofType!));
      const sharedRoots = ["networkLeaderboard", "gymDirectory", "leaderboardRefreshedAt"];
      const queryFields = schema.data!.__schema.queryType.fields as { name: string; type: TypeRef }[];
      const reachable = new Set<string>();
      const seen = new Set<string>();
      const queue = queryFields.filter((f) => sharedRoots.includes(f.name)).map((f) => named(f.type));
      while (queue.length) {
        const name = queue.shift()!;
        if (seen.has(name)) continue;
        seen.add(name);
        const type = types.get(name);
        if (!type || type.kind !== "OBJECT") continue;
        for (const field of type.fields ?? []) {
          reachable.add(`${name}.${field.name}`);
          queue.push(named(field.type));
        }
      }
      expect([...reachable].sort()).toEqual([
        "GymCard.city",
        "GymCard.description",
        "GymCard.memberCountBand",
        "GymCard.name",
        "GymCardConnection.edges",
        "GymCardConnection.nodes",
        "GymCardConnection.pageInfo",
        "GymCardConnection.totalCount",
        "GymCardEdge.cursor",
        "GymCardEdge.node",
        "NetworkLeaderboardEntry.displayName",
        "NetworkLeaderboardEntry.gymName",
        "NetworkLeaderboardEntry.performedOn",
        "NetworkLeaderboardEntry.rank",
        "NetworkLeaderboardEntry.score",
        "NetworkLeaderboardEntryConnection.edges",
        "NetworkLeaderboardEntryConnection.nodes",
        "NetworkLeaderboardEntryConnection.pageInfo",
        "NetworkLeaderboardEntryConnection.totalCount",
        "NetworkLeaderboardEntryEdge.cursor",
        "NetworkLeaderboardEntryEdge.node",
        "PageInfo.endCursor",
        "PageInfo.hasNextPage",
        "PageInfo.hasPreviousPage",
        "PageInfo.startCursor",
      ]);
      // The internals of app_shared are not in the schema at all.
      const rootNames = queryFields.map((f) => f.name).join(" ");
      expect(rootNames).not.toMatch(/networkBest|leaderboardRefreshes|refreshLeaderboards|gymInNetwork|memberInNetwork/i);
      const allTypeNames = [...types.keys()].join(" ");
      expect(allTypeNames).not.toMatch(/NetworkBest|LeaderboardRefresh/);
    } finally {
      await api.close();
    }
  });
});
