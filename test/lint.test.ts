import { randomBytes } from "node:crypto";
import { Client, type PoolClient } from "pg";
import type { RoleNames } from "../src/db/roles";
import { CITUS_RULES, formatFinding, lintDatabase, RULES, type Finding } from "../src/lint";
import { testDb, withRootDb } from "./support/db";

/**
 * (a) The real schema has no error-level finding.
 * (b) Every rule fires on a deliberately broken object. Each case builds, in a rolled-back
 *     superuser transaction, a throwaway schema holding a small schema written by the
 *     conventions (which lints clean), breaks one thing, and lints only that schema.
 */

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Quoted role names for fixture SQL. */
function roleSql(roles: RoleNames) {
  const v = roles.visitor;
  return {
    gym: [v.member, v.personal_trainer, v.coach, v.gym_admin].map(ident).join(", "),
    member: ident(v.member),
    coach: ident(v.coach),
    admin: ident(v.gym_admin),
    platform: ident(v.platform_owner),
    anonymous: ident(v.anonymous),
    system: ident(roles.system),
  };
}
type R = ReturnType<typeof roleSql>;

/** A tenant table as CONVENTIONS.md writes it: trigger, forced RLS, restrictive + permissive policies, column grants. */
function tenantTable(s: string, name: string, r: R, body: string): string {
  const t = `${s}.${name}`;
  const tenant = "tenant_id = app_hidden.current_tenant_id()";
  return `
    create table ${t} (${body});
    create trigger _100_tenant_id_immutable before update on ${t}
      for each row execute function app_private.tg__tenant_id_immutable();
    alter table ${t} enable row level security;
    alter table ${t} force row level security;
    create policy ${name}_tenant on ${t} as restrictive for all to ${r.gym}
      using (${tenant}) with check (${tenant});
    create policy ${name}_select on ${t} for select to ${r.gym} using (${tenant});
    create policy ${name}_insert on ${t} for insert to ${r.admin} with check (${tenant});
    create policy ${name}_select_platform on ${t} for select to ${r.platform} using (true);
    grant select on ${t} to ${r.gym}, ${r.platform};
    grant insert (id) on ${t} to ${r.admin};`;
}

const TENANT_COLUMN = (s: string) =>
  `tenant_id uuid not null default app_hidden.current_tenant_id() references ${s}.gyms (id) on delete cascade`;

/**
 * The clean fixture: a tenant root, a tenant table, a child table with a composite FK, and an
 * empty internal schema `<s>_hidden` (linted like app_hidden).
 */
function baseline(s: string, r: R): string {
  return `
    create schema ${s};
    create schema ${s}_hidden;
    create table ${s}.gyms (id uuid primary key default gen_random_uuid(), name text not null);
    comment on table ${s}.gyms is E'@tenantRoot\\nFixture tenant table.';
    alter table ${s}.gyms enable row level security;
    alter table ${s}.gyms force row level security;
    create policy gyms_select on ${s}.gyms for select to ${r.gym} using (id = app_hidden.current_tenant_id());
    grant select on ${s}.gyms to ${r.gym};
    ${tenantTable(
      s,
      "things",
      r,
      `
      ${TENANT_COLUMN(s)},
      id uuid not null default gen_random_uuid(),
      name text not null,
      primary key (tenant_id, id)`,
    )}
    ${tenantTable(
      s,
      "parts",
      r,
      `
      ${TENANT_COLUMN(s)},
      id uuid not null default gen_random_uuid(),
      thing_id uuid not null,
      primary key (tenant_id, id),
      constraint parts_thing_fkey foreign key (tenant_id, thing_id)
        references ${s}.things (tenant_id, id) on delete cascade`,
    )}
    create index parts_thing_idx on ${s}.parts (tenant_id, thing_id);`;
}

interface Fixture {
  schema: string;
  /** The internal schema next to it (plays app_hidden). */
  hidden: string;
  /** A unique prefix for throwaway roles (created inside the transaction, so rolled back too). */
  prefix: string;
  db: PoolClient;
  lint(roles?: RoleNames, citus?: boolean): Promise<Finding[]>;
}

