import { GYM_A, becomePersona, persona, withRootDb } from "./support/db";

/**
 * The tenant predicate must be something the planner can serve from an index: the context
 * helpers are one-line STABLE SQL functions, inlined into `tenant_id = (current_setting…)::uuid`.
 * With many gyms, a coach's unfiltered list must not scan every gym's rows.
 */
describe("tenant policies use the tenant_id index", () => {
  it("as a coach of gym A, listing memberships among 300 gyms is an index scan on tenant_id", async () => {
    const coach = await persona("coach", GYM_A);
    const plan = await withRootDb(async (db) => {
      await db.query(`
        insert into app_public.gyms (name, slug)
          select 'Load ' || i, 'load-' || i from generate_series(1, 300) i;
        insert into app_public.users (email, display_name)
          select 'load' || i || '@example.test', 'Load ' || i from generate_series(1, 20) i;
        insert into app_public.memberships (tenant_id, user_id, role, display_name)
          select g.id, u.id, 'member', u.display_name
          from app_public.gyms g cross join app_public.users u
          where g.slug like 'load-%' and u.email like 'load%@example.test';
        analyze app_public.memberships;
      `);
      await becomePersona(db, coach);
      const { rows } = await db.query<{ "QUERY PLAN": string }>("explain (costs off) select * from app_public.memberships");
      return rows.map((r) => r["QUERY PLAN"]).join("\n");
    });
    expect(plan).toMatch(/Index (Only )?Scan|Bitmap Index Scan/);
    expect(plan).toMatch(/tenant_id = \(NULLIF\(current_setting\('jwt\.claims\.tenant_id'/);
    expect(plan).not.toMatch(/Seq Scan on memberships/);
  });
});
