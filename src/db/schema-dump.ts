/**
 * The schema's current state, generated from the catalog of a migrated database:
 *
 * - `migrations/schema.sql`: every object of app_public, app_hidden, app_private and
 *   app_shared as DDL, one table per block (columns, constraints, indexes, RLS, policies,
 *   grants, triggers, comments together), functions after the relations.
 * - `docs/access/<schema>.<table>.md`: per table or view, who may do what (each role's
 *   grants and the policies that admit its rows), the policies in full, per-column grants,
 *   and who may execute the functions that act on it; `docs/access/README.md` indexes them.
 *
 * The output is the same on every server it is generated on (PostgreSQL 15 and 18 are
 * checked): role names become the migrations' placeholders (`:ROLE_MEMBER` …), nothing
 * depends on OIDs, collation or the server's version, and everything is sorted here.
 * `npm run db:dump` writes the files; test/generated-docs.test.ts fails when they are stale.
 */
import type { ClientBase } from "pg";
import { APP_ROLES } from "../roles";
import { placeholdersFor, type RoleNames } from "./roles";
import {
  readCatalog,
  type Catalog,
  type Column,
  type FunctionInfo,
  type Grant,
  type Policy,
  type Relation,
} from "./schema-catalog";

export const SCHEMA_FILE = "migrations/schema.sql";
export const ACCESS_DIR = "docs/access";
export const DUMP_COMMAND = "npm run db:dump";

/** Code-point order: the same on every machine, whatever the locale or the server's collation. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const sortBy = <T>(items: readonly T[], key: (item: T) => string) => [...items].sort((a, b) => byText(key(a), key(b)));

const PRIVILEGE_ORDER = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "TRUNCATE",
  "REFERENCES",
  "TRIGGER",
  "USAGE",
  "CREATE",
  "EXECUTE",
];
/** MAINTAIN (PostgreSQL 17+) only ever appears as the owner's implicit right, which is not dumped. */
const IGNORED_PRIVILEGES = new Set(["MAINTAIN"]);
const byPrivilege = (a: string, b: string) => PRIVILEGE_ORDER.indexOf(a) - PRIVILEGE_ORDER.indexOf(b);
const COMMANDS = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;

interface RoleLabel {
  /** As the migrations write it, e.g. `:ROLE_MEMBER` */
  placeholder: string;
  /** For the docs, e.g. `member` */
  label: string;
  rank: number;
}

/** Our roles, in one fixed order: owner, authenticator, system, shared, then the visitors by power. */
export class RoleVocabulary {
  private readonly byName = new Map<string, RoleLabel>();
  private readonly replacer: RegExp;

  constructor(roles: RoleNames) {
    const placeholders = placeholdersFor(roles);
    const entries: [string, string, string][] = [
      [roles.owner, ":DATABASE_OWNER", "owner"],
      [roles.authenticator, ":DATABASE_AUTHENTICATOR", "authenticator"],
      [roles.system, ":ROLE_SYSTEM", "system"],
      [roles.shared, ":ROLE_SHARED", "shared"],
      ...APP_ROLES.map((r): [string, string, string] => [
        roles.visitor[r],
        Object.keys(placeholders).find((k) => placeholders[k] === roles.visitor[r]) ?? r,
        r,
      ]),
      [roles.maintenance, ":ROLE_MAINTENANCE", "maintenance"],
    ];
    entries.forEach(([name, placeholder, label], rank) => this.byName.set(name, { placeholder, label, rank: rank + 1 }));
    this.byName.set("PUBLIC", { placeholder: "public", label: "PUBLIC", rank: 0 });
    const names = [...this.byName.keys()].filter((n) => n !== "PUBLIC").sort((a, b) => b.length - a.length);
    this.replacer = new RegExp(
      `(?<![A-Za-z0-9_$])(?:${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?![A-Za-z0-9_$])`,
      "g",
    );
  }

