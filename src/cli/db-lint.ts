/**
 * `npm run db:lint`: check the schema against docs/CONVENTIONS.md (tenant isolation, RLS,
 * definer functions, roles). Lints DATABASE_URL as it is (no migration, owner connection is
 * enough: catalog reads only); without DATABASE_URL, the embedded database `npm start` uses,
 * started and migrated for the duration of the command. Exits 1 on any error-level finding.
 */
import { Client } from "pg";
import { roleNamesFor, type RoleNames } from "../db/roles";
import { databaseNameOf, redact, userOf } from "../db/urls";
import { formatFinding, lintDatabase, RULES, summarize } from "../lint";
import { fail, withDatabase } from "./with-database";

/** `--json`: one JSON document on stdout ({rules, errors, warnings, findings}) for tools and CI. */
const json = process.argv.includes("--json");
if (json) console.log = console.error; // progress lines go to stderr; stdout carries only the JSON

async function lint(url: string, roles: RoleNames): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const findings = await lintDatabase(client, { roles });
    const { errors, warnings, text } = summarize(findings);
    if (json) {
      process.stdout.write(`${JSON.stringify({ rules: RULES.length, errors, warnings, findings }, null, 2)}\n`);
      return errors;
    }
    for (const finding of findings) console.log(formatFinding(finding));
    console.log(`\ndb:lint: ${RULES.length} rules checked, ${text}.`);
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
