/**
 * `npm run bench:seed -- --preset small` builds a realistic platform: every tenant table is
 * populated, gym sizes are skewed, the rows the generator wrote with triggers and foreign-key
 * checks switched off are nevertheless consistent (every foreign key holds, the counters the
 * triggers would keep are right, every membership has its profile, no gym is over its plan),
 * and RLS still isolates gyms on it. No timing is asserted (speed is bench/'s business).
 */
import { Client } from "pg";
import { createSeededDatabase } from "../bench/seed-database";
import { PRESETS, tableCounts } from "../bench/seed";
import type { SeedRecord } from "../bench/target";
import { VisitorSession } from "../bench/sql-scenarios";
import { gymsBySize, peopleOf } from "../bench/identities";
import { dropDatabaseAndRoles } from "../src/db/setup";
import { testDb } from "./support/db";

const name = `${testDb().database}_bench`;
let root: Client;
let record: SeedRecord;
let authUrl: string;
let roles: Awaited<ReturnType<typeof createSeededDatabase>>["db"]["roles"];

beforeAll(async () => {
  const seeded = await createSeededDatabase(testDb().serverRootUrl, name, "small", PRESETS.small);
  record = seeded.record;
  authUrl = seeded.db.authUrl;
  roles = seeded.db.roles;
  root = new Client({ connectionString: seeded.db.rootUrl });
  await root.connect();
}, 180_000);

afterAll(async () => {
  await root?.end();
  await dropDatabaseAndRoles(testDb().serverRootUrl, name);
});

const one = async <T>(sql: string, params: unknown[] = []) => (await root.query(sql, params)).rows[0] as T;