  private info(name: string): RoleLabel {
    return this.byName.get(name) ?? { placeholder: `<unknown role ${name}>`, label: `<unknown role ${name}>`, rank: 99 };
  }
  /** `":ROLE_MEMBER"`, or `public` */
  sql(name: string): string {
    const p = this.info(name).placeholder;
    return p === "public" ? p : `"${p}"`;
  }
  label(name: string): string {
    return this.info(name).label;
  }
  isOwner(name: string): boolean {
    return this.info(name).placeholder === ":DATABASE_OWNER";
  }
  sort(names: Iterable<string>): string[] {
    return [...new Set(names)].sort((a, b) => this.info(a).rank - this.info(b).rank || byText(a, b));
  }
  /** Role names inside free text (function bodies, expressions, comments) → placeholders. */
  scrub(text: string): string {
    return text.replace(this.replacer, (name) => this.info(name).placeholder);
  }
}

function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Grants grouped into statements: one per (privileges, column list) with every grantee holding exactly that. */
function grantStatements(grants: Grant[], on: string, roles: RoleVocabulary, columns?: string): string[] {
  const perGrantee = new Map<string, string[]>();
  for (const g of grants) {
    if (IGNORED_PRIVILEGES.has(g.privilege)) continue;
    const key = `${g.grantee}\u0000${g.grantable ? "1" : "0"}`;
    perGrantee.set(key, [...(perGrantee.get(key) ?? []), g.privilege]);
  }
  const perPrivileges = new Map<string, { grantees: string[]; grantable: boolean }>();
  for (const [key, privileges] of perGrantee) {
    const [grantee, grantable] = key.split("\u0000") as [string, string];
    const set = [...new Set(privileges)].sort(byPrivilege).join(", ");
    const k = `${set}\u0000${grantable}`;
    const entry = perPrivileges.get(k) ?? { grantees: [], grantable: grantable === "1" };
    entry.grantees.push(grantee);
    perPrivileges.set(k, entry);
  }
  return sortBy([...perPrivileges.entries()], ([k]) => k).map(([k, { grantees, grantable }]) => {
    const privileges = k.split("\u0000")[0]!.toLowerCase();
    const cols = columns ? ` (${columns})` : "";
    const to = roles
      .sort(grantees)
      .map((g) => roles.sql(g))
      .join(", ");
    return `grant ${privileges}${cols} on ${on} to ${to}${grantable ? " with grant option" : ""};`;
  });
}

