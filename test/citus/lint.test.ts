import { Client } from "pg";
import { CITUS_RULES, formatFinding, lintDatabase, lintParameters, type Finding } from "../../src/lint";
import { bindNamed } from "../../src/lint/params";
import { CITUS_SETUP_EXEMPTIONS, DISTRIBUTED_TABLES, PLACED_TABLES } from "../../src/lint/rules/citus";
import { rootQuery, testDb } from "../support/db";
import { citusDescribe } from "./support";

/**
 * `CITUS=1 npm run db:lint` on a database set up in Citus mode (this run's, on the cluster):
 * the Citus rules (src/lint/rules/citus.ts) read placement from the plain catalog the way
 * setup decides it, so first that reading is checked against Citus's own metadata; then the
 * rules must find nothing, and Citus mode as a whole (every rule, setup's exemptions) no error.
 * test/lint.test.ts proves, on one node, that each Citus rule fires on a broken fixture.
 */

const show = (findings: Finding[]) => findings.map(formatFinding).join("\n");

citusDescribe("db:lint in Citus mode, on the cluster", () => {
  let owner: Client;
  beforeAll(async () => {
    owner = new Client({ connectionString: testDb().ownerUrl }); // what db:lint connects as
    await owner.connect();
  });
  afterAll(async () => {
    await owner.end();
  });

  const tablesOf = async (fragment: string) => {
    const { text, values } = bindNamed(`select name from (${fragment}) t order by 1`, lintParameters({ roles: testDb().roles }));
    return (await owner.query<{ name: string }>(text, values)).rows.map((r) => r.name);
  };

  it("reads placement as setup made it: distributed and reference tables (the rest stay on the coordinator)", async () => {
    const dist = await rootQuery<{ table: string; kind: string }>(
      `select logicalrelid::regclass::text as table, case when partmethod = 'h' then 'distributed' else 'reference' end as kind
         from pg_dist_partition where partmethod = 'h' or repmodel = 't' order by 1`,
    );
    const distributed = dist.filter((r) => r.kind === "distributed").map((r) => r.table);
    const placed = dist.map((r) => r.table).sort();
    expect(distributed).toContain("app_public.gyms");
    expect(distributed).toContain("app_public.messages");
    expect(placed).toContain("app_public.users");
    expect(await tablesOf(DISTRIBUTED_TABLES)).toEqual(distributed.sort());
    expect(await tablesOf(PLACED_TABLES)).toEqual(placed);
  });

  it("the Citus rules find nothing", async () => {
    const findings = await lintDatabase(owner, { roles: testDb().roles, citus: true, only: CITUS_RULES.map((r) => r.id) });
    expect(show(findings)).toBe("");
  });

  it("Citus mode as db:lint runs it has no error-level finding", async () => {
    const findings = await lintDatabase(owner, { roles: testDb().roles, citus: true });
    const errors = findings.filter((f) => f.level === "error");
    expect(show(errors)).toBe("");
  });

  it("every exemption of setup's own objects is still needed", async () => {
    const rules = [...new Set(CITUS_SETUP_EXEMPTIONS.map((e) => e.rule))];
    // The single-node rules, without Citus mode's exemptions: what they say about setup's objects.
    const raw = await lintDatabase(owner, { roles: testDb().roles, only: rules });
    const unused = CITUS_SETUP_EXEMPTIONS.filter(
      (e) =>
        !raw.some((f) => f.rule === e.rule && (typeof e.object === "string" ? e.object === f.object : e.object.test(f.object))),
    );
    expect(unused.map((e) => `${e.rule} ${String(e.object)}`)).toEqual([]);
  });
});
