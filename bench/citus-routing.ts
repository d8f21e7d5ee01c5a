/**
 * A tenant query with and without the tenant-routing plugin (src/graphql/plugins/tenant-routing.ts),
 * timed interleaved over HTTP against two APIs on the same database. Not part of jest:
 *
 *   npx tsx bench/citus-routing.ts                      # single node (a throwaway embedded server): the plugin's cost there
 *   CITUS=1 TEST_DATABASE_URL=postgres://postgres@127.0.0.1:9700/postgres npx tsx bench/citus-routing.ts
 *                                                       # the cluster: routed (one shard) vs fanned out (every shard)
 *
 * BENCH_GYMS (default 4) gyms, each with a coach, two members, a week of classes and results;
 * BENCH_SAMPLES (default 200) requests per side, alternating. Prints p50/p95 per side and their ratio.
 */
import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { pgSettingsFor } from "../src/auth/pg-settings";
import { citusMode, citusShardCount } from "../src/db/citus";
import { createThrowawayDatabase } from "../src/db/throwaway";
import { randomSecret } from "../src/db/secrets";
import { startApi, type RunningApi } from "../src/server";
import { ms, summarize } from "./stats";

const GYMS = Number(process.env.BENCH_GYMS ?? 4);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const PASSWORD = "bench-routing-password";
const BCRYPT_COST = 4;

const QUERIES: Record<string, string> = {
  "coach: week of classes": `query ($from: Datetime!, $to: Datetime!) {
    classSessions(filter: { startsAt: { greaterThanOrEqualTo: $from, lessThan: $to } }, orderBy: STARTS_AT_ASC) {
      nodes { title startsAt capacity bookedCount workout { title } }
    }
  }`,
  "member: own results": `{ workoutResults { totalCount aggregates { average { score } } nodes { score performedOn workout { title } } } }`,
};

