/** `npm run worker`: run graphile-worker on its own (npm start also runs it in-process). */
import { citusMode } from "../db/citus";
import { startWorker } from "../worker";
import { fail, withDatabase } from "./with-database";

withDatabase(async (db) => {
  const runner = await startWorker(db.ownerUrl, { citus: citusMode() });
  console.log("graphile-worker running; Ctrl+C to stop.");
  const stop = async () => {
    await runner.stop();
    await db.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
  await runner.promise;
}, true).catch(fail("worker"));