/** Column grants: for each privilege and grantee, the columns it holds; grouped like grantStatements. */
function columnGrantStatements(rel: Relation, roles: RoleVocabulary): string[] {
  const held = new Map<string, string[]>(); // "PRIV\0grantee\0grantable" → columns
  for (const column of rel.columns) {
    for (const g of column.grants) {
      if (IGNORED_PRIVILEGES.has(g.privilege)) continue;
      const key = `${g.privilege}\u0000${g.grantee}\u0000${g.grantable ? "1" : "0"}`;
      held.set(key, [...(held.get(key) ?? []), quoteIdent(column.name)]);
    }
  }
  const statements = new Map<string, { privilege: string; columns: string; grantable: boolean; grantees: string[] }>();
  for (const [key, columns] of held) {
    const [privilege, grantee, grantable] = key.split("\u0000") as [string, string, string];
    const k = `${privilege}\u0000${columns.join(", ")}\u0000${grantable}`;
    const entry = statements.get(k) ?? { privilege, columns: columns.join(", "), grantable: grantable === "1", grantees: [] };
    entry.grantees.push(grantee);
    statements.set(k, entry);
  }
  return [...statements.values()]
    .sort((a, b) => byPrivilege(a.privilege, b.privilege) || byText(a.columns, b.columns))
    .map(
      (s) =>
        `grant ${s.privilege.toLowerCase()} (${s.columns}) on ${rel.qualified} to ${roles
          .sort(s.grantees)
          .map((g) => roles.sql(g))
          .join(", ")}${s.grantable ? " with grant option" : ""};`,
    );
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

const CONSTRAINT_ORDER = ["p", "u", "x", "c", "f"];

function columnLine(c: Column): string {
  const parts = [`${quoteIdent(c.name)} ${c.type}`];
  if (c.generated) parts.push(`generated always as (${c.generated}) stored`);
  if (c.identity === "a") parts.push("generated always as identity");
  if (c.identity === "d") parts.push("generated by default as identity");
  if (c.notNull) parts.push("not null");
  if (c.default !== null) parts.push(`default ${c.default}`);
  return parts.join(" ");
}

function policyStatement(rel: Relation, p: Policy, roles: RoleVocabulary): string {
  const lines = [
    `create policy ${quoteIdent(p.name)} on ${rel.qualified} as ${p.permissive ? "permissive" : "restrictive"} for ${p.command.toLowerCase()}`,
    `  to ${roles
      .sort(p.roles)
      .map((r) => roles.sql(r))
      .join(", ")}`,
  ];
  if (p.using !== null) lines.push(`  using (${p.using})`);
  if (p.withCheck !== null) lines.push(`  with check (${p.withCheck})`);
  return `${lines.join("\n")};`;
}

function relationBlock(rel: Relation, roles: RoleVocabulary): string {
  const out: string[] = [`-- ${rel.kind} ${rel.qualified}`];
  if (rel.kind === "view" || rel.kind === "materialized view") {
    const options = rel.options.length ? ` with (${[...rel.options].sort(byText).join(", ")})` : "";
    out.push(`create ${rel.kind}${` ${rel.qualified}`}${options} as\n${rel.viewDefinition?.trimEnd().replace(/;$/, "")};`);
  } else if (rel.kind === "sequence") {
    out.push(`create sequence ${rel.qualified};`);
  } else {
    const options = rel.options.length ? ` with (${[...rel.options].sort(byText).join(", ")})` : "";
    out.push(`create table ${rel.qualified} (\n${rel.columns.map((c) => `  ${columnLine(c)}`).join(",\n")}\n)${options};`);
  }
  if (!roles.isOwner(rel.owner)) out.push(`alter table ${rel.qualified} owner to ${roles.sql(rel.owner)};`);
  if (rel.comment !== null)
    out.push(`comment on ${rel.kind === "partitioned table" ? "table" : rel.kind} ${rel.qualified} is ${literal(rel.comment)};`);
  for (const c of rel.columns) {
    if (c.comment !== null) out.push(`comment on column ${rel.qualified}.${quoteIdent(c.name)} is ${literal(c.comment)};`);
  }
  const constraints = [...rel.constraints].sort(
    (a, b) => CONSTRAINT_ORDER.indexOf(a.type) - CONSTRAINT_ORDER.indexOf(b.type) || byText(a.name, b.name),
  );
  for (const c of constraints) {
    out.push(`alter table ${rel.qualified} add constraint ${quoteIdent(c.name)} ${c.definition};`);
    if (c.comment !== null) out.push(`comment on constraint ${quoteIdent(c.name)} on ${rel.qualified} is ${literal(c.comment)};`);
  }
  for (const i of sortBy(rel.indexes, (i) => i.name)) {
    out.push(`${i.definition};`);
    if (i.comment !== null) out.push(`comment on index ${rel.schema}.${quoteIdent(i.name)} is ${literal(i.comment)};`);
  }
  if (rel.rowSecurity) out.push(`alter table ${rel.qualified} enable row level security;`);
  if (rel.forceRowSecurity) out.push(`alter table ${rel.qualified} force row level security;`);
  for (const p of sortBy(rel.policies, (p) => p.name)) {
    out.push(policyStatement(rel, p, roles));
    if (p.comment !== null) out.push(`comment on policy ${quoteIdent(p.name)} on ${rel.qualified} is ${literal(p.comment)};`);
  }
  out.push(...grantStatements(rel.grants, rel.qualified, roles));
  out.push(...columnGrantStatements(rel, roles));
  for (const t of sortBy(rel.triggers, (t) => t.name)) {
    out.push(`${t.definition};`);
    if (t.enabled !== "O") out.push(`-- trigger ${t.name}: tgenabled = ${t.enabled}`);
    if (t.comment !== null) out.push(`comment on trigger ${quoteIdent(t.name)} on ${rel.qualified} is ${literal(t.comment)};`);
  }
  return out.join("\n");
}

function functionBlock(f: FunctionInfo, roles: RoleVocabulary): string {
  const what = f.kind === "procedure" ? "procedure" : "function";
  const out = [`${f.definition.trimEnd()};`];
  if (!roles.isOwner(f.owner)) out.push(`alter ${what} ${f.signature} owner to ${roles.sql(f.owner)};`);
  if (f.comment !== null) out.push(`comment on ${what} ${f.signature} is ${literal(f.comment)};`);
  out.push(...grantStatements(f.grants, `${what} ${f.signature}`, roles));
  return out.join("\n");
}

/** The whole dump as SQL text. */
export function renderSchemaSql(catalog: Catalog, roles: RoleVocabulary): string {
  const out: string[] = [
    "-- The current state of the Ironclad schema, generated from the catalog of a freshly migrated",
    `-- database by \`${DUMP_COMMAND}\` (src/db/schema-dump.ts). Do not edit: change the migrations`,
    `-- and run \`${DUMP_COMMAND}\`; test/generated-docs.test.ts fails while this file is stale.`,
    '-- Role names are the migrations\' placeholders. Every object is owned by ":DATABASE_OWNER"',
    "-- unless an `owner to` line follows it. Per-table access pages: docs/access/README.md.",
    "",
  ];
  const defaults = sortBy(catalog.defaultAcls, (d) => `${d.role} ${d.schema ?? ""} ${d.objectType}`);
  if (defaults.length) {
    out.push("-- Default privileges (apply to objects the role creates later)");
    for (const d of defaults) {
      const head = `alter default privileges for role ${roles.sql(d.role)}${d.schema ? ` in schema ${d.schema}` : ""}`;
      const hasPublic = d.grants.some((g) => g.grantee === "PUBLIC");
      if (!hasPublic && (d.objectType === "functions" || d.objectType === "types")) {
        out.push(`${head} revoke ${d.objectType === "functions" ? "execute" : "usage"} on ${d.objectType} from public;`);
      }
      for (const stmt of grantStatements(
        d.grants.filter((g) => g.grantee !== "PUBLIC" || d.schema !== null),
        d.objectType,
        roles,
      )) {
        out.push(`${head} ${stmt.replace(/ on [a-z]+ to /, ` on ${d.objectType} to `)}`);
      }
    }
    out.push("");
  }
  for (const schema of sortBy(catalog.schemas, (s) => s.name)) {
    out.push("-".repeat(80), `-- schema ${schema.name}`, "-".repeat(80));
    out.push(`create schema ${schema.name};`);
    if (!roles.isOwner(schema.owner)) out.push(`alter schema ${schema.name} owner to ${roles.sql(schema.owner)};`);
    if (schema.comment !== null) out.push(`comment on schema ${schema.name} is ${literal(schema.comment)};`);
    out.push(...grantStatements(schema.grants, `schema ${schema.name}`, roles), "");

    for (const t of sortBy(
      catalog.types.filter((t) => t.schema === schema.name),
      (t) => t.name,
    )) {
      if (t.kind === "composite") out.push(`create type ${t.qualified} as (\n${t.parts.map((p) => `  ${p}`).join(",\n")}\n);`);
      else if (t.kind === "enum") out.push(`create type ${t.qualified} as enum (${t.parts.join(", ")});`);
      else out.push(`create domain ${t.qualified} as ${t.parts.join(" ")};`);
      if (!roles.isOwner(t.owner)) out.push(`alter type ${t.qualified} owner to ${roles.sql(t.owner)};`);
      if (t.comment !== null)
        out.push(`comment on ${t.kind === "domain" ? "domain" : "type"} ${t.qualified} is ${literal(t.comment)};`);
      out.push("");
    }
    for (const rel of sortBy(
      catalog.relations.filter((r) => r.schema === schema.name),
      (r) => r.name,
    )) {
      out.push(relationBlock(rel, roles), "");
    }
    for (const f of sortBy(
      catalog.functions.filter((f) => f.schema === schema.name),
      (f) => f.signature,
    )) {
      out.push(functionBlock(f, roles), "");
    }
  }
  return `${roles.scrub(out.join("\n")).trimEnd()}\n`;
}

// ---------------------------------------------------------------------------------------------
// Access pages

/** What one role may do with one command on one relation, from grants and policies. */
interface Access {
  /** null: not granted. "all" or the columns it is granted on. */
  columns: "all" | string[] | null;
  permissive: string[];
  restrictive: string[];
}

function holds(grants: Grant[], role: string, privilege: string): boolean {
  return grants.some((g) => g.privilege === privilege && (g.grantee === role || g.grantee === "PUBLIC"));
}

function policiesFor(rel: Relation, role: string, command: string): Policy[] {
  return rel.policies.filter(
    (p) => (p.command === command || p.command === "ALL") && (p.roles.includes(role) || p.roles.includes("PUBLIC")),
  );
}

function accessOf(rel: Relation, role: string, command: string): Access {
  let columns: Access["columns"] = null;
  if (holds(rel.grants, role, command)) columns = "all";
  else if (command !== "DELETE") {
    const some = rel.columns.filter((c) => holds(c.grants, role, command)).map((c) => c.name);
    if (some.length) columns = some;
  }
  const policies = policiesFor(rel, role, command);
  return {
    columns,
    permissive: sortBy(
      policies.filter((p) => p.permissive),
      (p) => p.name,
    ).map((p) => p.name),
    restrictive: sortBy(
      policies.filter((p) => !p.permissive),
      (p) => p.name,
    ).map((p) => p.name),
  };
}

const hasRls = (rel: Relation) => rel.rowSecurity && (rel.kind === "table" || rel.kind === "partitioned table");

/** Can `role` reach any row with `command`? (Granted, and with RLS on, a permissive policy admits rows.) */
function reaches(rel: Relation, role: string, access: Access): boolean {
  if (access.columns === null) return false;
  if (!hasRls(rel)) return true;
  return access.permissive.length > 0;
}

const code = (s: string) => `\`${s.replace(/`/g, "ˋ")}\``;
const cell = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");

