import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isInputObjectType,
  isNonNullType,
  isScalarType,
  type GraphQLArgument,
  type GraphQLInputType,
  type IntrospectionQuery,
} from "postgraphile/graphql";
import type { RunningApi } from "../src/server";
import { sha256 } from "../src/graphql/plugins/trusted-documents";
import { gql, login, startTestApi } from "./support/api";
import { GYM_A, GYM_B, asPersona, persona, rootQuery } from "./support/db";
import { discoverTables, gymTruth } from "../src/fuzz/ground-truth";
import { rawPost, type RawResponse } from "./support/guard";
import { WHO_AM_I } from "./support/hammer";

/**
 * Hostile input: limits (depth, cost, page size, body size, statement timeout), trusted
 * documents, the introspection switch, and a fuzz of the HTTP layer. Every refusal is a clear
 * 4xx or GraphQL error with a code; never a 500 with a stack trace; never a partial write.
 */
const STACK = /\n\s+at .+:\d+:\d+|\bat .+\.(js|ts):\d+/;

function expectClean(r: RawResponse, label = "") {
  expect({ label, status: r.status < 500 ? "ok" : r.status }).toEqual({ label, status: "ok" });
  expect(r.text).not.toMatch(STACK);
  expect(r.json).toBeDefined();
  if (r.json.errors) {
    for (const e of r.json.errors) {
      expect({ label, code: typeof e.extensions?.code }).toEqual({ label, code: "string" });
      expect({ label, code: e.extensions.code }).not.toEqual({ label, code: "INTERNAL_SERVER_ERROR" });
    }
  }
}

function codes(r: { errors?: { extensions?: { code?: string } }[] } | undefined): (string | undefined)[] {
  return (r?.errors ?? []).map((e) => e.extensions?.code);
}

