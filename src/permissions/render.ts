import { ROLE_LABELS } from "../roles";
import { ACCESS, FUNCTIONS, MATRIX, OPERATIONS, ROLES, type Access } from "./matrix";

const ACCESS_LABEL: Record<Access, string> = {
  all: "all",
  own: "own",
  assigned: "assigned",
  published: "published",
  deny: "—",
};

const ACCESS_MEANING: Record<Access, string> = {
  all: "every row of the caller's gym; for the platform owner, every gym",
  own: "only the caller's own rows (see the table's notes)",
  assigned: "only rows of members the caller is an assigned personal trainer of",
  published: "only published rows",
  deny: "nothing: the statement is refused, or sees and changes no row",
};

/** docs/PERMISSIONS.md, generated from src/permissions/matrix.ts. */
export function renderPermissionsMarkdown(): string {
  const out: string[] = [];
  out.push("# Permissions");
  out.push("");
  out.push("<!-- Generated from src/permissions/matrix.ts by `npm run docs:permissions`. Do not edit by hand:");
  out.push("     test/permissions.test.ts fails when this file is stale, and proves every cell against Postgres. -->");
  out.push("");
  out.push("What each role may do with each table inside a gym, enforced by Postgres (row-level security,");
  out.push("grants and triggers), never by the API. Gym roles never see or touch another gym's rows.");
  out.push("");
  out.push("| cell | meaning |");
  out.push("|---|---|");
  for (const a of ACCESS) out.push(`| ${ACCESS_LABEL[a]} | ${ACCESS_MEANING[a]} |`);
  out.push("");
  out.push("Each cell reads **select / insert / update / delete**.");
  out.push("");
  out.push(`| table | ${ROLES.map((r) => ROLE_LABELS[r]).join(" | ")} |`);
  out.push(`|---|${ROLES.map(() => "---").join("|")}|`);
  for (const rule of MATRIX) {
    const cells = ROLES.map((r) => OPERATIONS.map((op) => ACCESS_LABEL[rule.access[r][op]]).join(" / "));
    out.push(`| \`${rule.table}\` | ${cells.join(" | ")} |`);
  }
  out.push("");
  out.push("## Tables");
  for (const rule of MATRIX) {
    out.push("");
    out.push(`### \`app_public.${rule.table}\``);
    out.push("");
    out.push(rule.about);
    if (rule.scopes) {
      out.push("");
      for (const [scope, meaning] of Object.entries(rule.scopes)) out.push(`- *${scope}*: ${meaning}`);
    }
    out.push("");
    out.push(`| role | ${OPERATIONS.join(" | ")} |`);
    out.push(`|---|${OPERATIONS.map(() => "---").join("|")}|`);
    for (const r of ROLES)
      out.push(`| ${ROLE_LABELS[r]} | ${OPERATIONS.map((op) => ACCESS_LABEL[rule.access[r][op]]).join(" | ")} |`);
  }
  out.push("");
  out.push("## Functions");
  out.push("");
  out.push(`| function | about | ${ROLES.map((r) => ROLE_LABELS[r]).join(" | ")} |`);
  out.push(`|---|---|${ROLES.map(() => "---").join("|")}|`);
  for (const f of FUNCTIONS) {
    out.push(`| \`${f.fn}\` | ${f.about} | ${ROLES.map((r) => (f.allowed[r] ? "✅" : "—")).join(" | ")} |`);
  }
  out.push("");
  return out.join("\n");
}
