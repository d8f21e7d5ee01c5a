import { randomUUID } from "node:crypto";
import { citusMode } from "../src/db/citus";
import {
  GYM_A,
  GYM_B,
  GYM_ROLES,
  asPersona,
  attemptWrite,
  expectPgError,
  expectSameAsGroundTruth,
  gymId,
  persona,
  rootQuery,
  testDb,
  withRootDb,
  type Persona,
  type WriteOutcome,
} from "./support/db";

/**
 * Tenant isolation of the core tables, as a matrix: every gym role of one gym, against every
 * table, tries to list, read, change, delete and create the other gym's rows. Writes that
 * Postgres accepts are COMMITTED (attemptWrite) so the superuser's ground truth afterwards
 * shows what really happened. Targets in the other gym are its demo people (`…@<slug>.test`),
 * which no test ever changes, so concurrent test files cannot disturb the comparisons.
 */

const TABLES = ["gyms", "memberships", "users"] as const;

/**
 * On Citus the tenant column is the distribution column (gyms.id, memberships.tenant_id), and
 * Citus refuses any UPDATE of it while planning (0A000, "modifying the partition value of rows
 * is not allowed"), before the grant check or the immutability trigger: a refusal all the same,
 * and the snapshots below prove nothing moved. Null on one node.
 */
const DISTRIBUTION_COLUMN_REFUSAL = citusMode() ? "0A000" : null;
type Table = (typeof TABLES)[number];

/** The other gym's rows a test aims at: its gym row, its demo people's memberships and logins. */
interface Targets {
  tenantId: string;
  ids: Record<Table, string[]>;
}

async function targetsIn(slug: string): Promise<Targets> {
  const tenantId = await gymId(slug);
  const people = await rootQuery<{ membership_id: string; user_id: string }>(
    `select m.id as membership_id, u.id as user_id
       from app_public.memberships m join app_public.users u on u.id = m.user_id
      where m.tenant_id = $1 and u.email like '%@' || $2 || '.test'
      order by u.email`,
    [tenantId, slug],
  );
  if (people.length === 0) throw new Error(`gym ${slug} has no demo people`);
  return {
    tenantId,
    ids: {
      gyms: [tenantId],
      memberships: people.map((p) => p.membership_id),
      users: people.map((p) => p.user_id),
    },
  };
}

/** The columns a test tries to change, read back as the superuser. */
const SNAPSHOT: Record<Table, string> = {
  gyms: "select id, name, slug, plan from app_public.gyms where id = any($1::uuid[]) order by id",
  memberships: "select id, tenant_id, user_id, role from app_public.memberships where id = any($1::uuid[]) order by id",
  users: "select id, email, display_name, is_disabled from app_public.users where id = any($1::uuid[]) order by id",
};
const snapshot = (table: Table, ids: string[]) => rootQuery(SNAPSHOT[table], [ids]);

const UPDATE: Record<Table, string> = {
  gyms: "update app_public.gyms set name = 'Taken over' where id = any($1::uuid[])",
  memberships: "update app_public.memberships set role = 'gym_admin' where id = any($1::uuid[])",
  users: "update app_public.users set display_name = 'Taken over' where id = any($1::uuid[])",
};

/** Refused outright (no grant, or a policy: 42501) or touched no row. Either way, no effect. */
function expectNoEffect(outcome: WriteOutcome) {
  if ("code" in outcome) expect(outcome.code).toBe("42501");
  else expect(outcome).toEqual({ rowCount: 0 });
}

const selectIds = (who: Persona, sql: string, params: unknown[] = []) =>
  asPersona(who, async (db) => (await db.query<{ id: string }>(sql, params)).rows.map((r) => r.id));

