import { Writable } from "node:stream";
// parse-prometheus-text-format ships no types; it returns one object per metric family.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is CommonJS with no types and no ESM entry
const parsePrometheusTextFormat = require("parse-prometheus-text-format") as (text: string) => {
  name: string;
  type: string;
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string }[];
}[];
import { ConfigError, loadConfig } from "../src/config";
import { configureLogger } from "../src/observability/logger";
import type { RunningApi } from "../src/server";
import { lintDatabase } from "../src/lint";
import { assertCommittable } from "../src/lint/commit-gate";
import { gql, login, startTestApi } from "./support/api";
import { testDb, withRootDb } from "./support/db";

/** Settings, the request log, /metrics, /healthz and /readyz (issue 11, items 3 and 5). */

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("settings", () => {
  it("accepts the defaults", () => {
    const config = loadConfig({});
    expect(config.defaultPageSize).toBeLessThanOrEqual(config.maxPageSize);
    expect(config.graphiql).toBe(true);
  });

  it("refuses every bad setting at once, in one error", () => {
    const problems = problemsOf({
      JWT_SECRET: "short",
      DEFAULT_PAGE_SIZE: "500",
      MAX_PAGE_SIZE: "100",
      PORT: "http",
      WORKER: "maybe",
      LOG_LEVEL: "loud",
    });
    const names = problems.map((p) => p.split(" ")[0]).sort();
    expect(names).toEqual(["DEFAULT_PAGE_SIZE", "JWT_SECRET", "LOG_LEVEL", "PORT", "WORKER"]);
    // The secret itself is never echoed back.
    expect(problems.join("\n")).not.toContain('"short"');
  });

  it("production implies production GraphQL settings", () => {
    const prod = loadConfig({ NODE_ENV: "production" });
    expect(prod.graphiql).toBe(false);
    expect(prod.introspection).toBe(false);
    const names = problemsOf({ NODE_ENV: "production", GRAPHIQL: "1", INTROSPECTION: "on", GRAPHILE_ENV: "development" })
      .map((p) => p.split(" ")[0])
      .sort();
    expect(names).toEqual(["GRAPHILE_ENV", "GRAPHIQL", "INTROSPECTION"]);
  });

  it("DATABASE_URL needs AUTH_DATABASE_URL and a JWT_SECRET", () => {
    const names = problemsOf({ DATABASE_URL: "postgres://o@h/db" })
      .map((p) => p.split(" ")[0])
      .sort();
    expect(names).toEqual(["AUTH_DATABASE_URL", "JWT_SECRET"]);
  });
});