function accessCell(rel: Relation, access: Access): string {
  if (access.columns === null) return "—";
  const cols = access.columns === "all" ? "all columns" : `columns ${access.columns.map(code).join(", ")}`;
  if (!hasRls(rel)) return `${cols}; every row (${rel.kind === "table" ? "no row-level security" : rel.kind})`;
  if (!access.permissive.length) return `granted (${cols}) but no permissive policy: no row`;
  const restrictive = access.restrictive.length ? `, within ${access.restrictive.map(code).join(", ")}` : "";
  return `${cols}; rows of ${access.permissive.map(code).join(" or ")}${restrictive}`;
}

/** Every role named in a grant or policy of the relation, plus our own roles that the owner runs as. */
function rolesOn(rel: Relation, roles: RoleVocabulary): string[] {
  const names = new Set<string>();
  for (const g of rel.grants) names.add(g.grantee);
  for (const c of rel.columns) for (const g of c.grants) names.add(g.grantee);
  for (const p of rel.policies) for (const r of p.roles) names.add(r);
  return roles.sort(names);
}

/** Functions acting on the relation: trigger functions, functions taking or returning its row, and any whose body names it. */
function functionsOn(rel: Relation, catalog: Catalog): { f: FunctionInfo; why: string }[] {
  const mention = new RegExp(`(?<![A-Za-z0-9_.])${rel.schema}\\.${rel.name}(?![A-Za-z0-9_])`, "i");
  const triggerFunctions = new Set(rel.triggers.map((t) => t.functionSignature));
  const found: { f: FunctionInfo; why: string }[] = [];
  for (const f of sortBy(catalog.functions, (f) => f.signature)) {
    const why: string[] = [];
    if (triggerFunctions.has(f.signature)) why.push("trigger");
    const types = (t: string) => t.replace(/^setof /, "");
    if (f.argumentTypes.some((t) => t === rel.rowType)) why.push("takes its row");
    if (types(f.resultType) === rel.rowType) why.push("returns its rows");
    if (mention.test(f.source)) why.push("its body names it");
    if (why.length) found.push({ f, why: why.join(", ") });
  }
  return found;
}

