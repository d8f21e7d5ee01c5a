import { getIntrospectionQuery } from "postgraphile/graphql";
import type { RunningApi } from "../src/server";
import { gql, login, startTestApi } from "./support/api";
import { GYM_A } from "./support/db";
import { rawPost } from "./support/guard";
import { HOSTILE_DOCUMENTS, aliasedIntrospection, doublingFragments } from "../src/fuzz/hostile-documents";

/**
 * Limits that hold against documents built to be cheap to send and expensive to serve
 * (issue 10 item 7). Outcomes only: bench/hostile-documents.ts measures the time.
 */
function codes(r: { errors?: { extensions?: { code?: string } }[] } | undefined): (string | undefined)[] {
  return (r?.errors ?? []).map((e) => e.extensions?.code);
}

describe("limits that hold", () => {
  let api: RunningApi;
  let admin: string;
  beforeAll(async () => {
    api = await startTestApi();
    admin = await login(api, `admin@${GYM_A}.test`);
  });
  afterAll(async () => {
    await api.close();
  });

  it("refuses every hostile document with its code, and /healthz answers while they are refused", async () => {
    let stop = false;
    const health: number[] = [];
    const pinger = (async () => {
      while (!stop) {
        const r = await fetch(`${api.url}/healthz`);
        health.push(r.status);
        await r.text();
      }
    })();
    const results = await Promise.all(
      HOSTILE_DOCUMENTS.map(async ({ name, query, refusedWith, costGrowsWithSchema }) => {
        // Anonymous, as an attacker would send them; one whose cost depends on the schema's
        // size against the gym admin's (large) schema.
        const headers = costGrowsWithSchema
          ? { "content-type": "application/json", authorization: `Bearer ${admin}` }
          : undefined;
        const r = await rawPost(api, JSON.stringify({ query }), headers);
        return { name, status: r.status, codes: codes(r.json) as string[], refusedWith };
      }),
    );
    stop = true;
    await pinger;
    for (const r of results) {
      expect({ name: r.name, status: r.status }).toEqual({ name: r.name, status: 400 });
      expect({ name: r.name, codes: r.codes }).toEqual({ name: r.name, codes: expect.arrayContaining(r.refusedWith) });
    }
    expect(health.length).toBeGreaterThan(0);
    expect(health.every((s) => s === 200)).toBe(true);
  }, 120_000);

  it("anonymous and logged-in alike; the same refusal over legacy application/json", async () => {
    const doc = doublingFragments(18);
    const anonymous = await rawPost(api, JSON.stringify({ query: doc }));
    const member = await rawPost(api, JSON.stringify({ query: doc }), {
      "content-type": "application/json",
      authorization: `Bearer ${admin}`,
    });
    const legacy = await rawPost(api, JSON.stringify({ query: doc }), {
      "content-type": "application/json",
      accept: "application/json",
    });
    for (const r of [anonymous, member, legacy]) expect(codes(r.json)).toContain("TOO_MANY_ROOT_FIELDS");
  });

  it("counts __typename: a few fragments doubling into many __typename is refused", async () => {
    // 2^6 = 64 root __typename selections through 7 fragments
    expect(codes(await gql(api, doublingFragments(7)))).toContain("TOO_MANY_ROOT_FIELDS");
    expect((await gql(api, doublingFragments(3))).data).toEqual({ __typename: "Query" });
  });

  it("the standard introspection query passes; introspection is under the same cost limit", async () => {
    // The gym admin's schema, the largest a gym role is served.
    const one = await gql(api, getIntrospectionQuery(), {}, admin);
    expect(one.errors).toBeUndefined();
    expect(one.data?.__schema.types.length).toBeGreaterThan(500);
    expect(codes(await gql(api, aliasedIntrospection(5), {}, admin))).toContain("QUERY_TOO_COMPLEX");
  });

  it("caps aliases, root fields, selection width and directives; limits are settings", async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(" ")} }`;
    expect((await gql(api, aliases(20))).errors).toBeUndefined();
    expect(codes(await gql(api, aliases(31)))).toContain("TOO_MANY_ALIASES");
    const tight = await startTestApi({ limits: { maxAliases: 2, maxRootFields: 3, maxSelectionWidth: 4, maxDirectives: 1 } });
    try {
      expect(codes(await gql(tight, aliases(3)))).toContain("TOO_MANY_ALIASES");
      expect(codes(await gql(tight, "{ __typename __typename __typename __typename }"))).toEqual(["TOO_MANY_ROOT_FIELDS"]);
      expect(codes(await gql(tight, "{ currentGym { name name name name name } }", {}, admin))).toEqual(["SELECTION_TOO_WIDE"]);
      expect(codes(await gql(tight, "{ __typename @include(if: true) @skip(if: false) }"))).toEqual(["TOO_MANY_DIRECTIVES"]);
      expect((await gql(tight, "{ currentGym { name name name name } }", {}, admin)).errors).toBeUndefined();
    } finally {
      await tight.close();
    }
  });

  it("document errors carry codes: GRAPHQL_VALIDATION_FAILED, GRAPHQL_PARSE_FAILED", async () => {
    expect(codes(await gql(api, "{ nope }"))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(codes(await gql(api, "{ gyms { nodes { nme } } }", {}, admin))).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    expect(codes(await gql(api, "{ __typename "))).toEqual(["GRAPHQL_PARSE_FAILED"]);
    const legacy = await rawPost(api, JSON.stringify({ query: "{ nope }" }), {
      "content-type": "application/json",
      accept: "application/json",
    });
    expect(codes(legacy.json)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    const legacyParse = await rawPost(api, JSON.stringify({ query: "{" }), {
      "content-type": "application/json",
      accept: "application/json",
    });
    expect(codes(legacyParse.json)).toEqual(["GRAPHQL_PARSE_FAILED"]);
  });

  it("field suggestions are given with introspection on (withheld with it off: hostile-input.test.ts)", async () => {
    expect((await gql(api, "{ plans { nodes { nme } } }")).errors?.[0]?.message).toMatch(/Did you mean/);
  });

  it("a subscription over HTTP POST is refused with a clear code, not a masked 500", async () => {
    const r = await rawPost(api, JSON.stringify({ query: "subscription { __typename }" }));
    expect(r.status).toBeLessThan(500);
    expect(codes(r.json)).not.toContain("INTERNAL_SERVER_ERROR");
    expect(codes(r.json).some((c) => c === "SUBSCRIPTION_NEEDS_WEBSOCKET" || c === "GRAPHQL_VALIDATION_FAILED")).toBe(true);
  });
});