async function withFixture<T>(fn: (fx: Fixture, r: R) => Promise<T>): Promise<T> {
  const { roles } = testDb();
  const prefix = `lint_fixture_${randomBytes(4).toString("hex")}`;
  const r = roleSql(roles);
  return withRootDb(async (db) => {
    await db.query(baseline(prefix, r));
    const lint = (override: RoleNames = roles, citus = false) =>
      lintDatabase(db, {
        roles: override,
        citus,
        schemas: [prefix],
        internalSchemas: [`${prefix}_hidden`],
        tenantRoot: `${prefix}.gyms`,
      });
    return fn({ schema: prefix, hidden: `${prefix}_hidden`, prefix, db, lint }, r);
  });
}

const show = (findings: Finding[]) => findings.map(formatFinding).join("\n");

/**
 * Warning-level findings the real schema must nevertheless not have: every tenant table keeps
 * the tenant_id-immutable trigger, and the four claim readers every policy calls stay
 * inlinable (current_membership_id is a definer helper by design, hence only a warning).
 */
const strictOnRealSchema = (f: Finding) =>
  f.rule === "tenant-id-immutable-trigger" ||
  (f.rule === "context-helper-inlinable" && /^app_hidden\.current_(tenant_id|user_id|session_id|app_role)\(\)$/.test(f.object));

describe("the real schema", () => {
  it("has no error-level finding", async () => {
    const { ownerUrl, roles } = testDb();
    const client = new Client({ connectionString: ownerUrl }); // what db:lint connects as
    await client.connect();
    try {
      const findings = await lintDatabase(client, { roles });
      const warnings = findings.filter((f) => f.level === "warning");
      if (warnings.length) console.log(`db:lint warnings on the real schema:\n${show(warnings)}`);
      expect(show(findings.filter((f) => f.level === "error"))).toBe("");
      expect(show(findings.filter(strictOnRealSchema))).toBe("");
    } finally {
      await client.end();
    }
  });
});

describe("the fixture written by the conventions", () => {
  it("lints clean (no finding of any level)", async () => {
    const findings = await withFixture((fx) => fx.lint());
    expect(show(findings)).toBe("");
  });
});

interface Case {
  rule: string;
  /** Tells apart two cases of one rule. */
  label?: string;
  /** Break the fixture: SQL, given the schema, quoted roles and a role-name prefix. */
  breakIt: (s: string, r: R, prefix: string) => string;
  /** Lint with other role names (for the role rules). */
  roles?: (roles: RoleNames, prefix: string) => RoleNames;
  /** The finding's object contains this (default: the fixture schema). */
  object?: (s: string, prefix: string) => string;
  /** And its detail matches this. */
  detail?: RegExp;
  /** Lint in Citus mode (the Citus rules, src/lint/rules/citus.ts). */
  citus?: boolean;
}

const withRole = (roles: RoleNames, change: Partial<RoleNames>, visitor: Partial<RoleNames["visitor"]> = {}): RoleNames => ({
  ...roles,
  ...change,
  visitor: { ...roles.visitor, ...visitor },
});