async function gql(api: RunningApi, query: string, variables: object, token: string) {
  const res = await fetch(`${api.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data!;
}

async function main() {
  const citus = citusMode();
  const db = await createThrowawayDatabase({
    serverRootUrl: process.env.TEST_DATABASE_URL,
    prefix: "ironclad_bench_routing",
    citus,
    bcryptCost: BCRYPT_COST,
    log: (m) => console.log(`  • ${m}`),
  });
  const apis: RunningApi[] = [];
  // Closed in `finally` too, so a failed run still drops its database (and its roles).
  const clients: Client[] = [];
  const connect = async (url: string) => {
    const client = new Client({ connectionString: url });
    client.on("error", () => undefined);
    clients.push(client);
    await client.connect();
    return client;
  };
  try {
    // Gyms as the platform owner (SET LOCAL claims: what Citus propagates, and fine on one node).
    const auth = await connect(db.authUrl);
    const gyms: string[] = [];
    for (let i = 0; i < GYMS; i++) {
      const settings = pgSettingsFor(
        { role: "platform_owner", userId: null, tenantId: null, sessionId: null, membershipId: null },
        db.roles,
      );
      // As the API's preamble (src/db/pg-adaptor.ts): the role in one string, the claims in another.
      await auth.query(`begin; set local role "${settings.role}"; set local citus.propagate_set_commands = 'local'`);
      await auth.query("set local jwt.claims.role = 'platform_owner'");
      gyms.push(
        (
          await auth.query<{ id: string }>("select id from app_public.provision_gym($1, $2, 'pro')", [
            `Bench gym ${i}`,
            `bench-${i}-${randomUUID().slice(0, 8)}`,
          ])
        ).rows[0]!.id,
      );
      await auth.query("commit");
    }
    // People through the owner-only bootstrap; their rows as the superuser, triggers off (the
    // leaderboard-refresh triggers cannot enqueue from the shards yet: docs/CITUS.md).
    const owner = await connect(db.ownerUrl);
    await owner.query(`set ironclad.bcrypt_cost = '${BCRYPT_COST}'`);
    const hash = (await owner.query<{ h: string }>("select app_private.hash_password($1) as h", [PASSWORD])).rows[0]!.h;
    const root = await connect(db.rootUrl);
    const logins: Record<"coach" | "member", string> = { coach: "", member: "" };
    for (const [i, gym] of gyms.entries()) {
      const person = async (role: string, local: string) =>
        (
          await owner.query<{ id: string }>("select id from app_private.bootstrap_gym_user($1, $2, $3, $4, $5)", [
            gym,
            `${local}-${i}@bench.test`,
            local,
            role,
            hash,
          ])
        ).rows[0]!.id;
      const coach = await person("coach", "coach");
      const members = [await person("member", "member"), await person("member", "member2")];
      if (i === 0) Object.assign(logins, { coach: `coach-0@bench.test`, member: `member-0@bench.test` });
      await root.query("begin; set local citus.propagate_set_commands = 'local'; set local session_replication_role = replica");
      const workout = (
        await root.query<{ id: string }>(
          "insert into app_public.workouts (tenant_id, author_id, title, scoring_type, is_published) values ($1, $2, 'WOD', 'reps', true) returning id",
          [gym, coach],
        )
      ).rows[0]!.id;
      await root.query(
        `insert into app_public.class_sessions (tenant_id, title, starts_at, coach_id, workout_id, capacity)
         select $1, 'Class ' || d, date_trunc('week', now()) + make_interval(days => d, hours => 7), $2, $3, 12 from generate_series(0, 6) d`,
        [gym, coach, workout],
      );
      for (const m of members) {
        await root.query(
          `insert into app_public.workout_results (tenant_id, workout_id, member_id, score, performed_on)
           select $1, $2, $3, 10 + d, current_date - d from generate_series(0, 9) d`,
          [gym, workout, m],
        );
      }
      await root.query("commit");
    }

    const common = {
      authUrl: db.authUrl,
      roles: db.roles,
      jwtSecret: randomSecret(32),
      jwtAudience: "ironclad-bench",
      port: 0,
      graphiql: false,
      introspection: false,
      credentials: { bcryptCost: BCRYPT_COST },
      loginBudget: { attempts: 1_000_000, windowSeconds: 900 },
      ...(citus ? { transactions: { settingsStyle: "set_local" as const } } : {}),
    };
    const routed = await startApi({ ...common, tenantRouting: true });
    apis.push(routed);
    const plain = await startApi({ ...common, tenantRouting: false });
    apis.push(plain);
    const login = async (email: string) => {
      const data = await gql(
        routed,
        `mutation ($e: String!, $p: String!) { authenticate(input: { email: $e, password: $p }) { jwtToken } }`,
        { e: email, p: PASSWORD },
        "",
      );
      return (data.authenticate as { jwtToken: string }).jwtToken;
    };
    const tokens = { coach: await login(logins.coach), member: await login(logins.member) };
    const now = new Date();
    const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - ((now.getUTCDay() + 6) % 7)));
    const variables = { from: monday.toISOString(), to: new Date(monday.getTime() + 7 * 86_400_000).toISOString() };

    console.log(
      `\n${citus ? `Citus, ${citusShardCount()} shards per table` : "single node"}, ${GYMS} gyms, ${SAMPLES} requests per side, interleaved`,
    );
    for (const [name, query] of Object.entries(QUERIES)) {
      const token = name.startsWith("coach") ? tokens.coach : tokens.member;
      // Same answer from both (the plugin only repeats what RLS enforces), and warm plans.
      const [a, b] = [await gql(routed, query, variables, token), await gql(plain, query, variables, token)];
      if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${name}: answers differ with and without routing`);
      for (let i = 0; i < 20; i++) await Promise.all([gql(routed, query, variables, token), gql(plain, query, variables, token)]);
      const times: Record<"routed" | "plain", number[]> = { routed: [], plain: [] };
      for (let i = 0; i < SAMPLES; i++) {
        for (const [side, api] of (i % 2
          ? [
              ["routed", routed],
              ["plain", plain],
            ]
          : [
              ["plain", plain],
              ["routed", routed],
            ]) as ["routed" | "plain", RunningApi][]) {
          const t0 = performance.now();
          await gql(api, query, variables, token);
          times[side].push(performance.now() - t0);
        }
      }
      const r = summarize(times.routed);
      const p = summarize(times.plain);
      console.log(
        `${name.padEnd(26)} with routing p50 ${ms(r.p50)} ms p95 ${ms(r.p95)} ms | without p50 ${ms(p.p50)} ms p95 ${ms(p.p95)} ms | p50 ratio without/with ${(p.p50 / r.p50).toFixed(2)}`,
      );
    }
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    for (const api of apis) await api.close();
    await db.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
