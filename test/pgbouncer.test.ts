// Must come first: disables @dataplan/pg's named prepared statements for this file.
import { restorePreparedStatementsEnv } from "./support/no-prepared-statements";
import type { RunningApi } from "../src/server";
import { gql } from "./support/api";
import { testDb } from "./support/db";
import { startTestApi } from "./support/api";
import { demoIdentities, hammer } from "./support/hammer";
import { pgbouncerBinary, startPgbouncer, type RunningPgbouncer } from "./support/pgbouncer";

/**
 * The same context check with PgBouncer in transaction mode between the API and Postgres: a
 * server connection serves many clients' transactions in turn, so anything session-level
 * (a role, a claim) would show up in someone else's answer. Runs whenever pgbouncer is
 * installed. Without it the suite is reported as SKIPPED (never as a passing test), and with
 * REQUIRE_PGBOUNCER=1 (CI) a missing pgbouncer is one explicit failure.
 */
restorePreparedStatementsEnv();

const binary = pgbouncerBinary();
const required = process.env.REQUIRE_PGBOUNCER === "1";
const total = Number(process.env.PGBOUNCER_HAMMER_REQUESTS ?? 3_000);
const clients = Number(process.env.HAMMER_CLIENTS ?? 50);
// Bounded in time too, for a loaded CI machine: whichever comes first (at least 1 000 requests).
const maxMillis = Number(process.env.HAMMER_SECONDS ?? 30) * 1000;
const title = "pgbouncer (transaction mode) between the API and Postgres";

if (!binary && required) {
  describe(title, () => {
    it("pgbouncer is installed (REQUIRE_PGBOUNCER=1)", () => {
      throw new Error("REQUIRE_PGBOUNCER=1 but pgbouncer is not on PATH (nor in /usr/sbin): apt-get install -y pgbouncer");
    });
  });
}

// Not installed and not required: jest lists the suite as skipped, with the reason in its name.
(binary ? describe : describe.skip)(
  binary ? title : `${title} — skipped: pgbouncer is not installed (REQUIRE_PGBOUNCER=1 makes this a failure)`,
  () => {
    let bouncer: RunningPgbouncer | undefined;
    let api: RunningApi | undefined;
    beforeAll(async () => {
      // A small server pool: many more clients than connections, so transactions interleave.
      bouncer = await startPgbouncer(testDb().authUrl, { poolSize: 4 });
      api = await startTestApi({ authUrl: bouncer.url, poolSize: 20 });
    }, 30_000);
    afterAll(async () => {
      await api?.close();
      await bouncer?.stop();
    });

    it("serves requests through pgbouncer", async () => {
      const res = await gql(api!, "{ myRole }");
      expect(res.data).toEqual({ myRole: "anonymous" });
    });

    it(`${clients} concurrent clients, ${total} requests through a 4-connection pool: every answer is the caller's own`, async () => {
      const identities = await demoIdentities(api!);
      const result = await hammer(api!.url, identities, { clients, total, maxMillis });
      console.log(
        `pgbouncer: ${result.requests} requests from ${clients} clients in ${(result.millis / 1000).toFixed(1)} s, ${result.perSecond}/s, ${result.failures.length} wrong answers`,
      );
      expect(result.failures.slice(0, 10)).toEqual([]);
      expect(result.requests).toBeGreaterThanOrEqual(Math.min(total, 1_000));
    }, 180_000);
  },
);