/** Views and materialized views whose query names the relation. */
function viewsReading(rel: Relation, catalog: Catalog): Relation[] {
  const mention = new RegExp(`(?<![A-Za-z0-9_.])${rel.schema}\\.${rel.name}(?![A-Za-z0-9_])`, "i");
  return sortBy(
    catalog.relations.filter((v) => v.viewDefinition !== null && v.qualified !== rel.qualified && mention.test(v.viewDefinition)),
    (v) => v.qualified,
  );
}

function executors(f: FunctionInfo, roles: RoleVocabulary): string {
  const names = roles.sort(f.grants.filter((g) => g.privilege === "EXECUTE").map((g) => g.grantee));
  return names.length ? names.map((n) => roles.label(n)).join(", ") : "nobody but its owner";
}

const pageName = (rel: Relation) => `${rel.schema}.${rel.name}.md`;

function rlsText(rel: Relation): string {
  if (rel.kind === "view") {
    return rel.options.some((o) => /^security_invoker=(true|on|1|yes)$/i.test(o))
      ? "the caller's (security_invoker view)"
      : "**its owner's** (view without security_invoker)";
  }
  if (rel.kind === "materialized view") return "none (a materialized view has no row-level security)";
  if (!rel.rowSecurity) return "**disabled**";
  return rel.forceRowSecurity ? "enabled and forced" : "enabled, **not forced** (the owner bypasses it)";
}