const CASES: Case[] = [
  {
    rule: "numeric-finite",
    breakIt: (s, r) => `
      alter table ${s}.things add column score numeric check (score >= 0);
      grant insert (score) on ${s}.things to ${r.admin};`,
    object: (s) => `${s}.things`,
    detail: /column score \(numeric\) has no things_score_finite check/,
  },
  {
    rule: "authorship-stamped",
    breakIt: (s, r) => `
      alter table ${s}.things add column recorded_by uuid;
      grant update (recorded_by) on ${s}.things to ${r.admin};`,
    object: (s) => `${s}.things`,
    detail: /visitors may write column recorded_by/,
  },
  {
    rule: "rls-enabled-forced",
    breakIt: (s) => `alter table ${s}.things no force row level security`,
    object: (s) => `${s}.things`,
    detail: /not forced/,
  },
  {
    rule: "rls-enabled-forced",
    label: "RLS not enabled",
    breakIt: (s) => `alter table ${s}.things disable row level security`,
    object: (s) => `${s}.things`,
    detail: /RLS is not enabled/,
  },
  {
    rule: "policy-for-every-grant",
    breakIt: (s, r) => `grant delete on ${s}.things to ${r.admin}`,
    object: (s) => `${s}.things`,
    detail: /DELETE is granted to .*gym_admin/,
  },
  {
    rule: "always-true-policy",
    breakIt: (s, r) => `create policy things_open on ${s}.things for select to ${r.coach}, ${r.platform} using (true)`,
    object: (s) => `${s}.things policy things_open`,
    detail: /USING is always true for \S+_coach$/,
  },
  {
    rule: "always-true-policy",
    // @global tables may be read by everyone, but an always-true *write* policy is still flagged.
    breakIt: (s, r) => `
      create table ${s}.catalog (id uuid primary key default gen_random_uuid(), name text);
      comment on table ${s}.catalog is E'@global reference data';
      alter table ${s}.catalog enable row level security;
      alter table ${s}.catalog force row level security;
      create policy catalog_read on ${s}.catalog for select to ${r.coach} using (true);
      create policy catalog_write on ${s}.catalog for insert to ${r.coach} with check (true)`,
    object: (s) => `${s}.catalog policy catalog_write`,
    detail: /WITH CHECK is always true for \S+_coach$/,
  },
  {
    rule: "policy-without-role",
    breakIt: (s) => `create policy things_public on ${s}.things for select using (tenant_id = app_hidden.current_tenant_id())`,
    object: (s) => `${s}.things policy things_public`,
  },
  {
    rule: "policy-subquery",
    breakIt: (s, r) => `create policy things_exists on ${s}.things for select to ${r.member}
      using (tenant_id = app_hidden.current_tenant_id()
             and exists (select 1 from ${s}.gyms g where g.id = tenant_id))`,
    object: (s) => `${s}.things policy things_exists`,
    detail: /USING has a subquery/,
  },
  {
    rule: "policy-current-setting",
    breakIt: (s, r) => `create policy things_setting on ${s}.things for select to ${r.member}
      using (tenant_id = nullif(current_setting('jwt.claims.tenant_id', true), '')::uuid)`,
    object: (s) => `${s}.things policy things_setting`,
  },
  {
    rule: "tenant-id-not-null",
    breakIt: (s, r) =>
      tenantTable(
        s,
        "loose",
        r,
        `
        tenant_id uuid references ${s}.gyms (id),
        id uuid not null default gen_random_uuid(),
        unique (tenant_id, id)`,
      ),
    object: (s) => `${s}.loose`,
  },
  {
    rule: "tenant-id-references-root",
    breakIt: (s) => `alter table ${s}.things drop constraint things_tenant_id_fkey`,
    object: (s) => `${s}.things`,
  },
  {
    rule: "tenant-id-leading-index",
    breakIt: (s, r) =>
      tenantTable(
        s,
        "backwards",
        r,
        `
        ${TENANT_COLUMN(s)},
        id uuid not null default gen_random_uuid(),
        primary key (id, tenant_id)`,
      ),
    object: (s) => `${s}.backwards`,
  },
  {
    rule: "tenant-keys-include-tenant-id",
    breakIt: (s) => `create unique index things_name_key on ${s}.things (name)`,
    object: (s) => `${s}.things`,
    detail: /unique index things_name_key/,
  },
  {
    // Includes tenant_id, but pairs it with the target's id: a row could point across gyms.
    rule: "tenant-fk-composite",
    breakIt: (s) => `alter table ${s}.parts add constraint parts_swapped_fkey
      foreign key (tenant_id, thing_id) references ${s}.things (id, tenant_id)`,
    object: (s) => `${s}.parts`,
    detail: /parts_swapped_fkey/,
  },
  {
    rule: "tenant-restrictive-policy",
    breakIt: (s) => `drop policy things_tenant on ${s}.things`,
    object: (s) => `${s}.things`,
    detail: /_member SELECT/,
  },
  {
    rule: "tenant-restrictive-policy",
    label: "a gym role missing from its TO list",
    breakIt: (s, r) => `
      drop policy things_tenant on ${s}.things;
      create policy things_tenant on ${s}.things as restrictive for all to ${r.member}, ${r.admin}
        using (tenant_id = app_hidden.current_tenant_id()) with check (tenant_id = app_hidden.current_tenant_id())`,
    object: (s) => `${s}.things`,
    detail: /_coach DELETE/,
  },
  {
    rule: "tenant-restrictive-policy",
    label: "WITH CHECK without the tenant predicate",
    breakIt: (s, r) => `
      drop policy things_tenant on ${s}.things;
      create policy things_tenant on ${s}.things as restrictive for all to ${r.gym}
        using (tenant_id = app_hidden.current_tenant_id()) with check (name <> '')`,
    object: (s) => `${s}.things`,
    detail: /_member INSERT/,
  },
  {
    rule: "tenant-permissive-policy",
    breakIt: (s, r) => `create policy things_by_name on ${s}.things for select to ${r.member} using (name <> '')`,
    object: (s) => `${s}.things policy things_by_name`,
  },
  {
    rule: "tenant-permissive-policy",
    label: "on the tenant table, id = current_tenant_id()",
    breakIt: (s, r) => `create policy gyms_by_name on ${s}.gyms for select to ${r.member} using (name <> '')`,
    object: (s) => `${s}.gyms policy gyms_by_name`,
    detail: /USING does not tie id/,
  },
  {
    rule: "tenant-id-not-updatable",
    breakIt: (s, r) => `grant update (tenant_id) on ${s}.things to ${r.admin}`,
    object: (s) => `${s}.things`,
    detail: /gym_admin may update tenant_id/,
  },
  {
    rule: "tenant-id-immutable-trigger",
    breakIt: (s) => `drop trigger _100_tenant_id_immutable on ${s}.things`,
    object: (s) => `${s}.things`,
  },
  {
    rule: "orderable-column-index",
    breakIt: (s) => `comment on column ${s}.things.name is E'@behavior +orderBy +filterBy\\nSorted by screens.'`,
    object: (s) => `${s}.things`,
    detail: /column name is exposed by @behavior \+orderBy \+filterBy but no index starts \(tenant_id, name\)/,
  },
  {
    // An index on the column alone does not serve a gym's query: tenant_id must lead.
    rule: "orderable-column-index",
    label: "an index not led by tenant_id",
    breakIt: (s) => `
      create index things_name_idx on ${s}.things (name, tenant_id);
      comment on column ${s}.things.name is E'@behavior +orderBy'`,
    object: (s) => `${s}.things`,
    detail: /column name/,
  },
  {
    rule: "tenancy-declared",
    breakIt: (s) => `
      create table ${s}.notes (id uuid primary key);
      alter table ${s}.notes enable row level security;
      alter table ${s}.notes force row level security;`,
    object: (s) => `${s}.notes`,
  },
  {
    rule: "no-sequence-ids",
    breakIt: (s, r) =>
      tenantTable(
        s,
        "counters",
        r,
        `
        ${TENANT_COLUMN(s)},
        id bigint generated always as identity,
        primary key (tenant_id, id)`,
      ),
    object: (s) => `${s}.counters`,
    detail: /identity/,
  },
  {
    rule: "visitor-dangerous-privilege",
    breakIt: (s, r) => `grant truncate on ${s}.things to ${r.member}`,
    object: (s) => `${s}.things`,
    detail: /TRUNCATE/,
  },
  {
    rule: "write-grants-list-columns",
    breakIt: (s, r) => `grant insert on ${s}.things to ${r.admin}`,
    object: (s) => `${s}.things`,
    detail: /table-wide INSERT/,
  },
  {
    rule: "fk-covering-index",
    breakIt: (s) => `drop index ${s}.parts_thing_idx`,
    object: (s) => `${s}.parts`,
    detail: /parts_thing_fkey \(tenant_id, thing_id\)/,
  },
  {
    rule: "view-security-invoker",
    breakIt: (s) => `create view ${s}.things_view as select id from ${s}.things`,
    object: (s) => `${s}.things_view`,
  },
  {
    rule: "materialized-view-hidden",
    breakIt: (s, r) => `
      create materialized view ${s}.things_mv as select tenant_id, id from ${s}.things;
      grant select on ${s}.things_mv to ${r.member};`,
    object: (s) => `${s}.things_mv`,
  },
  {
    rule: "definer-search-path",
    breakIt: (s, r) => `
      create function ${s}.no_path() returns int language sql stable security definer as $$ select 1 $$;
      revoke execute on function ${s}.no_path() from public;
      alter function ${s}.no_path() owner to ${r.system};`,
    object: (s) => `${s}.no_path()`,
  },
  {
    rule: "definer-not-anonymous",
    breakIt: (s, r) => `
      create function ${s}.open_door() returns int language sql stable security definer
        set search_path = pg_catalog as $$ select 1 $$;
      revoke execute on function ${s}.open_door() from public;
      grant execute on function ${s}.open_door() to ${r.anonymous};
      alter function ${s}.open_door() owner to ${r.system};`,
    object: (s) => `${s}.open_door()`,
  },
  {
    rule: "definer-owned-by-system",
    breakIt: (s) => `
      create function ${s}.root_door() returns int language sql stable security definer
        set search_path = pg_catalog as $$ select 1 $$;
      revoke execute on function ${s}.root_door() from public;`,
    object: (s) => `${s}.root_door()`,
    detail: /superuser/,
  },
  {
    rule: "function-not-public",
    breakIt: (s) => `create function ${s}.plain() returns int language sql stable as $$ select 1 $$`,
    object: (s) => `${s}.plain()`,
  },
  {
    rule: "context-helper-inlinable",
    breakIt: (s) => `
      create function ${s}_hidden.current_thing_id() returns uuid language plpgsql volatile
        as $$ begin return null; end $$;
      revoke execute on function ${s}_hidden.current_thing_id() from public;`,
    object: (s) => `${s}_hidden.current_thing_id()`,
    detail: /language plpgsql, VOLATILE/,
  },
  {
    rule: "roles-exist",
    breakIt: () => "select 1",
    roles: (roles, prefix) => withRole(roles, {}, { coach: `${prefix}_missing` }),
    object: (_s, prefix) => `${prefix}_missing`,
  },
  {
    rule: "authenticator-locked-down",
    breakIt: (_s, _r, prefix) => `create role ${prefix}_auth login inherit bypassrls`,
    roles: (roles, prefix) => withRole(roles, { authenticator: `${prefix}_auth` }),
    object: (_s, prefix) => `${prefix}_auth`,
    detail: /BYPASSRLS.*INHERIT/,
  },
  {
    rule: "authenticator-owns-nothing",
    breakIt: (s, _r, prefix) => `
      create role ${prefix}_auth login noinherit;
      create sequence ${s}.auth_owned;
      alter sequence ${s}.auth_owned owner to ${prefix}_auth;`,
    roles: (roles, prefix) => withRole(roles, { authenticator: `${prefix}_auth` }),
    object: (s) => `sequence ${s}.auth_owned`,
  },
  {
    rule: "no-role-bypasses-rls",
    breakIt: (_s, _r, prefix) => `create role ${prefix}_coach nologin noinherit bypassrls`,
    roles: (roles, prefix) => withRole(roles, {}, { coach: `${prefix}_coach` }),
    object: (_s, prefix) => `${prefix}_coach`,
    detail: /BYPASSRLS/,
  },
  // Citus mode. The fixture is written for one node: its restrictive tenant policies are what
  // Citus-mode setup drops at placement (see "the fixture as Citus-mode setup leaves it" below).
  {
    rule: "citus-fk-set-null",
    citus: true,
    breakIt: (s) => `
      alter table ${s}.parts add column spare_id uuid;
      alter table ${s}.parts add constraint parts_spare_fkey foreign key (tenant_id, spare_id)
        references ${s}.things (tenant_id, id) on delete set null;
      create index parts_spare_idx on ${s}.parts (tenant_id, spare_id);`,
    object: (s) => `${s}.parts`,
    detail: /parts_spare_fkey: .*ON DELETE SET NULL$/,
  },
  {
    rule: "citus-fk-set-null",
    label: "ON UPDATE SET DEFAULT (col)",
    citus: true,
    breakIt: (s) => `
      alter table ${s}.parts add column spare_id uuid;
      alter table ${s}.parts add constraint parts_spare_fkey foreign key (tenant_id, spare_id)
        references ${s}.things (tenant_id, id) on update set default on delete set null (spare_id);`,
    object: (s) => `${s}.parts`,
    detail: /parts_spare_fkey/,
  },
  {
    rule: "citus-global-references-tenant",
    citus: true,
    breakIt: (s) => `
      create table ${s}.catalog (
        id uuid primary key default gen_random_uuid(),
        thing_tenant uuid, thing_id uuid,
        foreign key (thing_tenant, thing_id) references ${s}.things (tenant_id, id));`,
    object: (s) => `${s}.catalog`,
    detail: /references \S+\.things \(distributed\)/,
  },
  {
    rule: "citus-trigger-coordinator-only",
    citus: true,
    breakIt: (s) => `
      create function ${s}_hidden.tg_things__enqueue() returns trigger language plpgsql volatile
        set search_path = pg_catalog as $$
      begin
        perform graphile_worker.add_job('thing_changed', json_build_object('id', new.id));
        return null;
      end $$;
      create trigger _900_enqueue after insert on ${s}.things
        for each row execute function ${s}_hidden.tg_things__enqueue();`,
    object: (s) => `${s}.things`,
    detail: /trigger _900_enqueue: .*names graphile_worker\.\*/,
  },
  {
    rule: "citus-trigger-coordinator-only",
    label: "an app_shared table, one call down",
    citus: true,
    breakIt: (s) => `
      create function ${s}_hidden.note_refresh() returns void language plpgsql volatile
        set search_path = pg_catalog as $$
      begin
        insert into app_shared.leaderboard_refreshes default values;
      end $$;
      create function ${s}_hidden.tg_parts__refresh() returns trigger language plpgsql volatile
        set search_path = pg_catalog as $$
      begin
        perform ${s}_hidden.note_refresh();
        return null;
      end $$;
      create trigger _800_refresh after insert on ${s}.parts
        for each row execute function ${s}_hidden.tg_parts__refresh();`,
    object: (s) => `${s}.parts`,
    detail: /names app_shared\.leaderboard_refreshes \(in \S+_hidden\.note_refresh\(\)\)/,
  },
  {
    rule: "citus-sql-function-params",
    citus: true,
    breakIt: (s) => `
      create function ${s}_hidden.thing_name(thing_id uuid) returns text language sql stable
        security definer set search_path = pg_catalog
        as $$ select t.name from ${s}.things t where t.id = thing_name.thing_id $$;
      revoke execute on function ${s}_hidden.thing_name(uuid) from public;`,
    object: (s) => `${s}_hidden.thing_name(thing_id uuid)`,
    detail: /language sql, SECURITY DEFINER, SET search_path=pg_catalog, reads \S+\.things$/,
  },
  {
    rule: "citus-no-restrictive-policy",
    citus: true,
    breakIt: () => "select 1",
    object: (s) => `${s}.things policy things_tenant`,
  },
  {
    // The tenant root is distributed by id: unique (name) cannot be checked across shards.
    rule: "citus-unique-distribution-column",
    citus: true,
    breakIt: (s) => `alter table ${s}.gyms add constraint gyms_name_key unique (name)`,
    object: (s) => `${s}.gyms`,
    detail: /gyms_name_key does not include id/,
  },
];

