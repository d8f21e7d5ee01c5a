import type { EmbeddedServer } from "../../src/db/embedded";
import { dropDatabaseAndRoles } from "../../src/db/setup";

export default async function globalTeardown() {
  const embedded = (globalThis as { __ironcladEmbedded?: EmbeddedServer }).__ironcladEmbedded;
  if (embedded) {
    await embedded.stop(); // non-persistent: its data directory goes with it
    return;
  }
  const rootUrl = process.env.IRONCLAD_TEST_ROOT_URL;
  const database = process.env.IRONCLAD_TEST_DATABASE;
  if (rootUrl && database) await dropDatabaseAndRoles(rootUrl, database);
}
