/**
 * How long the API takes to refuse (or answer) hostile documents, and whether /healthz keeps
 * answering meanwhile. Starts its own throwaway database (TEST_DATABASE_URL or embedded) and
 * API with the default limits, sends each document a few times, prints ms per document (medians
 * of ROUNDS, default 3): validation alone in this process, and the HTTP round trip to the API.
 *
 *   npx tsx bench/hostile-documents.ts            # or TEST_DATABASE_URL=postgres://… npx tsx …
 */
import globalSetup from "../test/support/global-setup";
import globalTeardown from "../test/support/global-teardown";
import { HOSTILE_DOCUMENTS } from "../src/fuzz/hostile-documents";
import { Pool } from "pg";
import { makeSchema } from "postgraphile";
import { parse, specifiedRules, validate } from "postgraphile/graphql";
import { makePreset, sharedInstanceParts } from "../src/graphql/preset";
import { DEFAULT_LIMITS } from "../src/config";
import { makeLimitsRule } from "../src/graphql/plugins/limits";
import { makeErrorCodeRule } from "../src/graphql/validation-errors";
import { testDb } from "../test/support/db";
import { spawnTestApi } from "../test/support/api";

/**
 * Validation alone (parse + our limit rules + graphql-js's rules, as grafserv runs them), in
 * this process against the real schema: the part of a refusal the limits are responsible for.
 */
function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function validationTimes(rounds: number): Promise<Map<string, { parse: number; validate: number }>> {
  const { authUrl, roles, jwtSecret } = testDb();
  const authPool = new Pool({ connectionString: authUrl, max: 2 });
  const times = new Map<string, { parse: number; validate: number }>();
  try {
    // The documents are sent without a token: the anonymous role's schema is the one they hit.
    const options = { authPool, roles, jwtSecret, jwtAudience: "bench", graphiql: false, introspection: true };
    const shared = sharedInstanceParts(options);
    const { schema } = await makeSchema(makePreset(options, { role: "anonymous", ...shared }));
    shared.pgSubscriber.release();
    const rules = [
      makeLimitsRule({ ...DEFAULT_LIMITS, introspection: true }),
      makeErrorCodeRule({ suggestions: true }),
      ...specifiedRules,
    ];
    for (const { name, query } of HOSTILE_DOCUMENTS) {
      const parsing: number[] = [];
      const validating: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const started = performance.now();
        const document = parse(query);
        const parsed = performance.now();
        try {
          validate(schema, document, rules);
        } catch {
          // LimitExceeded: refused
        }
        parsing.push(parsed - started);
        validating.push(performance.now() - parsed);
      }
      times.set(name, { parse: median(parsing), validate: median(validating) });
    }
  } finally {
    await authPool.end();
  }
  return times;
}

async function main() {
  await globalSetup();
  const rounds = Number(process.env.ROUNDS ?? 3);
  let validation: Map<string, { parse: number; validate: number }>;
  try {
    validation = await validationTimes(rounds);
  } catch (error) {
    await globalTeardown();
    throw error;
  }
  // The API runs in its own process, so a document that blocks its event loop cannot block
  // the clock measuring it.
  let api: Awaited<ReturnType<typeof spawnTestApi>>;
  try {
    api = await spawnTestApi(300_000);
  } catch (error) {
    await globalTeardown();
    throw error;
  }
  const skip = process.env.SKIP ? new RegExp(process.env.SKIP) : null;
  const timeoutMs = Number(process.env.TIMEOUT_MS ?? 30_000);
  console.log(
    `| document | bytes | status | code | response bytes | parse ms | validation ms | HTTP round trip ms | /healthz ms while it ran |`,
  );
  console.log("|---|---|---|---|---|---|---|---|---|");
  try {
    for (const { name, query } of HOSTILE_DOCUMENTS) {
      if (skip?.test(name)) {
        console.log(`| ${name} | ${Buffer.byteLength(query)} | skipped | | | | | | |`);
        continue;
      }
      const times: number[] = [];
      let health = 0;
      let status = 0;
      let code = "";
      let size = 0;
      for (let i = 0; i < rounds; i++) {
        // A different document text each round (a trailing comment) so no cache answers it.
        const body = JSON.stringify({ query: `${query}\n# ${i}` });
        const started = performance.now();
        const request = fetch(`${api.url}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const healthStarted = performance.now();
        const healthz = fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) }).then(async (r) => {
          await r.text();
          return performance.now() - healthStarted;
        });
        let res: Response;
        let text: string;
        try {
          res = await request;
          text = await res.text();
        } catch {
          console.log(
            `| ${name} | ${Buffer.byteLength(query)} | no answer in ${timeoutMs} ms | | | ${validation.get(name)?.parse.toFixed(1)} | ${validation.get(name)?.validate.toFixed(1)} | > ${timeoutMs} | ${(await healthz).toFixed(1)} |`,
          );
          break;
        }
        times.push(performance.now() - started);
        health = Math.max(health, await healthz);
        status = res.status;
        size = text.length;
        try {
          code = (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code ?? "—";
        } catch {
          code = "(not JSON)";
        }
      }
      if (times.length < rounds) continue;
      console.log(
        `| ${name} | ${Buffer.byteLength(query)} | ${status} | ${code} | ${size} | ${validation.get(name)!.parse.toFixed(1)} | ${validation.get(name)!.validate.toFixed(1)} | ${median(times).toFixed(1)} | ${health.toFixed(1)} |`,
      );
    }
  } finally {
    await api.close();
    await globalTeardown();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
