import type { RunningApi } from "../src/server";
import { parseCorsOrigins } from "../src/http/cors";
import { login, startTestApi } from "./support/api";
import { GYM_A } from "./support/db";

/** CORS_ORIGINS (issue 10 item 6): off by default; listed origins get a preflight and headers. */
const APP = "https://app.ironclad.test";

function preflight(api: RunningApi, origin: string) {
  return fetch(`${api.url}/graphql`, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
  });
}

describe("CORS", () => {
  it("is off by default: no CORS headers, the preflight is not answered", async () => {
    const api = await startTestApi();
    try {
      const pre = await preflight(api, APP);
      expect(pre.status).not.toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const res = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { origin: APP, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    } finally {
      await api.close();
    }
  });

  describe("with CORS_ORIGINS", () => {
    let api: RunningApi;
    beforeAll(async () => {
      api = await startTestApi({ corsOrigins: parseCorsOrigins(`${APP}, http://localhost:3000`) });
    });
    afterAll(async () => {
      await api.close();
    });

    it("answers a listed origin's preflight: 204, its methods and the Authorization and Content-Type headers", async () => {
      const pre = await preflight(api, APP);
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe(APP);
      expect(pre.headers.get("access-control-allow-methods")).toBe("GET,POST,OPTIONS");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase().split(",")).toEqual(
        expect.arrayContaining(["authorization", "content-type"]),
      );
      expect(pre.headers.get("access-control-allow-credentials")).toBeNull();
      expect(pre.headers.get("vary")).toMatch(/Origin/);
    });

    it("lets a listed origin read answers, including refusals at the door", async () => {
      const token = await login(api, `member@${GYM_A}.test`);
      const ok = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { origin: "http://localhost:3000", "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: "{ myRole }" }),
      });
      expect(ok.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      expect(((await ok.json()) as { data: { myRole: string } }).data.myRole).toBe("member");
      const refused = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { origin: APP, "content-type": "application/json", authorization: "Bearer x.y.z" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("access-control-allow-origin")).toBe(APP);
    });

    it("gives an unlisted origin no CORS headers", async () => {
      const pre = await preflight(api, "https://evil.test");
      expect(pre.headers.get("access-control-allow-origin")).toBeNull();
      const res = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { origin: "https://evil.test", "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
      expect(res.headers.get("access-control-allow-origin")).toBeNull();
    });
  });

  it("CORS_ORIGINS must list bare origins", () => {
    expect(parseCorsOrigins(undefined)).toEqual([]);
    expect(parseCorsOrigins(" https://a.test ,http://b.test:8080/")).toEqual(["https://a.test", "http://b.test:8080"]);
    expect(() => parseCorsOrigins("*")).toThrow(/CORS_ORIGINS/);
    expect(() => parseCorsOrigins("https://a.test/app")).toThrow(/CORS_ORIGINS/);
    expect(() => parseCorsOrigins("a.test")).toThrow(/CORS_ORIGINS/);
  });
});
