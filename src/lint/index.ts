/**
 * Tenant-aware schema linter: each rule (src/lint/rules) is one catalog query returning the
 * objects that break a convention of docs/CONVENTIONS.md. Catalog reads only, so the owner
 * (or any role) can run it, inside any transaction.
 */
import type { ClientBase } from "pg";
import type { RoleNames } from "../db/roles";
import { GYM_ROLES } from "../roles";
import { bindNamed, type ParamValue } from "./params";
import { COORDINATOR_ONLY } from "../db/citus";
import { RULES } from "./rules";
import { CITUS_REPLACED, CITUS_SETUP_EXEMPTIONS, citusRules } from "./rules/citus";
import type { Finding, LintOptions, Rule } from "./types";

export type { Finding, LintOptions, Rule, Level } from "./types";
export { RULES } from "./rules";
export { citusRules as CITUS_RULES } from "./rules/citus";

/** The rules a run checks: the single-node set, or in Citus mode that set minus what setup replaces, plus the Citus rules. */
export function rulesFor(options: Pick<LintOptions, "citus" | "only">): readonly Rule[] {
  const all = options.citus ? [...RULES.filter((r) => !CITUS_REPLACED.includes(r.id)), ...citusRules] : RULES;
  return options.only ? all.filter((r) => options.only?.includes(r.id)) : all;
}

/**
 * Where Citus-mode setup keeps tables on the coordinator (src/db/citus.ts placementPlan): the
 * shared layer's schema and COORDINATOR_ONLY; graphile-worker and graphile-migrate exist there only.
 */
const COORDINATOR_SCHEMAS = ["app_shared"];
const COORDINATOR_ONLY_SCHEMAS = ["graphile_worker", "graphile_migrate"];

export const DEFAULT_SCHEMAS = ["app_public", "app_shared"] as const;
export const DEFAULT_INTERNAL_SCHEMAS = ["app_hidden", "app_private"] as const;
export const DEFAULT_TENANT_ROOT = "app_public.gyms";

/** Anything with pg's query(): a Client, a PoolClient. */
export type Queryable = Pick<ClientBase, "query">;

/** The named parameters the rules' SQL uses (types.ts lists them), for these options. */
export function lintParameters(options: LintOptions): Record<string, ParamValue> {
  const roles: RoleNames = options.roles;
  const exposed = [...(options.schemas ?? DEFAULT_SCHEMAS)];
  const internal = options.internalSchemas ?? DEFAULT_INTERNAL_SCHEMAS;
  return {
    exposed,
    internal: [...internal],
    schemas: [...exposed, ...internal],
    visitor_roles: Object.values(roles.visitor),
    gym_roles: GYM_ROLES.map((r) => roles.visitor[r]),
    // Internal definer roles (system, shared) and the platform owner may hold always-true policies.
    true_ok_roles: [roles.system, roles.shared, roles.visitor.platform_owner],
    definer_owners: [roles.system, roles.shared],
    anonymous: roles.visitor.anonymous,
    authenticator: roles.authenticator,
    system: roles.system,
    maintenance: roles.maintenance,
    owner: roles.owner,
    tenant_root: options.tenantRoot ?? DEFAULT_TENANT_ROOT,
    coordinator_schemas: COORDINATOR_SCHEMAS,
    coordinator_tables: [...COORDINATOR_ONLY],
    coordinator_only_schemas: COORDINATOR_ONLY_SCHEMAS,
  };
}

async function runRule(client: Queryable, rule: Rule, params: Record<string, ParamValue>): Promise<Finding[]> {
  const { text, values } = bindNamed(rule.sql, params);
  let rows: { object: string; detail: string | null }[];
  try {
    rows = (await client.query<{ object: string; detail: string | null }>(text, values)).rows;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`lint rule ${rule.id} failed: ${message}`);
  }
  return rows.map((row) => ({
    rule: rule.id,
    level: rule.level,
    title: rule.title,
    object: row.object,
    detail: row.detail || null,
    why: rule.why,
    fix: rule.fix,
  }));
}

/**
 * A reasoned suppression lives next to the object it excuses, in its comment (a table's, or a
 * function's): `comment on table app_public.scratch is E'@lint-ignore rls-enabled-forced: <why>\n…'`.
 * The reason is required (a bare `@lint-ignore rule` suppresses nothing).
 */
const SUPPRESSION = /@lint-ignore ([a-z0-9-]+):\s*\S/g;

async function suppressedBy(client: Queryable, object: string): Promise<Set<string>> {
  // A function is named `schema.name(args …)`: its comment (any overload's) may excuse it.
  const fn = /^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)\(/.exec(object);
  const { rows } = fn
    ? await client.query<{ comment: string | null }>(
        `select string_agg(obj_description(p.oid, 'pg_proc'), ' ') as comment
         from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
         where n.nspname = $1 and p.proname = $2`,
        [fn[1], fn[2]],
      )
    : await client.query<{ comment: string | null }>("select obj_description(to_regclass($1), 'pg_class') as comment", [
        object.split(" ")[0]!,
      ]);
  return new Set([...(rows[0]?.comment ?? "").matchAll(SUPPRESSION)].map((m) => m[1]!));
}

const exemptInCitusMode = (f: Finding) =>
  CITUS_SETUP_EXEMPTIONS.some(
    (e) => e.rule === f.rule && (typeof e.object === "string" ? e.object === f.object : e.object.test(f.object)),
  );

/**
 * Run the mode's rules (or options.only) and return the findings, in rule order, minus reasoned
 * suppressions (and, in Citus mode, minus CITUS_SETUP_EXEMPTIONS).
 */
export async function lintDatabase(client: Queryable, options: LintOptions): Promise<Finding[]> {
  const params = lintParameters(options);
  const rules = rulesFor(options);
  const findings: Finding[] = [];
  // One after another: the client may be inside the caller's transaction.
  for (const rule of rules) findings.push(...(await runRule(client, rule, params)));
  const kept: Finding[] = [];
  for (const f of findings) {
    if (options.citus && exemptInCitusMode(f)) continue;
    if (!(await suppressedBy(client, f.object)).has(f.rule)) kept.push(f);
  }
  return kept;
}

/** `ERROR rule-id object — detail: why — fix` */
export function formatFinding(f: Finding): string {
  const what = f.detail ? `${f.detail}: ${f.why}` : f.why;
  return `${f.level.toUpperCase()} ${f.rule} ${f.object} — ${what} — ${f.fix}`;
}

export function summarize(findings: readonly Finding[]): { errors: number; warnings: number; text: string } {
  const errors = findings.filter((f) => f.level === "error").length;
  const warnings = findings.length - errors;
  const text = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
  return { errors, warnings, text };
}
