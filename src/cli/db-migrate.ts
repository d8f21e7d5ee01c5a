/** `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded database). */
import { fail, withDatabase } from "./with-database";

withDatabase(async () => console.log("Migrations are up to date.")).catch(fail("db:migrate"));