describe("each rule fires on a broken fixture", () => {
  it("every rule has a case", () => {
    expect([...new Set(CASES.map((c) => c.rule))].sort()).toEqual([...RULES, ...CITUS_RULES].map((r) => r.id).sort());
  });

  it.each(CASES.map((c) => [c.label ? `${c.rule} (${c.label})` : c.rule, c] as const))("%s", async (_name, c) => {
    await withFixture(async (fx, r) => {
      await fx.db.query(c.breakIt(fx.schema, r, fx.prefix));
      const roles = c.roles?.(testDb().roles, fx.prefix);
      const findings = await fx.lint(roles, c.citus);
      const hits = findings.filter((f) => f.rule === c.rule);
      const expected = c.object?.(fx.schema, fx.prefix) ?? fx.schema;
      const hit = hits.find((f) => f.object.includes(expected) && (!c.detail || c.detail.test(f.detail ?? "")));
      if (!hit) throw new Error(`${c.rule} did not fire on ${expected}; findings:\n${show(findings)}`);
      expect(hit.level).toBe([...RULES, ...CITUS_RULES].find((rule) => rule.id === c.rule)?.level);
    });
  });
});

describe("the fixture as Citus-mode setup leaves it (restrictive tenant policies dropped)", () => {
  it("lints clean in Citus mode, with the shapes the cluster accepts", async () => {
    const findings = await withFixture(async ({ db, schema: s, lint }) => {
      await db.query(`
        drop policy things_tenant on ${s}.things;
        drop policy parts_tenant on ${s}.parts;
        -- The one SET NULL shape setup handles, and a SQL function Postgres inlines.
        alter table ${s}.parts add column spare_id uuid;
        alter table ${s}.parts add constraint parts_spare_fkey foreign key (tenant_id, spare_id)
          references ${s}.things (tenant_id, id) on delete set null (spare_id);
        create index parts_spare_idx on ${s}.parts (tenant_id, spare_id);
        create function ${s}_hidden.thing_name(thing_id uuid) returns text language sql stable
          as $$ select t.name from ${s}.things t where t.id = thing_name.thing_id $$;
        revoke execute on function ${s}_hidden.thing_name(uuid) from public;
        -- A global table (a reference table on the cluster).
        create table ${s}.countries (code text primary key);
        comment on table ${s}.countries is E'@global reference data, the same for every gym';
        alter table ${s}.countries enable row level security;
        alter table ${s}.countries force row level security;`);
      return lint(undefined, true);
    });
    expect(show(findings)).toBe("");
  });
});