function accessPage(rel: Relation, catalog: Catalog, roles: RoleVocabulary): string {
  const out: string[] = [
    `# ${rel.qualified}`,
    "",
    `> Generated by \`${DUMP_COMMAND}\` from the migrated schema — do not edit. [All tables](README.md) · [full DDL](../../${SCHEMA_FILE})`,
    "",
  ];
  if (rel.comment) out.push(...rel.comment.split("\n").map((l) => `> ${l}`), "");
  out.push(`**${rel.kind}** · row-level security: ${rlsText(rel)} · owner: ${roles.label(rel.owner)}`, "");

  out.push("## Who may do what", "");
  const who = rolesOn(rel, roles);
  if (!who.length) out.push("No role but the owner has any right here.", "");
  else {
    out.push(`| role | ${COMMANDS.join(" | ")} |`, `|---|${COMMANDS.map(() => "---").join("|")}|`);
    for (const role of who) {
      out.push(`| ${roles.label(role)} | ${COMMANDS.map((c) => cell(accessCell(rel, accessOf(rel, role, c)))).join(" | ")} |`);
    }
    out.push("");
    if (hasRls(rel)) {
      out.push(
        "A row is reached when the role holds the grant, one of the permissive policies named admits it, and every restrictive policy does too. " +
          `The owner is ${rel.forceRowSecurity ? "subject to these policies (RLS is forced)" : "exempt from them"}.`,
        "",
      );
    }
  }

  if (rel.policies.length) {
    out.push("## Policies", "");
    for (const p of sortBy(rel.policies, (p) => p.name)) {
      out.push(
        `### ${p.name}`,
        "",
        `${p.permissive ? "permissive" : "**restrictive**"} · ${p.command} · to ${roles
          .sort(p.roles)
          .map((r) => roles.label(r))
          .join(", ")}`,
        "",
      );
      if (p.comment) out.push(p.comment, "");
      if (p.using !== null) out.push("USING", "```sql", p.using, "```");
      if (p.withCheck !== null) out.push("WITH CHECK", "```sql", p.withCheck, "```");
      out.push("");
    }
  }

  out.push("## Columns", "", "| column | type | SELECT | INSERT | UPDATE |", "|---|---|---|---|---|");
  for (const c of rel.columns) {
    const by = (privilege: string) => {
      const names = roles.sort([...rel.grants, ...c.grants].filter((g) => g.privilege === privilege).map((g) => g.grantee));
      return names.length ? names.map((n) => roles.label(n)).join(", ") : "—";
    };
    const type = `${c.type}${c.notNull ? " not null" : ""}${c.default !== null ? ` default ${c.default}` : ""}`;
    out.push(`| ${code(c.name)} | ${cell(code(type))} | ${by("SELECT")} | ${by("INSERT")} | ${by("UPDATE")} |`);
  }
  out.push("");

  if (rel.triggers.length) {
    out.push("## Triggers", "");
    for (const t of sortBy(rel.triggers, (t) => t.name)) out.push(`- ${code(t.name)}: ${code(t.definition)}`);
    out.push("");
  }

  const fns = functionsOn(rel, catalog);
  if (fns.length) {
    out.push(
      "## Functions that act on it",
      "",
      "Functions taking or returning its rows, its trigger functions, and any function whose body names it. A SECURITY DEFINER function acts with its owner's rights, not the caller's.",
      "",
      "| function | why listed | runs as | who may execute |",
      "|---|---|---|---|",
    );
    for (const { f, why } of fns) {
      const runsAs = f.securityDefiner ? `**definer** (${roles.label(f.owner)}), ${f.volatility}` : `caller, ${f.volatility}`;
      const who = why === "trigger" ? "nobody calls it: it fires on the table's writes" : executors(f, roles);
      out.push(`| ${code(f.signature)} | ${why} | ${runsAs} | ${who} |`);
    }
    out.push("");
  }

  const views = viewsReading(rel, catalog);
  if (views.length) {
    out.push("## Views that read it", "");
    for (const v of views) out.push(`- [${v.qualified}](${pageName(v)}), ${v.kind}; row-level security: ${rlsText(v)}`);
    out.push("");
  }
  return `${roles.scrub(out.join("\n")).trimEnd()}\n`;
}