describe.each([
  [GYM_A, GYM_B],
  [GYM_B, GYM_A],
])("isolation between gyms: %s versus %s", (home, away) => {
  describe.each(GYM_ROLES)(`as a %s of ${home}`, (role) => {
    let me: Persona;
    let homeId: string;
    let other: Targets;

    beforeAll(async () => {
      me = await persona(role, home);
      homeId = await gymId(home);
      other = await targetsIn(away);
    });

    describe("listing with no tenant filter", () => {
      it(`I see only ${home} in gyms`, async () => {
        const seen = await expectSameAsGroundTruth(
          () => selectIds(me, "select id from app_public.gyms"),
          "select id from app_public.gyms where id = $1",
          [homeId],
        );
        expect(seen).toEqual([homeId]);
      });

      it(`I see exactly ${home}'s memberships, and none of ${away}'s`, async () => {
        const seen = await expectSameAsGroundTruth(
          () => selectIds(me, "select id from app_public.memberships"),
          "select id from app_public.memberships where tenant_id = $1",
          [homeId],
        );
        expect(seen.length).toBeGreaterThan(0);
        const tenants = await asPersona(
          me,
          async (db) => (await db.query<{ tenant_id: string }>("select distinct tenant_id from app_public.memberships")).rows,
        );
        expect(tenants).toEqual([{ tenant_id: homeId }]);
      });

      it(`I see only my own login in users, no one else of ${home} and nobody of ${away}`, async () => {
        expect(await selectIds(me, "select id from app_public.users")).toEqual([me.userId]);
      });
    });

    it.each(TABLES)(`I cannot read ${away}'s %s by id`, async (table) => {
      expect(await selectIds(me, `select id from app_public.${table} where id = any($1::uuid[])`, [other.ids[table]])).toEqual(
        [],
      );
    });

    it(`I cannot read ${away}'s memberships by asking for its tenant_id`, async () => {
      expect(await selectIds(me, "select id from app_public.memberships where tenant_id = $1", [other.tenantId])).toEqual([]);
      expect(await selectIds(me, "select id from app_public.gyms where slug = $1", [away])).toEqual([]);
    });

    it(`I cannot learn ${away}'s emails by handing the computed column a forged membership row`, async () => {
      const [target] = await rootQuery<{ tenant_id: string; id: string; user_id: string }>(
        "select tenant_id, id, user_id from app_public.memberships where id = $1",
        [other.ids.memberships[0]],
      );
      const leaked = await asPersona(
        me,
        async (db) =>
          (
            await db.query(
              `select app_public.memberships_email(m) as email
               from jsonb_populate_record(null::app_public.memberships,
                      jsonb_build_object('tenant_id', $1::uuid, 'id', $2::uuid, 'user_id', $3::uuid, 'role', 'member')) m`,
              [target!.tenant_id, target!.id, target!.user_id],
            )
          ).rows,
      );
      expect(leaked).toEqual([{ email: null }]);
    });

    it.each(TABLES)(`updating ${away}'s %s changes nothing`, async (table) => {
      const before = await snapshot(table, other.ids[table]);
      expectNoEffect(await attemptWrite(me, UPDATE[table], [other.ids[table]]));
      expect(await snapshot(table, other.ids[table])).toEqual(before);
    });

    it.each(TABLES)(`deleting ${away}'s %s removes nothing`, async (table) => {
      const before = await snapshot(table, other.ids[table]);
      expectNoEffect(await attemptWrite(me, `delete from app_public.${table} where id = any($1::uuid[])`, [other.ids[table]]));
      expect(await snapshot(table, other.ids[table])).toEqual(before);
    });

    it(`writes that do reach rows only reach my own (control: the same statements work at home)`, async () => {
      await asPersona(me, async (db) => {
        const own = await db.query("update app_public.users set display_name = display_name where id = $1", [me.userId]);
        expect(own.rowCount).toBe(1);
        if (role === "gym_admin") {
          const gym = await db.query("update app_public.gyms set name = name where id = $1", [homeId]);
          expect(gym.rowCount).toBe(1);
          const roster = await db.query("update app_public.memberships set role = role");
          expect(roster.rowCount).toBeGreaterThan(0);
          const tenants = await db.query("update app_public.memberships set role = role returning tenant_id");
          expect(new Set(tenants.rows.map((r: { tenant_id: string }) => r.tenant_id))).toEqual(new Set([homeId]));
        }
      });
    });

    it(`I cannot insert a membership carrying ${away}'s tenant_id`, async () => {
      const outcome = await attemptWrite(
        me,
        "insert into app_public.memberships (tenant_id, user_id, role, display_name) values ($1, $2, 'gym_admin', 'Intruder')",
        [other.tenantId, me.userId],
      );
      expect(outcome).toMatchObject({ code: "42501" });
      expect(
        await rootQuery("select 1 from app_public.memberships where tenant_id = $1 and user_id = $2", [
          other.tenantId,
          me.userId,
        ]),
      ).toEqual([]);
    });

    it("I cannot create a gym or a login directly", async () => {
      const slug = `t-${randomUUID().slice(0, 8)}`;
      const email = `t-${randomUUID()}@example.test`;
      expect(
        await attemptWrite(me, "insert into app_public.gyms (id, name, slug) values ($1, 'Rogue', $2)", [randomUUID(), slug]),
      ).toMatchObject({ code: "42501" });
      expect(
        await attemptWrite(me, "insert into app_public.users (email, display_name) values ($1, 'Rogue')", [email]),
      ).toMatchObject({ code: "42501" });
      expect(await rootQuery("select 1 from app_public.gyms where slug = $1", [slug])).toEqual([]);
      expect(await rootQuery("select 1 from app_public.users where email = $1", [email])).toEqual([]);
    });

    it(`I cannot move my own gym's membership into ${away} by updating tenant_id`, async () => {
      const [mine] = await rootQuery<{ id: string }>(
        "select id from app_public.memberships where tenant_id = $1 and user_id = $2",
        [homeId, me.userId],
      );
      const before = await snapshot("memberships", [mine!.id]);
      const outcome = await attemptWrite(me, "update app_public.memberships set tenant_id = $1 where id = $2", [
        other.tenantId,
        mine!.id,
      ]);
      expect(outcome).toMatchObject({ code: DISTRIBUTION_COLUMN_REFUSAL ?? "42501" });
      expect(await snapshot("memberships", [mine!.id])).toEqual(before);
    });

    it(`I cannot re-key my gym to ${away}'s id (gyms.id is the tenant id)`, async () => {
      const before = await snapshot("gyms", [homeId]);
      const outcome = await attemptWrite(me, "update app_public.gyms set id = $1 where id = $2", [randomUUID(), homeId]);
      expect(outcome).toMatchObject({ code: DISTRIBUTION_COLUMN_REFUSAL ?? "42501" });
      expect(await snapshot("gyms", [homeId])).toEqual(before);
    });

    it(`I cannot invite a person to ${away}, and nothing is written`, async () => {
      const email = `t-${randomUUID()}@example.test`;
      const error = await expectPgError(me, "select app_public.invite_to_gym($1, 'gym_admin', 'Intruder', $2)", [
        email,
        other.tenantId,
      ]);
      // A gym admin may call it, but only for their own gym (IC002); other roles may not call it at all.
      expect(error.code).toBe(role === "gym_admin" ? "IC002" : "42501");
      expect(error.message).not.toContain(away);
      expect(await rootQuery("select 1 from app_public.invitations where email = $1", [email])).toEqual([]);
    });

    it("current_gym() and me() answer for my own gym and login only", async () => {
      const row = await asPersona(
        me,
        async (db) =>
          (
            await db.query(
              "select (app_public.current_gym()).id as gym, (app_public.me()).id as me, app_public.my_role() as role",
            )
          ).rows[0],
      );
      expect(row).toEqual({ gym: homeId, me: me.userId, role });
    });
  });
});

