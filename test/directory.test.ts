import { GYM_A, GYM_B, asPersona, expectPgError, persona, withRootDb } from "./support/db";
import { gql, login, startTestApi } from "./support/api";
import { become } from "./support/shared";

interface Card {
  name: string;
  city: string | null;
  description: string | null;
  member_count_band: string;
}

describe("affiliate directory", () => {
  it("anonymous visitors and every gym role read the cards of opted-in gyms, and only those columns", async () => {
    for (const who of [
      await persona("anonymous"),
      await persona("member", GYM_A),
      await persona("coach", GYM_B),
      await persona("gym_admin", GYM_A),
      await persona("platform_owner"),
    ]) {
      const cards = await asPersona(who, async (db) => (await db.query<Card>("select * from app_shared.gym_directory()")).rows);
      expect(cards.map((c) => c.name)).toEqual(["Harbor Barbell", "Iron Temple"]);
      for (const card of cards) expect(Object.keys(card).sort()).toEqual(["city", "description", "member_count_band", "name"]);
    }
  });

  it("a gym that opts out leaves the directory at once; one that opts in joins it", async () => {
    await asPersona(await persona("gym_admin", GYM_B), async (db) => {
      await db.query("update app_public.gyms set network_opt_in = false where id = app_hidden.current_tenant_id()");
      const { rows } = await db.query<Card>("select * from app_shared.gym_directory()");
      expect(rows.map((c) => c.name)).toEqual(["Iron Temple"]);
    });
    await withRootDb(async (db) => {
      await db.query(
        "insert into app_public.gyms (name, slug, network_opt_in, city, description) values ('New Box', 'new-box', true, 'Faro', 'Hi')",
      );
      await become(db, await persona("anonymous"));
      const { rows } = await db.query<Card>("select * from app_shared.gym_directory()");
      expect(rows.map((c) => c.name)).toContain("New Box");
    });
  });

  it("the member count is a band, not a number", async () => {
    await withRootDb(async (db) => {
      const {
        rows: [gym],
      } = await db.query<{ id: string }>(
        "insert into app_public.gyms (name, slug, plan, network_opt_in) values ('Big Box', 'big-box', 'pro', true) returning id",
      );
      await db.query(
        `with u as (insert into app_public.users (email, display_name)
                    select 'p' || i || '@big-box.test', 'P' || i from generate_series(1, 12) i returning id)
         insert into app_public.memberships (tenant_id, user_id, role, display_name) select $1, id, 'member', 'P' from u`,
        [gym!.id],
      );
      await become(db, await persona("member", GYM_A));
      const { rows } = await db.query<Card>("select * from app_shared.gym_directory() where name = 'Big Box'");
      expect(rows[0]!.member_count_band).toBe("11–50");
    });
  });

  it("only the gym admin edits the gym's network settings, and only its own gym", async () => {
    await asPersona(await persona("gym_admin", GYM_A), async (db) => {
      const res = await db.query(
        "update app_public.gyms set city = 'Braga', description = 'New text', network_opt_in = true returning id",
      );
      expect(res.rowCount).toBe(1);
    });
    expect((await expectPgError(await persona("member", GYM_A), "update app_public.gyms set network_opt_in = false")).code).toBe(
      "42501",
    );
    expect((await expectPgError(await persona("coach", GYM_A), "update app_public.gyms set city = 'x'")).code).toBe("42501");
  });

  it("over HTTP, anonymously", async () => {
    const api = await startTestApi();
    try {
      const res = await gql(api, "{ gymDirectory { nodes { name city description memberCountBand } } }");
      expect(res.errors).toBeUndefined();
      expect(res.data!.gymDirectory.nodes).toEqual([
        { name: "Harbor Barbell", city: "Porto", description: expect.any(String), memberCountBand: "1–10" },
        { name: "Iron Temple", city: "Lisbon", description: expect.any(String), memberCountBand: "1–10" },
      ]);
      const token = await login(api, `admin@${GYM_A}.test`);
      const upd = await gql(
        api,
        `mutation ($id: UUID!) { updateGym(input: { rowId: $id, patch: { city: "Lisbon" } }) { gym { city } } }`,
        { id: (await persona("gym_admin", GYM_A)).tenantId },
        token,
      );
      expect(upd.errors).toBeUndefined();
      expect(upd.data!.updateGym.gym.city).toBe("Lisbon");
    } finally {
      await api.close();
    }
  });
});
