import type { RoleNames } from "../db/roles";
import { formatFinding, lintDatabase, summarize, type Queryable } from "./index";

/** The flag that lets `db:commit` commit despite lint errors (and says so in the log). */
export const OVERRIDE_FLAG = "--allow-lint-errors";

/**
 * What `db:commit` asks before it commits: the dev database (committed + current migrations
 * applied) must lint without an error-level finding. Throws naming every finding, unless the
 * override is given — then it writes one warning line naming what it let through, so the
 * override is never silent.
 */
export async function assertCommittable(
  client: Queryable,
  roles: RoleNames,
  { override, log = console }: { override: boolean; log?: Pick<Console, "error" | "warn"> },
): Promise<void> {
  const findings = await lintDatabase(client, { roles });
  const errors = findings.filter((f) => f.level === "error");
  if (errors.length === 0) return;
  for (const f of errors) log.error(formatFinding(f));
  if (!override) {
    throw new Error(
      `db:lint reports ${summarize(findings).text}; fix them (or excuse one with a reasoned @lint-ignore) — not committed. ${OVERRIDE_FLAG} overrides.`,
    );
  }
  log.warn(
    JSON.stringify({
      level: "warn",
      msg: "db:commit: lint errors overridden",
      flag: OVERRIDE_FLAG,
      findings: errors.map((f) => `${f.rule} ${f.object}`),
    }),
  );
}
