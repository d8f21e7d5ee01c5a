import { startTestApi } from "./support/api";
import { demoIdentities, WHO_AM_I, type Identity } from "./support/hammer";
import { rootQuery, testDb } from "./support/db";
import { startTcpProxy } from "./support/tcp-proxy";

/**
 * The API survives the database going away: a killed backend gives the requests in flight a
 * clean, coded error (never a stack trace, never another caller's data) and the pool recovers
 * without a restart; /readyz reports an outage (503) and the recovery (200).
 */
const STACK = /\n\s+at .+:\d+:\d+/;

async function ask(url: string, who: Identity) {
  const res = await fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${who.token}` },
    body: JSON.stringify({ query: WHO_AM_I }),
  });
  return { status: res.status, text: await res.text() };
}

describe("resilience", () => {
  it("pg_terminate_backend on the API's connections mid-traffic: clean errors, then recovery without restart", async () => {
    const appName = `ironclad-resilience-${process.pid}`;
    const url = new URL(testDb().authUrl);
    url.searchParams.set("application_name", appName);
    const api = await startTestApi({ authUrl: url.toString(), poolSize: 6 });
    try {
      const identities = await demoIdentities(api);
      const answers: { status: number; text: string; who: Identity }[] = [];
      let stop = false;
      const clients = Array.from({ length: 12 }, async (_, i) => {
        const who = identities[i % identities.length]!;
        while (!stop) answers.push({ ...(await ask(api.url, who)), who });
      });
      let killed = 0;
      for (let round = 0; round < 5; round++) {
        await new Promise((r) => setTimeout(r, 150));
        const rows = await rootQuery<{ ok: boolean }>(
          "select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()",
          [appName],
        );
        killed += rows.filter((r) => r.ok).length;
      }
      await new Promise((r) => setTimeout(r, 200));
      stop = true;
      await Promise.all(clients);
      expect(killed).toBeGreaterThan(0);

      let failed = 0;
      for (const a of answers) {
        expect(a.text).not.toMatch(STACK);
        const body = JSON.parse(a.text);
        if (a.status === 200 && !body.errors) {
          expect(body.data.me.rowId).toBe(a.who.userId);
          expect(body.data.currentGym?.rowId ?? null).toBe(a.who.tenantId);
          continue;
        }
        failed++;
        expect(a.status).toBeLessThan(600);
        for (const e of body.errors) expect(typeof e.extensions?.code).toBe("string");
      }
      console.log(`resilience: killed ${killed} backends during ${answers.length} requests; ${failed} got a clean error`);

      // Recovered: every identity gets its own answer again, same API process.
      for (const who of identities) {
        const a = await ask(api.url, who);
        expect(a.status).toBe(200);
        const body = JSON.parse(a.text);
        expect(body.errors).toBeUndefined();
        expect(body.data.me.rowId).toBe(who.userId);
      }
      expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    } finally {
      await api.close();
    }
  }, 60_000);

  it("/readyz reports an outage (503) and the recovery (200); GraphQL answers a coded error meanwhile", async () => {
    const proxy = await startTcpProxy(testDb().authUrl);
    const api = await startTestApi({ authUrl: proxy.url, poolSize: 4 });
    try {
      expect((await fetch(`${api.url}/readyz`)).status).toBe(200);
      const [who] = await demoIdentities(api);

      await proxy.cut();
      const health = await fetch(`${api.url}/readyz`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: "unavailable" });
      const during = await ask(api.url, who!);
      expect(during.text).not.toMatch(STACK);
      expect(during.status).toBeGreaterThanOrEqual(200);
      const body = JSON.parse(during.text);
      expect(body.errors.length).toBeGreaterThan(0);
      for (const e of body.errors) expect(typeof e.extensions?.code).toBe("string");
      await expect(
        anonymousStillRefusedCleanly(
          await fetch(`${api.url}/graphql`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ query: "{ myRole }" }),
          }),
        ),
      ).resolves.toBe(true);

      await proxy.restore();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        status = (await fetch(`${api.url}/readyz`)).status;
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
      const after = await ask(api.url, who!);
      expect(after.status).toBe(200);
      expect(JSON.parse(after.text).data.me.rowId).toBe(who!.userId);
    } finally {
      await api.close();
      await proxy.close();
    }
  }, 60_000);
});

async function anonymousStillRefusedCleanly(res: Response): Promise<boolean> {
  const text = await res.text();
  if (STACK.test(text)) return false;
  const body = JSON.parse(text);
  return (
    body.data?.myRole === "anonymous" ||
    body.errors.every((e: { extensions?: { code?: string } }) => typeof e.extensions?.code === "string")
  );
}
