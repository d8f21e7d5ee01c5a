import type { Client } from "pg";
import { GYM_ROLES } from "../../src/roles";
import { rootQuery, testDb } from "../support/db";
import { carriesTenantCheck, citusDescribe, workerClients } from "./support";

/**
 * What the workers enforce, read from the workers. Citus copies each table's policies onto
 * its shards, and re-creates a RESTRICTIVE policy there as PERMISSIVE (stock Citus 13.2.2), so
 * on the shards every policy ORs with the others: each one a gym role can use must carry the
 * tenant check itself, as a top-level AND term.
 */

interface ShardPolicy {
  shard: string;
  table: string;
  name: string;
  permissive: boolean;
  roles: string[];
  qual: string | null;
  with_check: string | null;
}

describe("the tenant-check reader", () => {
  it("accepts the check as a top-level AND term and nothing weaker", () => {
    expect(carriesTenantCheck("(tenant_id = app_hidden.current_tenant_id())")).toBe(true);
    expect(
      carriesTenantCheck("((tenant_id = app_hidden.current_tenant_id()) AND (sender_id = app_hidden.current_membership_id()))"),
    ).toBe(true);
    expect(carriesTenantCheck("((x = 1) AND (tenant_id = app_hidden.current_tenant_id()))")).toBe(true);
    expect(carriesTenantCheck("((tenant_id = app_hidden.current_tenant_id()) OR true)")).toBe(false);
    expect(carriesTenantCheck("(sender_id = app_hidden.current_membership_id())")).toBe(false);
    expect(carriesTenantCheck("true")).toBe(false);
    expect(carriesTenantCheck(null)).toBe(false);
    expect(carriesTenantCheck("(id = app_hidden.current_tenant_id())", "id")).toBe(true);
  });
});

citusDescribe("policies on the workers' shards (stock Citus)", () => {
  let workers: Client[] = [];
  const policies: ShardPolicy[] = [];
  let distributed: string[] = [];

  beforeAll(async () => {
    workers = await workerClients();
    for (const worker of workers) {
      // Citus hides shards from catalog queries of other applications.
      await worker.query("set citus.show_shards_for_app_name_prefixes = '*'");
      const { rows } = await worker.query<ShardPolicy>(`
        select c.oid::regclass::text as shard, n.nspname || '.' || regexp_replace(c.relname, '_[0-9]+$', '') as table,
               p.polname as name, p.polpermissive as permissive,
               array(select case when r = 0 then 'public' else pg_get_userbyid(r) end from unnest(p.polroles) r)::text[] as roles,
               pg_get_expr(p.polqual, p.polrelid) as qual, pg_get_expr(p.polwithcheck, p.polrelid) as with_check
          from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
         where c.relname ~ '_[0-9]+$' and n.nspname like 'app\\_%'`);
      policies.push(...rows);
    }
    distributed = (
      await rootQuery<{ table: string }>(
        "select logicalrelid::regclass::text as table from pg_dist_partition where partmethod = 'h' order by 1",
      )
    ).map((r) => r.table);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.end()));
  });

  it("reads the shards of every distributed table that has policies", async () => {
    const withPolicies = (
      await rootQuery<{ table: string }>(
        "select distinct polrelid::regclass::text as table from pg_policy where polrelid::regclass::text = any($1)",
        [distributed],
      )
    ).map((r) => r.table);
    expect(distributed).toContain("app_public.messages");
    expect(withPolicies.length).toBeGreaterThan(10);
    expect([...new Set(policies.map((p) => p.table))].sort()).toEqual(expect.arrayContaining(withPolicies.sort()));
  });

  it("every policy a gym role can use carries the tenant check, in USING and WITH CHECK", () => {
    const gymRoles = new Set(GYM_ROLES.map((r) => testDb().roles.visitor[r]));
    const missing: string[] = [];
    let checked = 0;
    for (const p of policies) {
      // Reference tables (users, sessions …) have no tenant_id: their policies are global by design.
      if (!distributed.includes(p.table)) continue;
      if (!p.roles.some((r) => r === "public" || gymRoles.has(r))) continue;
      checked++;
      const column = p.table === "app_public.gyms" ? "id" : "tenant_id";
      if (p.qual !== null && !carriesTenantCheck(p.qual, column)) missing.push(`${p.shard} ${p.name} USING ${p.qual}`);
      if (p.with_check !== null && !carriesTenantCheck(p.with_check, column))
        missing.push(`${p.shard} ${p.name} WITH CHECK ${p.with_check}`);
      if (p.qual === null && p.with_check === null) missing.push(`${p.shard} ${p.name}: no predicate at all`);
    }
    expect(checked).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it("no distributed table relies on a restrictive policy (Citus would make it permissive)", async () => {
    const restrictive = await rootQuery<{ policy: string }>(
      "select polrelid::regclass::text || ' ' || polname as policy from pg_policy where not polpermissive and polrelid::regclass::text = any($1)",
      [distributed],
    );
    expect(restrictive).toEqual([]);
    // …and what the workers hold says the same.
    expect(policies.filter((p) => !p.permissive).map((p) => `${p.shard} ${p.name}`)).toEqual([]);
  });
});