describe("hostile input", () => {
  let api: RunningApi;
  let admin: string;
  beforeAll(async () => {
    api = await startTestApi({ limits: { defaultPageSize: 2 } });
    admin = await login(api, `admin@${GYM_A}.test`);
  });
  afterAll(async () => {
    await api.close();
  });

  describe("query limits", () => {
    it("refuses a query nested too deeply: QUERY_TOO_DEEP", async () => {
      let q = "name";
      for (let i = 0; i < 7; i++) q = `members(first: 1) { nodes { gym { ${q} } } }`;
      const res = await gql(api, `{ currentGym { ${q} } }`, {}, admin);
      expect(res.status).toBe(400);
      expect(codes(res)).toContain("QUERY_TOO_DEEP");
    });

    it("refuses a query too expensive (aliases × page sizes): QUERY_TOO_COMPLEX", async () => {
      const aliases = Array.from({ length: 1000 }, (_, i) => `a${i}: memberships(first: 100) { nodes { rowId role } }`).join(" ");
      const res = await gql(api, `{ ${aliases} }`, {}, admin);
      expect(codes(res)).toContain("QUERY_TOO_COMPLEX");
      const nested = await gql(
        api,
        "{ gyms(first: 100) { nodes { members(first: 100) { nodes { gym { members(first: 100) { nodes { rowId role userId createdAt } } } } } } } }",
        {},
        admin,
      );
      expect(codes(nested)).toContain("QUERY_TOO_COMPLEX");
    });

    it("caps first/last at 100, literal or variable: PAGE_SIZE_EXCEEDED", async () => {
      expect(codes(await gql(api, "{ memberships(first: 101) { nodes { rowId } } }", {}, admin))).toEqual(["PAGE_SIZE_EXCEEDED"]);
      expect(codes(await gql(api, "{ memberships(last: 5000) { nodes { rowId } } }", {}, admin))).toEqual(["PAGE_SIZE_EXCEEDED"]);
      expect(codes(await gql(api, "{ memberships(first: -1) { nodes { rowId } } }", {}, admin))).toEqual(["PAGE_SIZE_EXCEEDED"]);
      const q = "query ($n: Int) { memberships(first: $n) { nodes { rowId } } }";
      expect(codes(await gql(api, q, { n: 1_000_000 }, admin))).toEqual(["PAGE_SIZE_EXCEEDED"]);
      expect(codes(await gql(api, "query ($n: Int = 500) { memberships(first: $n) { nodes { rowId } } }", {}, admin))).toEqual([
        "PAGE_SIZE_EXCEEDED",
      ]);
      const ok = await gql(api, q, { n: 100 }, admin);
      expect(ok.errors).toBeUndefined();
    });

    it("applies the default page size when first/last are absent (this server: 2)", async () => {
      const res = await gql(api, "{ memberships { totalCount nodes { rowId } } }", {}, admin);
      expect(res.data?.memberships.totalCount).toBeGreaterThan(2);
      expect(res.data?.memberships.nodes).toHaveLength(2);
      const last = await gql(api, "{ memberships(last: 3) { nodes { rowId } } }", {}, admin);
      expect(last.data?.memberships.nodes).toHaveLength(3);
    });
  });

  describe("request body size", () => {
    it("refuses a body over the limit with 413 PAYLOAD_TOO_LARGE (declared length)", async () => {
      const r = await rawPost(api, JSON.stringify({ query: "{ __typename }", variables: { x: "a".repeat(200_000) } }));
      expect(r.status).toBe(413);
      expect(r.json.errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    });

    it("refuses a chunked body over the limit with 413 PAYLOAD_TOO_LARGE", async () => {
      const chunk = new TextEncoder().encode(`{"query":"{ __typename }","variables":{"x":"${"b".repeat(150_000)}"}}`);
      const body = new ReadableStream({
        start(controller) {
          for (let i = 0; i < chunk.length; i += 16_384) controller.enqueue(chunk.slice(i, i + 16_384));
          controller.close();
        },
      });
      const res = await fetch(`${api.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
        duplex: "half",
      } as RequestInit);
      expect(res.status).toBe(413);
      expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
        "PAYLOAD_TOO_LARGE",
      );
    });
  });

  describe("statement timeout", () => {
    it("is set per role, transaction-locally", async () => {
      const show = (who: Awaited<ReturnType<typeof persona>>) =>
        asPersona(who, async (db) => (await db.query("select current_setting('statement_timeout') as t")).rows[0].t);
      expect(await show(await persona("member", GYM_A))).toBe("15s");
      expect(await show(await persona("anonymous"))).toBe("5s");
    });

    it("a request that runs too long fails with 57014", async () => {
      const slow = await startTestApi({ statementTimeouts: { statementTimeoutMs: 1, anonymousStatementTimeoutMs: 1 } });
      try {
        // authenticate spends a bcrypt round, far more than 1 ms
        const res = await gql(slow, `mutation { authenticate(input: { email: "nobody@x.test", password: "x" }) { jwtToken } }`);
        expect(codes(res)).toEqual(["57014"]);
      } finally {
        await slow.close();
      }
    });
  });

  describe("trusted documents", () => {
    it("only runs listed documents (by text or by id/hash): DOCUMENT_NOT_TRUSTED otherwise", async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "ironclad-trusted-"));
      const file = path.join(dir, "allowlist.json");
      const loginDoc = `mutation ($email: String!, $password: String!, $tenantId: UUID) {
       authenticate(input: { email: $email, password: $password, tenantId: $tenantId }) { jwtToken }
     }`;
      writeFileSync(file, JSON.stringify({ whoami: WHO_AM_I, [sha256(loginDoc)]: loginDoc }));
      const trusted = await startTestApi({ trustedDocuments: file });
      try {
        const token = await login(trusted, `coach@${GYM_A}.test`); // the exact listed text
        const byText = await gql(trusted, WHO_AM_I, {}, token);
        expect(byText.errors).toBeUndefined();
        const byId = await rawPost(trusted, JSON.stringify({ documentId: "whoami" }), {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
        });
        expect(byId.json.data.myRole).toBe("coach");
        const byHash = await rawPost(
          trusted,
          JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: sha256(WHO_AM_I) } } }),
          {
            "content-type": "application/json",
            authorization: `Bearer ${token}`,
          },
        );
        expect(byHash.json.data.myRole).toBe("coach");
        const other = await rawPost(trusted, JSON.stringify({ query: "{ gyms { nodes { name } } }" }));
        expect(other.status).toBe(400);
        expect(other.json.errors[0].extensions.code).toBe("DOCUMENT_NOT_TRUSTED");
        const unknownId = await rawPost(trusted, JSON.stringify({ documentId: "nope" }));
        expect(unknownId.json.errors[0].extensions.code).toBe("DOCUMENT_NOT_TRUSTED");
        const mismatch = await rawPost(trusted, JSON.stringify({ documentId: "whoami", query: "{ gyms { nodes { name } } }" }));
        expect(mismatch.json.errors[0].extensions.code).toBe("DOCUMENT_NOT_TRUSTED");
      } finally {
        await trusted.close();
      }
    });
  });

  describe("introspection and GraphiQL switched off", () => {
    it("refuses __schema/__type with INTROSPECTION_DISABLED, still answers __typename, no /graphiql", async () => {
      const closed = await startTestApi({ introspection: false, graphiql: false });
      try {
        const res = await gql(closed, "{ __schema { types { name } } }");
        expect(codes(res)).toContain("INTROSPECTION_DISABLED");
        expect(codes(await gql(closed, `{ __type(name: "Gym") { name } }`))).toContain("INTROSPECTION_DISABLED");
        expect(codes(await gql(closed, "query { ...F } fragment F on Query { __schema { queryType { name } } }"))).toContain(
          "INTROSPECTION_DISABLED",
        );
        expect((await gql(closed, "{ __typename }")).data).toEqual({ __typename: "Query" });
        // No "Did you mean …?" either: suggestions would spell out the schema one typo at a time.
        // (Sent without a token: the anonymous schema, which lists plans.)
        const typo = await gql(closed, "{ plans { nodes { nme } } }");
        expect(codes(typo)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
        expect(typo.errors?.[0]?.message).toBe('Cannot query field "nme" on type "Plan".');
        expect((await fetch(`${closed.url}/graphiql`)).status).toBe(404);
      } finally {
        await closed.close();
      }
      expect((await gql(api, "{ __schema { queryType { name } } }")).data).toBeTruthy();
    });
  });

  describe("HTTP layer fuzz", () => {
    const json = { "content-type": "application/json" };

    it("malformed bodies, wrong content types and methods → coded 4xx, never 500", async () => {
      const cases: [string, string, Record<string, string>, string?][] = [
        ["truncated JSON", '{"query": "{ __typename }"', json],
        ["not JSON", "hello", json],
        ["JSON array", "[1,2,3]", json],
        ["JSON string", '"{ __typename }"', json],
        ["null", "null", json],
        ["empty body", "", json],
        ["query not a string", '{"query": 42}', json],
        ["variables not an object", '{"query": "{ __typename }", "variables": [1]}', json],
        ["variables a string", '{"query": "{ __typename }", "variables": "x"}', json],
        ["operationName not a string", '{"query": "{ __typename }", "operationName": {}}', json],
        ["unknown operationName", '{"query": "query A { __typename }", "operationName": "B"}', json],
        ["GraphQL syntax error", '{"query": "{ __typename "}', json],
        ["unknown field", '{"query": "{ nope }"}', json],
        ["text/plain", '{"query": "{ __typename }"}', { "content-type": "text/plain" }],
        ["form", "query=%7B__typename%7D", { "content-type": "application/x-www-form-urlencoded" }],
        ["multipart", "--x\r\n\r\n--x--", { "content-type": "multipart/form-data; boundary=x" }],
        ["no content type", '{"query": "{ __typename }"}', {}],
        ["latin1 bytes", "\xff\xfe{", json],
        ["accept nothing we speak", '{"query": "{ __typename }"}', { ...json, accept: "image/png" }],
        ["GET", "", json, "GET"],
        ["PUT", '{"query": "{ __typename }"}', json, "PUT"],
        ["DELETE", "", json, "DELETE"],
      ];
      // A deeply nested (unused) variable is parsed and ignored: harmless, but must be clean.
      expectClean(
        await rawPost(api, `{"query":"{ __typename }","variables":{"x":${"[".repeat(5000)}${"]".repeat(5000)}}}`),
        "nested JSON",
      );
      // grafserv ignores the charset parameter and reads UTF-8: also harmless.
      expectClean(
        await rawPost(api, '{"query": "{ __typename }"}', { "content-type": "application/json; charset=utf-7" }),
        "charset",
      );
      for (const [label, body, headers, method] of cases) {
        const r = await rawPost(api, body, headers, "/graphql", method ?? "POST");
        expectClean(r, label);
        expect({ label, ok: r.status >= 400 || (r.json?.errors?.length ?? 0) > 0 }).toEqual({ label, ok: true });
      }
    });

    it("bad auth headers → 401 with a code", async () => {
      for (const header of [
        "Bearer",
        "Bearer x.y.z",
        "Basic abc",
        `Bearer ${"a".repeat(5000)}.b.c`,
        "Bearer \u00ff.\u00ff.\u00ff",
      ]) {
        const r = await rawPost(api, '{"query":"{ __typename }"}', { "content-type": "application/json", authorization: header });
        expectClean(r, header.slice(0, 20));
        expect(r.status).toBe(401);
      }
    });

    it("hostile strings in every string/uuid argument of every query and mutation → coded errors, no write", async () => {
      const tables = await discoverTables(rootQuery);

      const HOSTILE = [
        "'; drop table app_public.gyms; --",
        "' or '1'='1",
        '" or 1=1 --',
        "1; select pg_sleep(10)",
        "$$; select 1; $$",
        "\\x00\\' union select * from app_private.user_secrets --",
        "not-a-uuid",
        "00000000-0000-0000-0000-00000000000g",
        "x".repeat(60_000),
        "\u0000nul\u0000",
        "\ud800 lone surrogate",
        "\u202eRTL override \u202d",
        "emoji 🏋️‍♀️ ZWJ \u200d and combining e\u0301",
        "\uFEFFbom",
        "%00%27%22",
        "${jndi:ldap://x}",
        "<script>alert(1)</script>",
      ];
      const valueFor = (type: GraphQLInputType, hostile: string, depth = 0): unknown => {
        if (isNonNullType(type)) return valueFor(type.ofType, hostile, depth);
        const named = getNamedType(type);
        if (isInputObjectType(named)) {
          if (depth > 2) return undefined;
          const out: Record<string, unknown> = {};
          for (const f of Object.values(named.getFields())) {
            const v = valueFor(f.type, hostile, depth + 1);
            if (v !== undefined) out[f.name] = v;
          }
          return out;
        }
        if (isScalarType(named) && ["String", "UUID", "ID", "Datetime", "Cursor", "JSON", "BigInt"].includes(named.name))
          return hostile;
        if (isScalarType(named) && named.name === "Int") return 2 ** 31;
        return undefined;
      };
      const argDefs = (args: readonly GraphQLArgument[]) =>
        args.length ? `(${args.map((a, i) => `$v${i}: ${String(a.type)}`).join(", ")})` : "";
      const argUse = (args: readonly GraphQLArgument[]) =>
        args.length ? `(${args.map((a, i) => `${a.name}: $v${i}`).join(", ")})` : "";
      // Each token is served its own role's schema: every operation of that schema, with that token.
      let sent = 0;
      let operations = 0;
      for (const token of [undefined, admin]) {
        const intro = await gql(api, getIntrospectionQuery(), {}, token);
        const schema = buildClientSchema(intro.data as unknown as IntrospectionQuery);
        const ops: { kind: "query" | "mutation"; name: string; args: readonly GraphQLArgument[] }[] = [
          ...Object.values(schema.getQueryType()!.getFields()).map((f) => ({
            kind: "query" as const,
            name: f.name,
            args: f.args,
          })),
          ...Object.values(schema.getMutationType()!.getFields()).map((f) => ({
            kind: "mutation" as const,
            name: f.name,
            args: f.args,
          })),
        ].filter((o) => o.args.some((a) => valueFor(a.type, "x") !== undefined));
        operations += ops.length;
        for (const op of ops) {
          for (const hostile of HOSTILE) {
            const vars: Record<string, unknown> = {};
            op.args.forEach((a, i) => {
              const v = valueFor(a.type, hostile);
              if (v !== undefined) vars[`v${i}`] = v;
            });
            const q = `${op.kind} ${argDefs(op.args)} { r: ${op.name}${argUse(op.args)} { __typename } }`;
            const body = JSON.stringify({ query: q, variables: vars });
            if (body.length > 100_000) continue;
            const headers: Record<string, string> = { "content-type": "application/json" };
            if (token) headers.authorization = `Bearer ${token}`;
            const r = await rawPost(api, body, headers);
            sent++;
            expectClean(r, `${op.name} ${JSON.stringify(hostile).slice(0, 30)}`);
          }
        }
      }
      console.log(
        `hostile-input: ${sent} requests over ${operations} operations (anonymous and gym admin schemas) × ${HOSTILE.length} hostile strings`,
      );
      // Nothing hostile was written anywhere in either gym, nor as a person. (Other suites write
      // to these gyms concurrently, so this looks for the hostile values rather than
      // comparing checksums.)
      const findable = HOSTILE.filter((h) => h.length < 1000 && !h.includes("\u0000") && !h.includes("\ud800"));
      for (const slug of [GYM_A, GYM_B]) {
        const stored = JSON.stringify([...(await gymTruth(rootQuery, tables, slug)).rows.values()]);
        expect(findable.filter((h) => stored.includes(JSON.stringify(h).slice(1, -1)))).toEqual([]);
      }
      const people = await rootQuery<{ n: number }>(
        "select count(*)::int as n from app_public.users where display_name = any($1) or email::text = any($1)",
        [findable],
      );
      expect(people[0]!.n).toBe(0);
      // The schema and its data are intact (`logout` was among the mutations: log in again).
      admin = await login(api, `admin@${GYM_A}.test`);
      expect((await gql(api, "{ gyms { nodes { slug } } }", {}, admin)).data?.gyms.nodes).toEqual([{ slug: GYM_A }]);
    }, 300_000); // ≈ 5 000 requests; well under a minute on a quiet machine
  });
});
