/**
 * `npm run db:dump [-- --check]`: regenerate migrations/schema.sql and docs/access/ from the
 * migrations. Builds a throwaway database (on a private embedded server, or on the server
 * ROOT_DATABASE_URL names), migrates it, reads its catalog (src/db/schema-dump.ts), writes the
 * files and drops the database and its roles. With --check it writes nothing and exits 1 when
 * the committed files are stale (the suite checks the same in test/generated-docs.test.ts).
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { startEmbedded, type EmbeddedServer } from "../db/embedded";
import { migrateDatabase } from "../db/migrate";
import { generateSchemaFiles } from "../db/schema-dump";
import { formatStale, staleSchemaFiles, writeSchemaFiles } from "../db/schema-files";
import { randomSecret } from "../db/secrets";
import { dropDatabaseAndRoles, setupDatabase } from "../db/setup";
import { redact } from "../db/urls";
import { fail } from "./with-database";

async function generate(log: (m: string) => void): Promise<Map<string, string>> {
  let rootUrl = process.env.ROOT_DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  if (!rootUrl) {
    log("starting a throwaway embedded PostgreSQL");
    embedded = await startEmbedded({
      dataDir: await mkdtemp(path.join(tmpdir(), "ironclad-dump-")),
      superuserPassword: randomSecret(),
      persistent: false,
    });
    rootUrl = embedded.rootUrl;
  } else log(`using ${redact(rootUrl)}`);
  const databaseName = `ironclad_dump_${randomSecret(4).toLowerCase()}`;
  try {
    const setup = await setupDatabase({
      rootUrl,
      databaseName,
      ownerPassword: randomSecret(),
      authenticatorPassword: randomSecret(),
    });
    log(`migrating ${databaseName}`);
    await migrateDatabase(setup.ownerUrl, rootUrl);
    const client = new Client({ connectionString: setup.ownerUrl });
    await client.connect();
    try {
      return await generateSchemaFiles(client, setup.roles);
    } finally {
      await client.end();
    }
  } finally {
    if (embedded) await embedded.stop();
    else await dropDatabaseAndRoles(rootUrl, databaseName);
  }
}

async function main(): Promise<number> {
  const check = process.argv.includes("--check");
  const files = await generate((m) => console.log(`  • ${m}`));
  if (check) {
    const stale = staleSchemaFiles(files);
    console.log(stale.length ? formatStale(stale) : `db:dump: ${files.size} generated files are up to date`);
    return stale.length ? 1 : 0;
  }
  const { written, removed } = writeSchemaFiles(files);
  console.log(
    `db:dump: wrote ${written} files (migrations/schema.sql, docs/access/)${removed.length ? `; removed ${removed.join(", ")}` : ""}`,
  );
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch(fail("db:dump"));
