import { GYM_A, GYM_B, asPersona, persona } from "./support/db";
import { gql, login, startTestApi } from "./support/api";

describe("smoke", () => {
  it("as a coach of gym A, a query with no tenant filter sees only gym A's memberships", async () => {
    const coachA = await persona("coach", GYM_A);
    const rows = await asPersona(coachA, async (db) => (await db.query("select distinct tenant_id from app_public.memberships")).rows);
    expect(rows).toEqual([{ tenant_id: coachA.tenantId }]);
  });

  it("logs in over HTTP and sees only its own gym", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, `member@${GYM_B}.test`);
      const res = await gql(api, "{ allGyms { nodes { slug } } }", {}, token);
      expect(res.data?.allGyms.nodes).toEqual([{ slug: GYM_B }]);
    } finally {
      await api.close();
    }
  });
});