describe("exemptions are honoured", () => {
  it("a tagged column with an index (tenant_id, column) passes, and -orderBy/-filterBy tags need none", async () => {
    const findings = await withFixture(async ({ db, schema: s, lint }) => {
      await db.query(`
        create index things_tenant_id_name_idx on ${s}.things (tenant_id, name, id);
        comment on column ${s}.things.name is E'@behavior +orderBy +filterBy\\nSorted by screens.';
        comment on column ${s}.parts.thing_id is E'@behavior -orderBy -filterBy';`);
      return lint();
    });
    expect(show(findings)).toBe("");
  });
  it("@anonymousOk lets anonymous execute a definer function that is otherwise correct", async () => {
    const findings = await withFixture(async ({ db, schema: s, lint }, r) => {
      await db.query(`
        create function ${s}.login() returns int language sql volatile security definer
          set search_path = pg_catalog as $$ select 1 $$;
        comment on function ${s}.login() is E'@resultFieldName jwtToken\\n@anonymousOk login is how a visitor gets a token\\nLog in.';
        revoke execute on function ${s}.login() from public;
        grant execute on function ${s}.login() to ${r.anonymous};
        alter function ${s}.login() owner to ${r.system};`);
      return lint();
    });
    expect(show(findings)).toBe("");
  });

  it("security_invoker and @sharedSafe views pass; @global tables pass", async () => {
    const findings = await withFixture(async ({ db, schema: s, lint }) => {
      await db.query(`
        create view ${s}.invoker_view with (security_invoker = on) as select id from ${s}.things;
        create view ${s}.shared_view as select count(*) as n from ${s}.things;
        comment on view ${s}.shared_view is E'@sharedSafe aggregate only, no gym is identifiable';
        create table ${s}.countries (code text primary key);
        comment on table ${s}.countries is E'@global reference data, the same for every gym';
        alter table ${s}.countries enable row level security;
        alter table ${s}.countries force row level security;`);
      return lint();
    });
    expect(show(findings)).toBe("");
  });

  it("@tenantRoot on a table other than the tenant root does not count", async () => {
    const findings = await withFixture(async ({ db, schema: s, lint }) => {
      await db.query(`
        create table ${s}.franchises (id uuid primary key);
        comment on table ${s}.franchises is '@tenantRoot';
        alter table ${s}.franchises enable row level security;
        alter table ${s}.franchises force row level security;`);
      return lint();
    });
    expect(findings.map((f) => [f.rule, f.object, f.detail])).toEqual([
      ["tenancy-declared", expect.stringMatching(/\.franchises$/), expect.stringMatching(/only allowed on/)],
    ]);
  });
});
