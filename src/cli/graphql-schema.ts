/**
 * `npm run graphql:schema [-- --check]`: regenerate schema.graphql (the committed GraphQL
 * contract, src/graphql/contract.ts) from the migrations. Builds a throwaway database (on a
 * private embedded server, or on the server ROOT_DATABASE_URL names), migrates it, builds the
 * served schema, writes the file and drops the database and its roles. With --check it writes
 * nothing and exits 1 when the committed file is stale (the suite checks the same).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { startEmbedded, type EmbeddedServer } from "../db/embedded";
import { migrateDatabase } from "../db/migrate";
import { randomSecret } from "../db/secrets";
import { dropDatabaseAndRoles, setupDatabase } from "../db/setup";
import { redact } from "../db/urls";
import { buildServedSchema, contractStaleness, printContract, SCHEMA_GRAPHQL, writeContract } from "../graphql/contract";
import { fail } from "./with-database";

async function generate(log: (m: string) => void): Promise<string> {
  let rootUrl = process.env.ROOT_DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  if (!rootUrl) {
    log("starting a throwaway embedded PostgreSQL");
    embedded = await startEmbedded({ dataDir: await mkdtemp(path.join(tmpdir(), "ironclad-sdl-")), superuserPassword: randomSecret(), persistent: false });
    rootUrl = embedded.rootUrl;
  } else log(`using ${redact(rootUrl)}`);
  const databaseName = `ironclad_sdl_${randomSecret(4).toLowerCase()}`;
  try {
    const setup = await setupDatabase({ rootUrl, databaseName, ownerPassword: randomSecret(), authenticatorPassword: randomSecret() });
    log(`migrating ${databaseName}`);
    await migrateDatabase(setup.ownerUrl, rootUrl);
    log("building the served schema");
    return printContract(await buildServedSchema(setup.authUrl, setup.roles));
  } finally {
    if (embedded) await embedded.stop();
    else await dropDatabaseAndRoles(rootUrl, databaseName);
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