describe("as an anonymous visitor", () => {
  let anonymous: Persona;
  beforeAll(async () => {
    anonymous = await persona("anonymous");
  });

  it.each(TABLES)("I am refused any read of %s", async (table) => {
    expect(await expectPgError(anonymous, `select * from app_public.${table}`)).toMatchObject({ code: "42501" });
  });

  it.each([
    ["invite_to_gym", "select app_public.invite_to_gym('x@example.test', 'member', 'X', $1)", true],
    ["change_password", "select app_public.change_password('demo-password', 'new-password-1')", false],
    ["logout_everywhere", "select app_public.logout_everywhere()", false],
    ["provision_gym", "select app_public.provision_gym('Rogue', 'rogue-gym', 'free')", false],
    ["switch_gym", "select app_public.switch_gym($1)", true],
    ["logout", "select app_public.logout()", false],
  ])("I may not call %s", async (_name, sql, takesGym) => {
    const params = takesGym ? [await gymId(GYM_A)] : [];
    expect(await expectPgError(anonymous, sql, params)).toMatchObject({ code: "42501" });
  });

  it("my role is anonymous and I have no gym", async () => {
    const row = await asPersona(
      anonymous,
      async (db) => (await db.query("select app_public.my_role() as role, app_hidden.current_tenant_id() as tenant")).rows[0],
    );
    expect(row).toEqual({ role: "anonymous", tenant: null });
  });
});

describe.each(GYM_ROLES)("a %s whose claims name no gym (fail closed)", (role) => {
  it("sees no gym and no membership", async () => {
    const who = { ...(await persona(role, GYM_A)), tenantId: null };
    expect(await selectIds(who, "select id from app_public.gyms")).toEqual([]);
    expect(await selectIds(who, "select id from app_public.memberships")).toEqual([]);
  });
});

describe("tenant_id is fixed for life", () => {
  it("even the superuser cannot move a membership to another gym (trigger, IC001)", async () => {
    const a = await targetsIn(GYM_A);
    const b = await gymId(GYM_B);
    const error = await withRootDb(async (db) => {
      try {
        await db.query("update app_public.memberships set tenant_id = $1 where id = $2", [b, a.ids.memberships[0]]);
      } catch (e) {
        return e as { code: string };
      }
      return null;
    });
    expect(error).toMatchObject({ code: DISTRIBUTION_COLUMN_REFUSAL ?? "IC001" });
  });

  it("tenant_id has no UPDATE grant for any visitor role", async () => {
    const { visitor } = testDb().roles;
    const rows = await rootQuery<{ role: string; table: string }>(
      `select r.rolname as role, c.relname as "table"
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'app_public'
         join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
         cross join pg_roles r
        where c.relkind in ('r', 'p') and r.rolname = any($1::text[])
          and has_column_privilege(r.oid, c.oid, 'tenant_id', 'UPDATE')`,
      [Object.values(visitor)],
    );
    expect(rows).toEqual([]);
  });
});
