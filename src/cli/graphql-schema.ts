/**
 * `npm run graphql:schema [-- --check]`: regenerate schema.graphql (the committed GraphQL
 * contract, src/graphql/contract.ts) from the migrations. Builds a throwaway database (on a
 * private embedded server, or on the server ROOT_DATABASE_URL names), migrates it, builds the
 * served schema, writes the file and drops the database and its roles. With --check it writes
 * nothing and exits 1 when the committed file is stale (the suite checks the same).
 */
import { createThrowawayDatabase } from "../db/throwaway";
import { redact } from "../db/urls";
import { buildServedSchema, contractStaleness, printContract, SCHEMA_GRAPHQL, writeContract } from "../graphql/contract";
import { fail } from "./with-database";

async function generate(log: (m: string) => void): Promise<string> {
  const serverRootUrl = process.env.ROOT_DATABASE_URL;
  if (serverRootUrl) log(`using ${redact(serverRootUrl)}`);
  const db = await createThrowawayDatabase({ serverRootUrl, prefix: "ironclad_sdl", log });
  try {
    log("building the served schema");
    return printContract(await buildServedSchema(db.authUrl, db.roles));
  } finally {
    await db.drop();
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  const sdl = await generate((m) => console.log(`  • ${m}`));
  if (check) {
    const stale = contractStaleness(sdl);
    console.log(stale ?? `graphql:schema: ${SCHEMA_GRAPHQL} is up to date`);
    return stale ? 1 : 0;
  }
  writeContract(sdl);
  console.log(`graphql:schema: wrote ${SCHEMA_GRAPHQL} (${sdl.split("\n").length} lines)`);
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch(fail("graphql:schema"));
