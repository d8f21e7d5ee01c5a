import type { RunningApi } from "../src/server";
import { startTestApi } from "./support/api";
import { demoIdentities, hammer } from "./support/hammer";

/**
 * Connection pooling and the request context: many concurrent clients of both gyms, every
 * role, the platform owner and the user who belongs to both gyms (one token per gym) share
 * the API's pool. Every answer must name the caller's own user, gym and role, and list only
 * its own gym's memberships: settings set for one request never leak into another's.
 * HAMMER_REQUESTS / HAMMER_CLIENTS / HAMMER_SECONDS change the load (default 20 000 requests
 * from 50 clients, stopping early after 75 s; alone on this 2-core machine it takes ~50 s).
 */
const total = Number(process.env.HAMMER_REQUESTS ?? 20_000);
const clients = Number(process.env.HAMMER_CLIENTS ?? 50);
// Bounded in time too, for a loaded CI machine: whichever comes first (at least 1 000 requests).
const maxMillis = Number(process.env.HAMMER_SECONDS ?? 75) * 1000;

describe("concurrency: pooled connections never mix up request contexts", () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi({ poolSize: 20 });
  });
  afterAll(async () => {
    await api.close();
  });

  it(`${clients} concurrent clients, ${total} requests: every answer is the caller's own`, async () => {
    const identities = await demoIdentities(api);
    expect(new Set(identities.map((i) => i.tenantId)).size).toBeGreaterThanOrEqual(3); // 2 gyms + platform
    const result = await hammer(api.url, identities, { clients, total, maxMillis });
    console.log(
      `concurrency: ${result.requests} requests from ${clients} clients (${identities.length} identities) in ${(result.millis / 1000).toFixed(1)} s, ${result.perSecond}/s, ${result.failures.length} wrong answers`,
    );
    expect(result.failures.slice(0, 10)).toEqual([]);
    expect(result.requests).toBeGreaterThanOrEqual(Math.min(total, 1_000));
  }, 180_000);
});