describe("bench:seed --preset small", () => {
  it("populates every tenant table, at the preset's size", async () => {
    const counts = await tableCounts(root);
    const { rows } = await root.query<{ t: string }>(
      `select c.table_name as t from information_schema.columns c join information_schema.tables t using (table_schema, table_name)
       where c.table_schema = 'app_public' and c.column_name = 'tenant_id' and t.table_type = 'BASE TABLE'`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(14);
    for (const { t } of rows) expect([t, counts[t]]).toEqual([t, expect.any(Number)]);
    for (const { t } of rows) expect({ t, populated: counts[t]! > 0 }).toEqual({ t, populated: true });
    expect(counts.gyms).toBe(PRESETS.small.gyms);
    expect(counts.workout_results).toBeGreaterThanOrEqual(PRESETS.small.results);
    const members = await one<{ n: string }>("select count(*) as n from app_public.memberships where role = 'member'");
    expect(Number(members.n)).toBeGreaterThanOrEqual(PRESETS.small.members * 0.98);
    expect(record.counts).toEqual(counts);
  });

  it("skews gym sizes: a few large gyms on pro, many small ones on cheaper plans", async () => {
    const s = await one<{ max: number; min: number; pro: string; cheap: string }>(
      `select max(member_count) as max, min(member_count) as min,
              count(*) filter (where plan = 'pro') as pro, count(*) filter (where plan <> 'pro') as cheap
       from app_public.gyms`,
    );
    expect(s.max / s.min).toBeGreaterThanOrEqual(5);
    expect(Number(s.pro)).toBeGreaterThanOrEqual(1);
    expect(Number(s.cheap)).toBeGreaterThan(Number(s.pro));
    // Every role is present in every gym that has room for it.
    const roleless = await one<{ n: string }>(
      `select count(*) as n from app_public.gyms g where not exists
         (select 1 from app_public.memberships m where m.tenant_id = g.id and m.role = 'gym_admin')
       or not exists (select 1 from app_public.memberships m where m.tenant_id = g.id and m.role = 'personal_trainer')`,
    );
    expect(Number(roleless.n)).toBe(0);
  });

  it("writes only rows the foreign keys accept (checked after the load, constraint by constraint)", async () => {
    const { rows: fks } = await root.query<{ name: string; child: string; parent: string; ccols: string[]; pcols: string[] }>(
      `select c.conname as name, c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent,
              array(select a.attname from unnest(c.conkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n order by k.i)::text[] as ccols,
              array(select a.attname from unnest(c.confkey) with ordinality k(n, i) join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n order by k.i)::text[] as pcols
       from pg_constraint c join pg_namespace n on n.oid = c.connamespace
       where c.contype = 'f' and n.nspname in ('app_public', 'app_private')`,
    );
    expect(fks.length).toBeGreaterThan(20);
    const orphans: string[] = [];
    for (const fk of fks) {
      const notNull = fk.ccols.map((c) => `c.${c} is not null`).join(" and ");
      const match = fk.ccols.map((c, i) => `p.${fk.pcols[i]} = c.${c}`).join(" and ");
      const { rows } = await root.query<{ n: string }>(
        `select count(*) as n from ${fk.child} c where ${notNull} and not exists (select 1 from ${fk.parent} p where ${match})`,
      );
      if (Number(rows[0]!.n) > 0) orphans.push(`${fk.name}: ${rows[0]!.n}`);
    }
    expect(orphans).toEqual([]);
  });

  it("keeps what the switched-off triggers would have kept: counters, seats, profiles, plan limits", async () => {
    const counters = await one<{ n: string }>(
      `select count(*) as n from app_public.gyms g
       where g.member_count <> (select count(*) from app_public.memberships m where m.tenant_id = g.id and m.role = 'member')
          or g.staff_count <> (select count(*) from app_public.memberships m where m.tenant_id = g.id and m.role <> 'member')`,
    );
    expect(Number(counters.n)).toBe(0);
    const seats = await one<{ n: string; booked: string }>(
      `select count(*) filter (where c.booked_count <> (select count(*) from app_public.bookings b where b.tenant_id = c.tenant_id and b.class_session_id = c.id)) as n,
              sum(c.booked_count) as booked
       from app_public.class_sessions c`,
    );
    expect(Number(seats.n)).toBe(0);
    expect(Number(seats.booked)).toBeGreaterThan(0);
    const profiles = await one<{ n: string }>(
      `select count(*) as n from app_public.memberships m
       where not exists (select 1 from app_public.profiles p where p.tenant_id = m.tenant_id and p.membership_id = m.id)`,
    );
    expect(Number(profiles.n)).toBe(0);
    const over = await one<{ n: string }>(
      `select count(*) as n from app_public.gyms g join app_public.plans p on p.id = g.plan
       where g.member_count > coalesce(p.max_members, g.member_count) or g.staff_count > coalesce(p.max_staff, g.staff_count)`,
    );
    expect(Number(over.n)).toBe(0);
    const wrongCoach = await one<{ n: string }>(
      `select count(*) as n from app_public.class_sessions c join app_public.memberships m on m.tenant_id = c.tenant_id and m.id = c.coach_id
       where m.role not in ('coach', 'gym_admin')`,
    );
    expect(Number(wrongCoach.n)).toBe(0);
    const wrongBooker = await one<{ n: string }>(
      `select count(*) as n from app_public.bookings b join app_public.memberships m on m.tenant_id = b.tenant_id and m.id = b.member_id
       where m.role <> 'member'`,
    );
    expect(Number(wrongBooker.n)).toBe(0);
  });

  it("spreads a year of results, opts gyms and members into the network, and refreshes the leaderboards", async () => {
    const r = await one<{ days: number; lb: string; prefs: string; inNet: string }>(
      `select (select max(performed_on) - min(performed_on) from app_public.workout_results) as days,
              (select count(*) from app_shared.network_best_all_time) as lb,
              (select count(*) from app_public.network_preferences where show_on_leaderboards) as prefs,
              (select count(*) from app_public.gyms where network_opt_in) as "inNet"`,
    );
    expect(r.days).toBeGreaterThanOrEqual(300);
    expect(Number(r.lb)).toBeGreaterThan(0);
    expect(Number(r.prefs)).toBeGreaterThan(0);
    expect(Number(r.inNet)).toBeGreaterThan(0);
    expect(Number(r.inNet)).toBeLessThan(PRESETS.small.gyms);
  });

  it("still isolates gyms: a coach sees only their gym's classes, a member only their own results", async () => {
    const gyms = await gymsBySize(root);
    const gym = await peopleOf(root, gyms[0]!.id);
    const visitor = await VisitorSession.open(authUrl, roles);
    try {
      const classes = await visitor.as(
        gym.coach,
        async (c) => (await c.query("select distinct tenant_id from app_public.class_sessions")).rows,
      );
      expect(classes).toEqual([{ tenant_id: gym.tenantId }]);
      const results = await visitor.as(
        gym.member,
        async (c) => (await c.query("select distinct member_id from app_public.workout_results")).rows,
      );
      expect(results).toEqual([{ member_id: gym.member.membershipId }]);
    } finally {
      await visitor.end();
    }
  });
});
