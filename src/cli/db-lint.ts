/**
 * `npm run db:lint`: check the schema against docs/CONVENTIONS.md (tenant isolation, RLS,
 * definer functions, roles). Lints DATABASE_URL as it is (no migration, owner connection is
 * enough: catalog reads only); without DATABASE_URL, the embedded database `npm start` uses,
 * started and migrated for the duration of the command. Exits 1 on any error-level finding.
 *
 * Citus mode (`CITUS=1`, or `--citus`, which sets it): the Citus rules too (src/lint/rules/citus.ts),
 * on a database set up in Citus mode: DATABASE_URL on the coordinator, or without it the
 * cluster's database `npm run start:citus` uses (ROOT_DATABASE_URL, placed first as start does).
 */
import { Client } from "pg";
import { roleNamesFor, type RoleNames } from "../db/roles";
import { databaseNameOf, redact, userOf } from "../db/urls";
import { citusMode } from "../db/citus";
import { formatFinding, lintDatabase, rulesFor, summarize } from "../lint";
import { fail, withDatabase } from "./with-database";

/** `--json`: one JSON document on stdout ({rules, errors, warnings, findings}) for tools and CI. */
const json = process.argv.includes("--json");
if (json) console.log = console.error; // progress lines go to stderr; stdout carries only the JSON
// `--citus` is CITUS=1: the config then places (and lints) the cluster's database too.
if (process.argv.includes("--citus")) process.env.CITUS = "1";
const citus = citusMode();

async function lint(url: string, roles: RoleNames): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    if (citus) {
      const { rows } = await client.query("select 1 from pg_extension where extname = 'citus'");
      if (!rows.length)
        console.error(
          "db:lint: Citus mode on a database without the citus extension: the Citus rules fire on what Citus-mode setup swaps at placement (lint a database set up with CITUS=1)",
        );
    }
    const findings = await lintDatabase(client, { roles, citus });
    const { errors, warnings, text } = summarize(findings);
    const rules = rulesFor({ citus }).length;
    if (json) {
      process.stdout.write(`${JSON.stringify({ rules, citus, errors, warnings, findings }, null, 2)}\n`);
      return errors;
    }
    for (const finding of findings) console.log(formatFinding(finding));
    console.log(`\ndb:lint${citus ? " (Citus mode)" : ""}: ${rules} rules checked, ${text}.`);
    return errors;
  } finally {
    await client.end();
  }
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (url) {
    console.log(`Linting ${redact(url)}`);
    return lint(url, roleNamesFor(databaseNameOf(url), userOf(url)));
  }
  let errors = 0;
  await withDatabase(async (db) => {
    errors = await lint(db.ownerUrl, db.roles);
  });
  return errors;
}

main()
  .then((errors) => process.exit(errors > 0 ? 1 : 0))
  .catch(fail("db:lint"));
