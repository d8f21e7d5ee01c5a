/** `npm run seed`: load the demo gyms and users into an empty database. */
import { seedIfEmpty } from "../db/prepare";
import { fail, withDatabase } from "./with-database";

withDatabase(async (db) => {
  console.log((await seedIfEmpty(db)) ? "Loaded the demo data." : "The database already has gyms; nothing loaded.");
}).catch(fail("seed"));
