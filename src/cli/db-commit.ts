/**
 * `npm run db:commit -- "message"`: turn migrations/current/ into the next committed
 * migration (graphile-migrate commit). It first replays every committed migration plus the
 * new one on a shadow database, so a migration that doesn't apply from empty can't be
 * committed. Uses the embedded server in DATA_DIR.
 */
import { commit } from "graphile-migrate";
import { loadConfig } from "../config";
import { migrateSettings, releaseMigratePools } from "../db/migrate";
import { EMBEDDED_DATABASE, startEmbeddedDatabase } from "../db/prepare";
import { withDatabase as otherDatabase } from "../db/urls";
import { fail } from "./with-database";

async function main() {
  const config = loadConfig();
  const { server, setup } = await startEmbeddedDatabase(config.dataDir);
  try {
    const settings = {
      ...migrateSettings(setup.ownerUrl, server.rootUrl),
      shadowConnectionString: otherDatabase(setup.ownerUrl, `${EMBEDDED_DATABASE}_shadow`),
    };
    await commit(settings, process.argv[2] || undefined);
    console.log("Committed migrations/current. Run `npm run db:reset` to rebuild the dev database from the committed files.");
  } finally {
    releaseMigratePools();
    // pg-pool's end() is not awaitable here; let the sockets close before the server stops.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.stop();
  }
}

main().catch(fail("db:commit"));
