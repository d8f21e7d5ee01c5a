/**
 * How long the API takes to refuse (or answer) hostile documents, and whether /healthz keeps
 * answering meanwhile. Starts its own throwaway database (TEST_DATABASE_URL or embedded) and
 * API with the default limits, sends each document a few times, prints ms per document.
 *
 *   npx tsx bench/hostile-documents.ts            # or TEST_DATABASE_URL=postgres://… npx tsx …
 */
import globalSetup from "../test/support/global-setup";
import globalTeardown from "../test/support/global-teardown";
import { HOSTILE_DOCUMENTS } from "../test/support/hostile-documents";

async function main() {
  await globalSetup();
  // The API runs in its own process, so a document that blocks its event loop cannot block
  // the clock measuring it.
  const { spawnTestApi } = await import("../test/support/api");
  let api: Awaited<ReturnType<typeof spawnTestApi>>;
  try {
    api = await spawnTestApi(300_000);
  } catch (error) {
    await globalTeardown();
    throw error;
  }
  const skip = process.env.SKIP ? new RegExp(process.env.SKIP) : null;
  const timeoutMs = Number(process.env.TIMEOUT_MS ?? 30_000);
  const rounds = Number(process.env.ROUNDS ?? 3);
  console.log(`| document | bytes | status | code | response bytes | ms (median of ${rounds}) | /healthz ms while it ran |`);
  console.log("|---|---|---|---|---|---|---|");
  try {
    for (const { name, query } of HOSTILE_DOCUMENTS) {
      if (skip?.test(name)) {
        console.log(`| ${name} | ${Buffer.byteLength(query)} | skipped | | | | |`);
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
        const request = fetch(`${api.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(timeoutMs) });
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
          console.log(`| ${name} | ${Buffer.byteLength(query)} | no answer in ${timeoutMs} ms | | | > ${timeoutMs} | ${(await healthz).toFixed(1)} |`);
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
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(`| ${name} | ${Buffer.byteLength(query)} | ${status} | ${code} | ${size} | ${median.toFixed(1)} | ${health.toFixed(1)} |`);
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
