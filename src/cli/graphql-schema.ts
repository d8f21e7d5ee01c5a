/**
 * `npm run graphql:schema [-- --check]`: regenerate schema/<role>.graphql (the committed GraphQL
 * contract, one file per visitor role, src/graphql/contract.ts) from the migrations. Builds a throwaway database (on a
 * private embedded server, or on the server ROOT_DATABASE_URL names), migrates it, builds the
 * served schemas, writes the files and drops the database and its roles. With --check it writes
 * nothing and exits 1 when a committed file is stale (the suite checks the same).
 */
import { createThrowawayDatabase } from "../db/throwaway";
import { redact } from "../db/urls";
import { APP_ROLES, type AppRole } from "../roles";
import { buildServedSchemas, contractStaleness, printContract, SCHEMA_DIR, writeContract } from "../graphql/contract";
import { fail } from "./with-database";

async function generate(log: (m: string) => void): Promise<Record<AppRole, string>> {
  const serverRootUrl = process.env.ROOT_DATABASE_URL;
  if (serverRootUrl) log(`using ${redact(serverRootUrl)}`);
  const db = await createThrowawayDatabase({ serverRootUrl, prefix: "ironclad_sdl", log });
  try {
    log("building every role's served schema");
    const schemas = await buildServedSchemas(db.authUrl, db.roles);
    return Object.fromEntries(APP_ROLES.map((role) => [role, printContract(role, schemas[role])])) as Record<AppRole, string>;
  } finally {
    await db.drop();
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  const sdl = await generate((m) => console.log(`  • ${m}`));
  if (check) {
    const stale = APP_ROLES.map((role) => contractStaleness(role, sdl[role])).filter((x) => x !== null);
    console.log(stale.length ? stale.join("\n") : `graphql:schema: ${SCHEMA_DIR}/*.graphql are up to date`);
    return stale.length ? 1 : 0;
  }
  for (const role of APP_ROLES) {
    writeContract(role, sdl[role]);
    console.log(`graphql:schema: wrote ${SCHEMA_DIR}/${role}.graphql (${sdl[role].split("\n").length} lines)`);
  }
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch(fail("graphql:schema"));
