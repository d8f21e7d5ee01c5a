/**
 * The floor: the least a server can do per request and still be safe — a plain `node:http`
 * + `pg` server doing exactly the API's per-request work with no GraphQL: verify the JWT
 * (the API's own verifyToken), ask Postgres whether the session is live (the same
 * session_is_valid statement), BEGIN, the same transaction-local settings in the same one
 * statement PostGraphile sends, the operation's SQL (bench/operations.ts), COMMIT.
 * Forked by the bench like the API (env as bench/api-server.ts); POST /graphql with
 * `{ operationName, variables }`. BENCH_FLOOR_ONE_TRIP=1 runs the same work in one round trip.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Pool } from "pg";
import { AuthError } from "../src/auth/errors";
import { pgSettingsFor } from "../src/auth/pg-settings";
import { verifyToken } from "../src/auth/verify-token";
import { roleNamesFor } from "../src/db/roles";
import { JWT_ISSUER } from "../src/auth/verify-token";
import { DEFAULT_JWT_AUDIENCE } from "../src/config";
import { instrument } from "./api-server";
import { OPERATIONS } from "./operations";

const SETTINGS_SQL = "select set_config(el->>0, el->>1, true) from json_array_elements($1::json) el";

async function main() {
  const stats = instrument();
  const roles = roleNamesFor(process.env.BENCH_DATABASE_NAME!);
  const pool = new Pool({ connectionString: process.env.BENCH_AUTH_URL, max: Number(process.env.BENCH_POOL_SIZE || 10) });
  const tokenOptions = { secret: process.env.BENCH_JWT_SECRET!, audience: DEFAULT_JWT_AUDIENCE, issuer: JWT_ISSUER };
  const byName = new Map(OPERATIONS.map((o) => [o.name as string, o]));
  const oneTrip = process.env.BENCH_FLOOR_ONE_TRIP === "1";

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the handler answers every error itself (send 500)
    req.on("end", async () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          operationName: string;
          variables?: Record<string, unknown>;
        };
        const op = byName.get(body.operationName.toLowerCase() === "log" ? "write" : body.operationName.toLowerCase());
        if (!op) return send(400, { errors: [{ message: "unknown operation" }] });
        const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
        if (!match) return send(401, { errors: [{ message: "no token" }] });
        const claims = verifyToken(match[1]!, tokenOptions);
        if (oneTrip)
          return send(200, { data: { [op.name]: await inOneRoundTrip(claims, op.sql, op.floorParams(body.variables ?? {})) } });
        const { rows: ok } = await pool.query("select app_hidden.session_is_valid($1, $2, $3, $4, $5, $6) as ok", [
          claims.sessionId,
          claims.userId,
          claims.tenantId,
          claims.membershipId,
          claims.membershipVersion,
          claims.role,
        ]);
        if (!ok[0]?.ok) return send(401, { errors: [{ message: "session ended" }] });
        const client = await pool.connect();
        try {
          await client.query("begin");
          await client.query(SETTINGS_SQL, [JSON.stringify(Object.entries(pgSettingsFor(claims, roles)))]);
          const { rows } = await client.query(op.sql, op.floorParams(body.variables ?? {}));
          await client.query("commit");
          send(200, { data: { [op.name]: rows } });
        } catch (error) {
          await client.query("rollback").catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      } catch (error) {
        if (error instanceof AuthError) return send(error.status, error.toJSON());
        send(500, { errors: [{ message: (error as Error).message }] });
      }
    });
  });
  /**
   * The lever: session check, BEGIN, settings, query and COMMIT as ONE round trip (one
   * simple-protocol string; values inlined with escapeLiteral). The session check runs first,
   * as the authenticator (a MATERIALIZED CTE, evaluated before any set_config); if it fails no
   * setting is applied, the query runs as the authenticator, which may read nothing, and fails.
   */
  async function inOneRoundTrip(claims: ReturnType<typeof verifyToken>, sql: string, params: unknown[]) {
    const client = await pool.connect();
    try {
      const lit = (v: unknown) => (v === null || v === undefined ? "null" : client.escapeLiteral(String(v)));
      const inlined = sql.replace(/\$(\d+)/g, (_, i: string) => lit(params[Number(i) - 1]));
      const settings = lit(JSON.stringify(Object.entries(pgSettingsFor(claims, roles))));
      const text =
        `begin; with ok as materialized (select app_hidden.session_is_valid(${lit(claims.sessionId)}, ${lit(claims.userId)}, ${lit(claims.tenantId)}, ` +
        `${lit(claims.membershipId)}, ${lit(claims.membershipVersion)}::integer, ${lit(claims.role)}) as ok) ` +
        `select set_config(el->>0, el->>1, true) from json_array_elements(${settings}::json) el, ok where ok.ok; ${inlined}; commit;`;
      const results = (await client.query(text)) as unknown as { rows: unknown[] }[];
      return results[2]!.rows;
    } catch (error) {
      await client.query("rollback").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  server.listen(0, "127.0.0.1", () => process.send!({ port: (server.address() as AddressInfo).port }));
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- a failed stop crashes the bench child, which the parent reports
  process.on("message", async (m) => {
    if (m === "stats") process.send!({ stats: stats() });
    if (m === "stop") {
      server.close();
      await pool.end();
      process.exit(0);
    }
  });
}

main().catch((error) => {
  console.error("bench floor:", error);
  process.exit(1);
});
