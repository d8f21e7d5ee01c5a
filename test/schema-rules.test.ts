import { GYM_ROLES, rootQuery, testDb } from "./support/db";

/**
 * Catalog rules every tenant-scoped table must keep. Each rule is one query over pg_catalog
 * that lists the offenders, so a table added later is covered without touching this file,
 * and a failure names the table and what it lacks.
 */

const gymRoles = () => GYM_ROLES.map((r) => testDb().roles.visitor[r]);

/** Tables (plain or partitioned) in app_public that carry a tenant_id column. */
const TENANT_TABLES = `
  select c.oid, c.relname::text as "table", a.attnum, a.attnotnull
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnum > 0 and not a.attisdropped
   where n.nspname = 'app_public' and c.relkind in ('r', 'p')`;

async function offenders(sql: string, params: unknown[] = []): Promise<string[]> {
  return (await rootQuery<{ table: string }>(sql, params)).map((r) => r.table).sort();
}

describe("every tenant table in app_public", () => {
  it("the rules below have tables to check (memberships among them)", async () => {
    const tables = await offenders(`select "table" from (${TENANT_TABLES}) t`);
    expect(tables).toContain("memberships");
  });

  it("has tenant_id NOT NULL", async () => {
    expect(await offenders(`select "table" from (${TENANT_TABLES}) t where not t.attnotnull`)).toEqual([]);
  });

  it("has a foreign key from tenant_id to app_public.gyms (id)", async () => {
    expect(
      await offenders(`
        select "table" from (${TENANT_TABLES}) t
         where not exists (
           select 1 from pg_constraint con
            where con.conrelid = t.oid and con.contype = 'f'
              and con.confrelid = 'app_public.gyms'::regclass
              and con.conkey = array[t.attnum]
              and con.confkey = array[(select attnum from pg_attribute
                                        where attrelid = 'app_public.gyms'::regclass and attname = 'id')])`),
    ).toEqual([]);
  });

  it("has an index whose first column is tenant_id", async () => {
    expect(
      await offenders(`
        select "table" from (${TENANT_TABLES}) t
         where not exists (select 1 from pg_index i where i.indrelid = t.oid and i.indkey[0] = t.attnum)`),
    ).toEqual([]);
  });

  it("has row-level security enabled AND forced", async () => {
    expect(
      await offenders(`
        select "table" from (${TENANT_TABLES}) t join pg_class c on c.oid = t.oid
         where not (c.relrowsecurity and c.relforcerowsecurity)`),
    ).toEqual([]);
  });

  it("has a RESTRICTIVE tenant policy for every command and every gym role, checking tenant_id on read and write", async () => {
    expect(
      await offenders(
        `select "table" from (${TENANT_TABLES}) t
          where not exists (
            select 1 from pg_policy p
             where p.polrelid = t.oid and not p.polpermissive and p.polcmd = '*'
               and (select array_agg(r.rolname::text) from pg_roles r where r.oid = any(p.polroles)) @> $1::text[]
               and pg_get_expr(p.polqual, p.polrelid) ~ 'tenant_id = app_hidden\\.current_tenant_id\\(\\)'
               and pg_get_expr(p.polwithcheck, p.polrelid) ~ 'tenant_id = app_hidden\\.current_tenant_id\\(\\)')`,
        [gymRoles()],
      ),
    ).toEqual([]);
  });

  it("cannot have tenant_id changed: the tenant_id-immutable trigger is attached", async () => {
    expect(
      await offenders(`
        select "table" from (${TENANT_TABLES}) t
         where not exists (
           select 1 from pg_trigger tg
            where tg.tgrelid = t.oid and not tg.tgisinternal
              and tg.tgfoid = 'app_private.tg__tenant_id_immutable()'::regprocedure)`),
    ).toEqual([]);
  });
});

describe("every table in app_public", () => {
  const APP_PUBLIC_TABLES = `
    select c.oid, c.relname::text as "table", c.relrowsecurity, c.relforcerowsecurity
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = 'app_public' and c.relkind in ('r', 'p')`;

  it("has row-level security enabled AND forced", async () => {
    expect(
      await offenders(`select "table" from (${APP_PUBLIC_TABLES}) t where not (t.relrowsecurity and t.relforcerowsecurity)`),
    ).toEqual([]);
  });

  it("has at least one policy", async () => {
    expect(
      await offenders(`select "table" from (${APP_PUBLIC_TABLES}) t where not exists (select 1 from pg_policy p where p.polrelid = t.oid)`),
    ).toEqual([]);
  });
});

describe("the authenticator role (the API's only login)", () => {
  const authenticator = () => testDb().roles.authenticator;

  it("is not a superuser, cannot bypass RLS, and does not inherit its visitor roles' rights", async () => {
    const [role] = await rootQuery("select rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb from pg_roles where rolname = $1", [
      authenticator(),
    ]);
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false, rolinherit: false, rolcreaterole: false, rolcreatedb: false });
  });

  it("owns no object, in any database", async () => {
    const owned = await rootQuery(
      `select d.classid::regclass::text as catalog, d.objid, db.datname
         from pg_shdepend d left join pg_database db on db.oid = d.dbid
        where d.deptype = 'o' and d.refobjid = (select oid from pg_roles where rolname = $1)`,
      [authenticator()],
    );
    expect(owned).toEqual([]);
  });

  it("can switch only to visitor roles (never the owner or the system role)", async () => {
    const granted = await rootQuery<{ role: string }>(
      `select r.rolname::text as role
         from pg_auth_members m join pg_roles r on r.oid = m.roleid
        where m.member = (select oid from pg_roles where rolname = $1)`,
      [authenticator()],
    );
    const visitors = Object.values(testDb().roles.visitor);
    expect(granted.map((g) => g.role).filter((r) => !visitors.includes(r))).toEqual([]);
  });
});

describe("the request-context helpers", () => {
  it.each(["current_tenant_id", "current_user_id", "current_session_id", "current_app_role"])(
    "app_hidden.%s() is a STABLE `language sql` function the planner can inline (not definer, no SET)",
    async (name) => {
      const rows = await rootQuery(
        `select p.provolatile as volatility, l.lanname as language, p.prosecdef as security_definer, p.proconfig as config
           from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
          where n.nspname = 'app_hidden' and p.proname = $1`,
        [name],
      );
      expect(rows).toEqual([{ volatility: "s", language: "sql", security_definer: false, config: null }]);
    },
  );
});
