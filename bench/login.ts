/**
 * Login latency and throughput at the configured bcrypt cost (BCRYPT_COST, default 10).
 * Not part of jest: `npx tsx bench/login.ts` (DATA_DIR defaults to a fresh temp directory, so
 * an embedded server is created, migrated and seeded for the run; DATABASE_URL works too).
 *
 * Prints, over HTTP against the real API: the median latency of a failed login for an unknown
 * email, a known email with a wrong password, a disabled account and an account without a
 * password (plus a successful login for reference), the known/unknown ratio, and authenticate
 * throughput and p99 under concurrency (autocannon). The login throttle is cleared between
 * timed attempts so every attempt does the full bcrypt check.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { Client } from "pg";
import { loadConfig } from "../src/config";
import { actAs } from "../src/db/act-as";
import { prepareDatabase, seedIfEmpty } from "../src/db/prepare";
import { DEMO_PASSWORD } from "../src/db/seed";
import { startApi } from "../src/server";

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 25);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function main() {
  process.env.DATA_DIR ??= mkdtempSync(path.join(tmpdir(), "ironclad-bench-"));
  const config = loadConfig();
  const db = await prepareDatabase(config, (m) => console.log(`  • ${m}`));
  const owner = new Client({ connectionString: db.ownerUrl });
  let api: Awaited<ReturnType<typeof startApi>> | undefined;
  try {
    await seedIfEmpty(db);
    await owner.connect();
    const known = "member@iron-temple.test";
    const disabled = "member2@iron-temple.test";
    const passwordless = "member3@iron-temple.test";
    // Hashes at the configured cost (the seed may have used another), one disabled account,
    // one without a password.
    await owner.query("begin");
    await actAs(owner, db.roles, "platform_owner", null, null);
    await owner.query("update app_public.users set is_disabled = (email = $1) where email in ($1, $2)", [disabled, known]);
    await owner.query("reset role");
    await owner.query(`set local role ${JSON.stringify(db.roles.system)}`);
    await owner.query("select set_config('ironclad.bcrypt_cost', $1, true)", [String(config.bcryptCost)]);
    await owner.query(
      `update app_private.user_secrets s set password_hash = case when u.email = $3 then '!' else app_private.hash_password($4) end
       from app_public.users u where u.id = s.user_id and u.email in ($1, $2, $3)`,
      [known, disabled, passwordless, DEMO_PASSWORD],
    );
    await owner.query("commit");
    const clearThrottle = async () => {
      await owner.query("begin");
      await owner.query(`set local role ${JSON.stringify(db.roles.system)}`);
      await owner.query("delete from app_private.login_throttle");
      await owner.query("commit");
    };

    api = await startApi({
      authUrl: db.authUrl,
      roles: db.roles,
      jwtSecret: db.jwtSecret,
      jwtAudience: config.jwtAudience,
      port: 0,
      graphiql: false,
      introspection: false,
      credentials: { bcryptCost: config.bcryptCost },
      loginBudget: { attempts: 1_000_000_000, windowSeconds: 60 },
    });
    const query = `mutation ($email: String!, $password: String!) {
      authenticate(input: { email: $email, password: $password }) { jwtToken refreshToken } }`;
    const attempt = async (email: string, password: string) => {
      const started = performance.now();
      const res = await fetch(`${api!.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables: { email, password } }),
      });
      const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
      return { ms: performance.now() - started, code: body.errors?.[0]?.extensions?.code ?? "ok" };
    };

    const cases: [string, string, string][] = [
      ["unknown email", "nobody@example.test", "whatever-password"],
      ["known email, wrong password", known, "not-the-password"],
      ["disabled account", disabled, DEMO_PASSWORD],
      ["account without a password", passwordless, DEMO_PASSWORD],
      ["known email, right password", known, DEMO_PASSWORD],
    ];
    for (const [, email, password] of cases) await attempt(email, password); // warm up
    if ((await attempt(known, DEMO_PASSWORD)).code !== "ok") throw new Error(`${known} cannot log in: the bench setup is wrong`);
    const medians = new Map<string, number>();
    console.log(`\nbcrypt cost ${config.bcryptCost}, ${SAMPLES} sequential logins per case (interleaved):`);
    const samples = new Map<string, { ms: number[]; codes: Set<string> }>(
      cases.map(([label]) => [label, { ms: [], codes: new Set() }]),
    );
    for (let i = 0; i < SAMPLES; i++) {
      for (const [label, email, password] of cases) {
        await clearThrottle();
        const r = await attempt(email, password);
        samples.get(label)!.ms.push(r.ms);
        samples.get(label)!.codes.add(r.code);
      }
    }
    for (const [label, { ms, codes }] of samples) {
      medians.set(label, median(ms));
      console.log(`  ${label.padEnd(30)} median ${median(ms).toFixed(1).padStart(7)} ms   answers: ${[...codes].join(", ")}`);
    }
    const ratio = medians.get("known email, wrong password")! / medians.get("unknown email")!;
    console.log(`  known/unknown median ratio: ${ratio.toFixed(2)}`);

    await clearThrottle();
    const result = await autocannon({
      url: `${api.url}/graphql`,
      method: "POST",
      connections: CONNECTIONS,
      duration: DURATION,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query, variables: { email: known, password: DEMO_PASSWORD } }),
    });
    console.log(
      `\nauthenticate throughput (${CONNECTIONS} connections, ${DURATION} s, right password): ` +
        `${result.requests.average.toFixed(1)} logins/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
        `${result.non2xx} non-2xx, ${result.errors} errors`,
    );
  } finally {
    await api?.close();
    await owner.end().catch(() => undefined);
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
