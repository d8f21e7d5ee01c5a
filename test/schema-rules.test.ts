import { rootQuery, testDb } from "./support/db";

/**
 * Catalog rules of the real schema that `npm run db:lint` does not express. Everything the
 * linter checks (tenant_id NOT NULL, FK to gyms, leading index, RLS forced, the restrictive
 * tenant policy, the tenant_id trigger, the authenticator's attributes and ownership, inlinable
 * context helpers) is proven once, in test/lint.test.ts: the real schema lints clean and each
 * rule fires on a broken fixture.
 */

describe("every table in app_public", () => {
  it("has at least one policy (RLS with no policy at all is a table nobody meant to close)", async () => {
    const tables = await rootQuery<{ table: string }>(`
      select c.relname::text as "table"
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'app_public' and c.relkind in ('r', 'p')
         and not exists (select 1 from pg_policy p where p.polrelid = c.oid)
       order by 1`);
    expect(tables.map((t) => t.table)).toEqual([]);
  });
});

describe("the authenticator role (the API's only login)", () => {
  const authenticator = () => testDb().roles.authenticator;

  it("cannot create databases (db:lint checks superuser, BYPASSRLS, CREATEROLE, REPLICATION and INHERIT)", async () => {
    const [role] = await rootQuery("select rolcreatedb from pg_roles where rolname = $1", [authenticator()]);
    expect(role).toEqual({ rolcreatedb: false });
  });

  it("is granted visitor roles only (db:lint checks the system role and the owner; this also rules out the shared role and any other)", async () => {
    const granted = await rootQuery<{ role: string }>(
      `select r.rolname::text as role
         from pg_auth_members m join pg_roles r on r.oid = m.roleid
        where m.member = (select oid from pg_roles where rolname = $1)`,
      [authenticator()],
    );
    const visitors = Object.values(testDb().roles.visitor);
    expect(granted.length).toBeGreaterThan(0);
    expect(granted.map((g) => g.role).filter((r) => !visitors.includes(r))).toEqual([]);
  });
});
