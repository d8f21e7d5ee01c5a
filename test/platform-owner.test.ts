import { randomUUID } from "node:crypto";
import {
  GYM_A,
  GYM_B,
  GYM_ROLES,
  asPersona,
  expectPgError,
  expectSameAsGroundTruth,
  gymId,
  persona,
  rootQuery,
  type Persona,
} from "./support/db";

/**
 * The platform owner (the SaaS operator) is the one visitor exempt from the tenant rule: it
 * sees every gym and every membership and is the only one who may create gyms. Every gym
 * role, in every gym, stays inside its own gym.
 */

const freshSlug = () => `t-${randomUUID().slice(0, 12)}`;
const freshEmail = () => `t-${randomUUID()}@example.test`;

const selectIds = (who: Persona, sql: string, params: unknown[] = []) =>
  asPersona(who, async (db) => (await db.query<{ id: string }>(sql, params)).rows.map((r) => r.id));

describe("as the platform owner", () => {
  let owner: Persona;
  beforeAll(async () => {
    owner = await persona("platform_owner");
  });

  it("I see every gym", async () => {
    const seen = await expectSameAsGroundTruth(
      () => selectIds(owner, "select id from app_public.gyms"),
      "select id from app_public.gyms",
    );
    expect(seen).toEqual(expect.arrayContaining([await gymId(GYM_A), await gymId(GYM_B)]));
  });

  it("I see every membership of every gym", async () => {
    const seen = await expectSameAsGroundTruth(
      () => selectIds(owner, "select id from app_public.memberships"),
      "select id from app_public.memberships",
    );
    const tenants = await rootQuery<{ tenant_id: string }>(
      "select distinct tenant_id from app_public.memberships where id = any($1::uuid[])",
      [seen],
    );
    expect(tenants.map((t) => t.tenant_id)).toEqual(expect.arrayContaining([await gymId(GYM_A), await gymId(GYM_B)]));
  });

  it("I see every login", async () => {
    await expectSameAsGroundTruth(() => selectIds(owner, "select id from app_public.users"), "select id from app_public.users");
  });

  it("my token names no gym: current_gym() is null and my role is platform_owner", async () => {
    const row = await asPersona(
      owner,
      async (db) => (await db.query("select app_public.current_gym() is null as no_gym, app_public.my_role() as role")).rows[0],
    );
    expect(row).toEqual({ no_gym: true, role: "platform_owner" });
  });

  it("I can provision a gym, and then see it", async () => {
    const slug = freshSlug();
    await asPersona(owner, async (db) => {
      const { rows } = await db.query("select id, name, slug, plan from app_public.provision_gym('Fresh Gym', $1, 'basic')", [
        slug,
      ]);
      expect(rows).toEqual([{ id: expect.any(String), name: "Fresh Gym", slug, plan: "basic" }]);
      const visible = await db.query("select id from app_public.gyms where slug = $1", [slug]);
      expect(visible.rows).toEqual([{ id: rows[0].id }]);
    });
    // asPersona rolls back: the test leaves no gym behind.
    expect(await rootQuery("select 1 from app_public.gyms where slug = $1", [slug])).toEqual([]);
  });

  it("I can invite a person to a gym I name; nothing but the invitation exists until they accept", async () => {
    const email = freshEmail();
    const b = await gymId(GYM_B);
    await asPersona(owner, async (db) => {
      const { rows } = await db.query<{ tenant_id: string; email: string; role: string }>(
        "select tenant_id, email::text, role from app_public.invite_to_gym($1, 'coach', 'New Coach', $2)",
        [email, b],
      );
      expect(rows).toEqual([{ tenant_id: b, email, role: "coach" }]);
      expect((await db.query("select 1 from app_public.users where email = $1", [email])).rows).toEqual([]);
    });
  });

  it("I can provision a gym and staff it in one go", async () => {
    const slug = freshSlug();
    await asPersona(owner, async (db) => {
      const gym = (await db.query<{ id: string }>("select id from app_public.provision_gym('New Box', $1)", [slug])).rows[0]!;
      const m = (
        await db.query("select tenant_id, role from app_public.invite_to_gym($1, 'gym_admin', 'First Admin', $2)", [
          freshEmail(),
          gym.id,
        ])
      ).rows;
      expect(m).toEqual([{ tenant_id: gym.id, role: "gym_admin" }]);
    });
  });

  it("I must name the gym when inviting a person (IC002)", async () => {
    expect(
      await expectPgError(owner, "select app_public.invite_to_gym($1, 'member', 'Nobody', null)", [freshEmail()]),
    ).toMatchObject({ code: "IC002" });
  });

  it("I cannot make anyone a platform owner through an invitation (role must be a gym role)", async () => {
    // platform_owner is not a membership_role value: refused before the function runs.
    const error = await expectPgError(owner, "select app_public.invite_to_gym($1, 'platform_owner', 'Sneaky', $2)", [
      freshEmail(),
      await gymId(GYM_A),
    ]);
    expect(error.code).toBe("22P02");
    expect(error.message).toMatch(/membership_role/);
  });

  it("I still cannot read credentials or sessions (app_private is nobody's)", async () => {
    for (const table of ["user_secrets", "sessions", "platform_owners", "mail_outbox", "password_resets"]) {
      expect(await expectPgError(owner, `select * from app_private.${table}`)).toMatchObject({ code: "42501" });
    }
  });
});

describe.each([GYM_A, GYM_B])("no gym role of %s sees more than its gym", (slug) => {
  it.each(GYM_ROLES)("a %s sees one gym and only its memberships", async (role) => {
    const who = await persona(role, slug);
    const home = await gymId(slug);
    expect(await selectIds(who, "select id from app_public.gyms")).toEqual([home]);
    const tenants = await asPersona(who, async (db) =>
      (await db.query<{ tenant_id: string }>("select distinct tenant_id from app_public.memberships")).rows.map(
        (r) => r.tenant_id,
      ),
    );
    expect(tenants).toEqual([home]);
  });
});

describe("provisioning is for the platform owner only", () => {
  it.each(GYM_ROLES)("a %s cannot provision a gym (42501), and no gym appears", async (role) => {
    const slug = freshSlug();
    const error = await expectPgError(await persona(role, GYM_A), "select app_public.provision_gym('Rogue Gym', $1)", [slug]);
    expect(error.code).toBe("42501");
    expect(await rootQuery("select 1 from app_public.gyms where slug = $1", [slug])).toEqual([]);
  });

  it("an anonymous visitor cannot provision a gym (42501)", async () => {
    expect(
      await expectPgError(await persona("anonymous"), "select app_public.provision_gym('Rogue Gym', $1)", [freshSlug()]),
    ).toMatchObject({
      code: "42501",
    });
  });

  it("a gym admin invites people to their own gym only", async () => {
    const admin = await persona("gym_admin", GYM_A);
    const a = await gymId(GYM_A);
    await asPersona(admin, async (db) => {
      const { rows } = await db.query("select tenant_id, role from app_public.invite_to_gym($1, 'member', 'New Member')", [
        freshEmail(),
      ]);
      expect(rows).toEqual([{ tenant_id: a, role: "member" }]);
    });
    const error = await expectPgError(admin, "select app_public.invite_to_gym($1, 'member', 'New Member', $2)", [
      freshEmail(),
      await gymId(GYM_B),
    ]);
    expect(error.code).toBe("IC002");
  });
});
