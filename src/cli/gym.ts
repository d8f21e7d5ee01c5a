/**
 * `npm run gym -- <command>`: tenant lifecycle for the platform operator (src/ops/tenant.ts).
 *
 *   export SLUG DIR            one gym's data as a bundle (JSON lines per table + manifest)
 *   import DIR                 load a bundle as a gym (same ids; refused if it exists)
 *   suspend SLUG | resume SLUG logins refused (IC040) and sessions ended / allowed again
 *   offboard SLUG --yes        suspend, then delete the gym and every row of it
 *   erase-person EMAIL --yes   right to erasure, in every gym
 *   isolate SLUG [--node HOST:PORT]
 *                              Citus mode: the gym on shards of its own, moved to that worker
 *                              (needs ROOT_DATABASE_URL, the coordinator's superuser; src/ops/placement.ts)
 *   stats                      Citus mode: queries, reads and CPU per gym (citus_stat_tenants), busiest first
 *
 * Works on DATABASE_URL (the owner connection) or the embedded server in DATA_DIR — also while
 * `npm start` runs on it (see with-database.ts).
 */
import { Client } from "pg";
import { expectedMigrationHash } from "../db/migration-files";
import { databaseNameOf, withDatabase as onDatabase } from "../db/urls";
import { gymStats, isolateGym, parseNode } from "../ops/placement";
import { erasePerson, exportGym, importGym, offboardGym, suspendGym } from "../ops/tenant";
import { fail, withDatabase } from "./with-database";

const USAGE = `usage: npm run gym -- export SLUG DIR | import DIR | suspend SLUG | resume SLUG | offboard SLUG --yes | erase-person EMAIL --yes | isolate SLUG [--node HOST:PORT] | stats`;

async function main() {
  const argv = process.argv.slice(2);
  const nodeAt = argv.indexOf("--node");
  const node = nodeAt >= 0 ? argv.splice(nodeAt, 2)[1] : undefined;
  if (nodeAt >= 0 && !node) throw new Error(USAGE);
  const [command, arg, arg2] = argv.filter((a) => a !== "--yes");
  const yes = process.argv.includes("--yes");
  if (!command || (!arg && command !== "stats")) throw new Error(USAGE);
  if ((command === "offboard" || command === "erase-person") && !yes) {
    throw new Error(`${command} deletes data for good: add --yes (export the gym first: npm run gym -- export SLUG DIR)`);
  }
  await withDatabase(async (db) => {
    const client = new Client({ connectionString: db.ownerUrl });
    await client.connect();
    try {
      const hash = await expectedMigrationHash();
      switch (command) {
        case "export": {
          if (!arg2) throw new Error(USAGE);
          const m = await exportGym(client, db.roles, arg, arg2, hash);
          console.log(
            `Exported ${m.gym.slug} to ${arg2}: ${Object.values(m.tables).reduce((n, t) => n + t.rows, 0)} rows in ${Object.keys(m.tables).length} tables, checksum ${m.checksum}`,
          );
          break;
        }
        case "import": {
          const m = await importGym(client, db.roles, arg, hash);
          console.log(`Imported ${m.gym.slug} (${m.gym.id}).`);
          break;
        }
        case "suspend":
        case "resume":
          await suspendGym(client, db.roles, arg, command === "suspend");
          console.log(`${arg}: ${command === "suspend" ? "suspended (logins refused, sessions ended)" : "active again"}.`);
          break;
        case "offboard": {
          const r = await offboardGym(client, db.roles, arg);
          console.log(`Offboarded ${arg}: deleted ${JSON.stringify(r.deleted)}; no row of gym ${r.gymId} remains.`);
          break;
        }
        case "erase-person": {
          const r = await eraseAndReport(client, db.roles, arg);
          console.log(
            `Erased ${arg} (user ${r.userId}): deleted ${JSON.stringify(r.deleted)}; retained payments are now anonymous.`,
          );
          break;
        }
        case "isolate":
        case "stats": {
          const rootUrl = process.env.ROOT_DATABASE_URL;
          if (!rootUrl) throw new Error(`${command} needs ROOT_DATABASE_URL (the Citus coordinator's superuser URL)`);
          const root = new Client({ connectionString: onDatabase(rootUrl, databaseNameOf(db.ownerUrl)) });
          await root.connect();
          try {
            if (command === "stats") {
              console.table(await gymStats(root));
              break;
            }
            const r = await isolateGym(root, rootUrl, arg!, node === undefined ? undefined : parseNode(node));
            console.log(
              `${arg} (${r.gymId}): ${r.isolated ? "isolated to" : "already alone on"} shard ${r.shardId}, ` +
                `on ${r.node.host}:${r.node.port}${r.moved ? " (moved)" : ""}.`,
            );
          } finally {
            await root.end();
          }
          break;
        }
        default:
          throw new Error(USAGE);
      }
    } finally {
      await client.end();
    }
  });
}

const eraseAndReport = erasePerson;

main().catch(fail("gym"));
