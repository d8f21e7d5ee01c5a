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

/**
 * A trainer sees their clients' private rows. The policy's lookup of "my clients" must run once
 * per statement (a runtime index key on (tenant_id, member_id)), not once per row of the gym:
 * a SECURITY DEFINER call costs ~100 µs, so per row it turns a 650 k-result gym into a
 * statement timeout (bench/RESULTS.md, issue 12). Counted with track_functions, so the test
 * holds whatever plan shape the planner picks.
 */
describe("trainer policies look up the trainer's clients once per statement", () => {
  const tables = [
    { table: "workout_results", index: /Index Cond: .*member_id = ANY \(app_hidden\.assigned_client_ids\(\)\)/ },
    { table: "progress_metrics", index: /Index Cond: .*member_id = ANY \(app_hidden\.assigned_client_ids\(\)\)/ },
    { table: "bookings", index: /Index Cond: .*member_id = ANY \(app_hidden\.assigned_client_ids\(\)\)/ },
  ];
  it.each(tables)(
    "as a trainer, reading $table over 3 000 rows of the gym calls definer helpers at most twice",
    async ({ table, index }) => {
      const trainer = await persona("personal_trainer", GYM_A);
      const { calls, rows, gymRows, plan } = await withRootDb(async (db) => {
        // Load: over 3 000 rows of gym A spread over all its members (the trainer's clients among them).
        const load = [
          // The validation triggers answer only about the current gym.
          `select set_config('jwt.claims.tenant_id', $1::text, true)`,
          `create temp table plan_members on commit drop as
           select id, row_number() over (order by id) as n, count(*) over () as total
           from app_public.memberships where tenant_id = $1 and role = 'member'`,
          `insert into app_public.workout_results (tenant_id, workout_id, member_id, score, performed_on)
           select $1, w.id, m.id, i, current_date - i
           from (select id from app_public.workouts where tenant_id = $1 limit 1) w,
                generate_series(1, 3100) i join plan_members m on m.n = 1 + i % m.total`,
          `insert into app_public.progress_metrics (tenant_id, member_id, kind, value, unit, measured_on)
           select $1, m.id, 'body_weight', 70 + i % 10, 'kg', current_date - i
           from generate_series(1, 3100) i join plan_members m on m.n = 1 + i % m.total`,
          `with s as (insert into app_public.class_sessions (tenant_id, title, starts_at, capacity)
                      select $1, 'Plan load ' || i, now() + i * interval '1 day', 500
                      from generate_series(1, 3100 / (select max(total) from plan_members)::int + 1) i
                    returning tenant_id, id)
         insert into app_public.bookings (tenant_id, class_session_id, member_id)
           select s.tenant_id, s.id, m.id from s cross join plan_members m`,
        ];
        for (const sql of load) await db.query(sql, [trainer.tenantId]);
        await db.query(`analyze app_public.${table}`);
        const [{ count: gymRows }] = (
          await db.query<{ count: string }>(`select count(*) from app_public.${table} where tenant_id = $1`, [trainer.tenantId])
        ).rows as [{ count: string }];
        await db.query("set local track_functions = 'all'");
        await becomePersona(db, trainer);
        const definerCalls = `select coalesce(sum(pg_stat_get_xact_function_calls(p.oid)), 0)::int as n
                            from pg_proc p where p.prosecdef and p.pronamespace = 'app_hidden'::regnamespace`;
        const before = (await db.query<{ n: number }>(definerCalls)).rows[0]!.n;
        const { rows } = await db.query(`select * from app_public.${table}`);
        const after = (await db.query<{ n: number }>(definerCalls)).rows[0]!.n;
        const explained = await db.query<{ "QUERY PLAN": string }>(`explain (costs off) select * from app_public.${table}`);
        return {
          calls: after - before,
          rows: rows.length,
          gymRows: Number(gymRows),
          plan: explained.rows.map((r) => r["QUERY PLAN"]).join("\n"),
        };
      });
      expect(gymRows).toBeGreaterThan(3000);
      expect(rows).toBeGreaterThan(0); // the trainer does see their clients' rows
      expect(rows).toBeLessThan(gymRows); // and only those
      expect(calls).toBeGreaterThan(0); // the counter works: the helper ran
      expect(calls).toBeLessThanOrEqual(2);
      expect(plan).toMatch(index);
      expect(plan).not.toMatch(/Filter: .*assigned/);
    },
  );
});