describe("observability", () => {
  let api: RunningApi;
  const lines: Record<string, unknown>[] = [];
  beforeAll(async () => {
    configureLogger({
      level: "info",
      destination: new Writable({
        write(chunk, _enc, done) {
          for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
          done();
        },
      }),
    });
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    configureLogger({ level: "silent" });
  });

  const requestLines = (id: string) => lines.filter((l) => l.msg === "request" && l.reqId === id);

  it("writes one JSON line per request, with the request id echoed, role, tenant, operation and status", async () => {
    const token = await login(api, "coach@iron-temple.test");
    const res = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "x-request-id": "ops-test-1" },
      body: JSON.stringify({ query: "query WhoAmI { currentGym { name } }" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("ops-test-1");
    await new Promise((r) => setTimeout(r, 50));
    const mine = requestLines("ops-test-1");
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      method: "POST",
      path: "/graphql",
      status: 200,
      role: "coach",
      operation: "WhoAmI",
      outcome: "ok",
      errorCodes: [],
    });
    expect(typeof mine[0]!.tenant).toBe("string");
    expect(typeof mine[0]!.durationMs).toBe("number");
  });

  it("generates a request id when none (or a hostile one) is sent, and logs error codes", async () => {
    const res = await fetch(`${api.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "bad id\twith spaces" },
      body: JSON.stringify({ query: "query Nope { noSuchField }" }),
    });
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 50));
    const [line] = requestLines(id);
    expect(line).toMatchObject({
      role: "anonymous",
      tenant: null,
      operation: "Nope",
      status: 400,
      errorCodes: ["GRAPHQL_VALIDATION_FAILED"],
      outcome: "client_error",
    });
  });

  it("serves Prometheus metrics a Prometheus text parser reads", async () => {
    await gql(api, "query Directory { __typename }");
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await res.text();
    const families = new Map(parsePrometheusTextFormat(text).map((f) => [f.name, f]));
    const duration = families.get("ironclad_http_request_duration_seconds");
    expect(duration?.type).toBe("HISTOGRAM");
    expect(duration!.metrics.length).toBeGreaterThan(0);
    // (the parser keeps a histogram's buckets but not its labels; the series is checked as text)
    expect(text).toMatch(/^ironclad_http_request_duration_seconds_count\{operation="Directory",outcome="ok"\} [1-9]/m);
    const pool = families.get("ironclad_db_pool_connections");
    expect(pool?.metrics.map((m) => m.labels?.state).sort()).toEqual(["idle", "total", "waiting"]);
    expect(families.get("ironclad_leaderboard_staleness_seconds")?.type).toBe("GAUGE");
    expect(families.has("ironclad_worker_jobs_total")).toBe(true);
  });

  it("bounds the operation label: names a client invents beyond the cap count as 'other'", async () => {
    await gql(api, "query Weird$Name { __typename }").catch(() => undefined);
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).not.toContain("Weird$Name");
  });

  it("/healthz is liveness, /readyz checks the database and migrations; neither leaks error text", async () => {
    expect(await (await fetch(`${api.url}/healthz`)).json()).toEqual({ status: "ok" });
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "ok", migrations: "ok" } });

    // A login the database refuses (a role that does not exist: refused under password and
    // trust authentication alike): building the schema needs the database, so such a server does
    // not start at all; the not-ready answer is exercised through a cut connection in
    // resilience.test.ts.
    const broken = await startTestApi({
      authUrl: process.env.IRONCLAD_TEST_AUTH_URL!.replace(/\/\/[^:@/]+(:[^@/]*)?@/, "//no_such_role_ironclad:x@"),
    }).catch(() => undefined);
    expect(broken).toBeUndefined();
    await broken?.close();
  });
});

describe("the DBA loop", () => {
  it("a reasoned @lint-ignore next to the object suppresses that rule only; a bare one does not", async () => {
    await withRootDb(async (db) => {
      await db.query(`set local role "${testDb().roles.owner}"`);
      await db.query(
        "create table app_public.zz_scratch (id uuid primary key, tenant_id uuid not null references app_public.gyms (id))",
      );
      await db.query("create index on app_public.zz_scratch (tenant_id)");
      const rulesFor = async () =>
        (await lintDatabase(db, { roles: testDb().roles }))
          .filter((f) => f.object.startsWith("app_public.zz_scratch"))
          .map((f) => f.rule);
      expect(await rulesFor()).toContain("rls-enabled-forced");
      await db.query("comment on table app_public.zz_scratch is '@lint-ignore rls-enabled-forced'");
      expect(await rulesFor()).toContain("rls-enabled-forced");
      await db.query(
        "comment on table app_public.zz_scratch is '@lint-ignore rls-enabled-forced: scratch table, dropped before release'",
      );
      const after = await rulesFor();
      expect(after).not.toContain("rls-enabled-forced");
      expect(after.length).toBeGreaterThan(0); // the other rules still fire
    });
  });

  it("db:commit refuses a table that breaks the rules; the override lets it through and logs it", async () => {
    await withRootDb(async (db) => {
      await db.query(`set local role "${testDb().roles.owner}"`);
      const quiet = { error: () => undefined, warn: () => undefined };
      // The real schema is committable.
      await expect(assertCommittable(db, testDb().roles, { override: false, log: quiet })).resolves.toBeUndefined();
      // A scratch tenant table without RLS (the 9-error table) is not.
      await db.query(
        "create table app_public.zz_unsafe (id uuid primary key, tenant_id uuid not null references app_public.gyms (id), secret text)",
      );
      await db.query("grant select on app_public.zz_unsafe to " + JSON.stringify(testDb().roles.visitor.member));
      await expect(assertCommittable(db, testDb().roles, { override: false, log: quiet })).rejects.toThrow(
        /not committed.*--allow-lint-errors/,
      );
      const warnings: string[] = [];
      await assertCommittable(db, testDb().roles, {
        override: true,
        log: { error: () => undefined, warn: (line: string) => warnings.push(line) },
      });
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0]!)).toMatchObject({ msg: "db:commit: lint errors overridden", flag: "--allow-lint-errors" });
      expect(warnings[0]).toContain("app_public.zz_unsafe");
    });
  });
});