function indexPage(catalog: Catalog, relations: Relation[], roles: RoleVocabulary): string {
  const out: string[] = [
    "# Access, table by table",
    "",
    `> Generated by \`${DUMP_COMMAND}\` from the migrated schema — do not edit. The full DDL: [${SCHEMA_FILE}](../../${SCHEMA_FILE}).`,
    "",
    "Who can reach rows of each table or view, per command: the roles holding the grant with a permissive policy that admits rows (restrictive policies narrow them further; see each page). " +
      "`owner` is the migration owner; `system` and `shared` are the internal roles owning SECURITY DEFINER functions. " +
      "Functions acting on a table with their owner's rights are listed on its page.",
    "",
    `| table | kind | RLS | ${COMMANDS.join(" | ")} |`,
    `|---|---|---|${COMMANDS.map(() => "---").join("|")}|`,
  ];
  for (const rel of relations) {
    const rls = hasRls(rel) ? (rel.forceRowSecurity ? "forced" : "enabled") : rel.kind === "table" ? "**off**" : "—";
    const cells = COMMANDS.map((command) => {
      const who = rolesOn(rel, roles).filter((role) => reaches(rel, role, accessOf(rel, role, command)));
      return who.length ? who.map((r) => roles.label(r)).join(", ") : "—";
    });
    out.push(`| [${rel.qualified}](${pageName(rel)}) | ${rel.kind} | ${rls} | ${cells.join(" | ")} |`);
  }
  out.push("", "## Functions", "", "| function | runs as | who may execute |", "|---|---|---|");
  for (const f of sortBy(catalog.functions, (f) => f.signature)) {
    const runsAs = f.securityDefiner ? `**definer** (${roles.label(f.owner)})` : "caller";
    out.push(`| ${code(f.signature)} | ${runsAs} | ${executors(f, roles)} |`);
  }
  return `${roles.scrub(out.join("\n")).trimEnd()}\n`;
}

/** Every generated file, by path relative to the repository root. */
export function renderSchemaFiles(catalog: Catalog, roleNames: RoleNames): Map<string, string> {
  const roles = new RoleVocabulary(roleNames);
  const files = new Map<string, string>();
  files.set(SCHEMA_FILE, renderSchemaSql(catalog, roles));
  const relations = sortBy(
    catalog.relations.filter((r) => r.kind !== "sequence"),
    (r) => r.qualified,
  );
  files.set(`${ACCESS_DIR}/README.md`, indexPage(catalog, relations, roles));
  for (const rel of relations) files.set(`${ACCESS_DIR}/${pageName(rel)}`, accessPage(rel, catalog, roles));
  return files;
}

/** Read the catalog of the database `client` is connected to and render every generated file. */
export async function generateSchemaFiles(client: Pick<ClientBase, "query">, roles: RoleNames): Promise<Map<string, string>> {
  return renderSchemaFiles(await readCatalog(client), roles);
}
