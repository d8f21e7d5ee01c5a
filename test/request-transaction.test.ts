import jwt from "jsonwebtoken";
import { Pool, type PoolClient } from "pg";
import { createWithPgClient } from "postgraphile/adaptors/pg";
import { pgSettingsFor } from "../src/auth/pg-settings";
import { sessionGuard } from "../src/auth/session-guard";
import { cachedTokenVerifier, JWT_ISSUER, verifyToken, type TokenClaims } from "../src/auth/verify-token";
import { makeOneTripWithPgClient, type SettingsStyle } from "../src/db/pg-adaptor";
import type { RunningApi } from "../src/server";
import { AUDIENCE, decodeToken, gql, login, startTestApi } from "./support/api";
import { GYM_A, testDb } from "./support/db";

/**
 * How a request reaches Postgres (src/db/pg-adaptor.ts, src/auth/session-guard.ts): BEGIN, the
 * session check and the transaction-local settings in one round trip; an ended session's
 * transaction runs nothing; verified tokens are cached, sessions never.
 */

let api: RunningApi;
let pool: Pool;
/** Round trips (client.query calls) per connection of `pool`. */
let roundTrips = 0;
beforeAll(async () => {
  api = await startTestApi();
  pool = new Pool({ connectionString: testDb().authUrl, max: 2 });
  pool.on("connect", (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      roundTrips++;
      return query(...args);
    };
  });
});
afterAll(async () => {
  await pool?.end();
  await api?.close();
});

const tokenOptions = () => ({ secret: testDb().jwtSecret, audience: AUDIENCE, issuer: JWT_ISSUER });

async function liveSession(): Promise<{ token: string; claims: TokenClaims; settings: Record<string, string> }> {
  const token = await login(api, `coach@${GYM_A}.test`);
  const claims = verifyToken(token, tokenOptions());
  return { token, claims, settings: pgSettingsFor(claims, testDb().roles) };
}

const WHO =
  "select current_user::text as role, current_setting('jwt.claims.tenant_id') as tenant, current_setting('statement_timeout') as timeout";

describe.each<SettingsStyle>(["set_config", "set_local"])("one round trip to open the transaction (%s)", (style) => {
  // set_local (Citus mode) sends the claims in a string of their own (src/db/pg-adaptor.ts).
  const preambleTrips = style === "set_local" ? 2 : 1;
  it(`a one-query request costs ${style === "set_local" ? "four" : "three"} round trips (preamble, query, COMMIT), as the visitor role with its claims`, async () => {
    const { claims, settings } = await liveSession();
    const withPgClient = makeOneTripWithPgClient(pool, { style, guard: sessionGuard });
    await withPgClient(settings, (c) => c.query({ text: "select 1" })); // a fresh connection's one-off setup
    roundTrips = 0;
    const { rows } = await withPgClient(settings, (c) =>
      c.query<{ role: string; tenant: string; timeout: string }>({ text: WHO }),
    );
    expect(rows[0]).toEqual({ role: testDb().roles.visitor.coach, tenant: claims.tenantId, timeout: "15s" });
    expect(roundTrips).toBe(preambleTrips + 2);
  });

  it("an ended session: the operation never runs, no setting outlives the rollback, the connection is reused", async () => {
    const { token, settings } = await liveSession();
    expect((await gql(api, "mutation { logout(input: {}) { result } }", {}, token)).status).toBe(200);
    const withPgClient = makeOneTripWithPgClient(pool, { style, guard: sessionGuard });
    let ran = false;
    await expect(withPgClient(settings, async () => (ran = true))).rejects.toMatchObject({
      extensions: { code: "SESSION_INVALID" },
    });
    expect(ran).toBe(false);
    const { rows } = await pool.query(
      "select current_user::text as role, coalesce(current_setting('jwt.claims.tenant_id', true), '') as tenant",
    );
    expect(rows[0]).toEqual({ role: testDb().roles.authenticator, tenant: "" });
  });
});

it("the stock adaptor needs four round trips for the same request (what the one-trip adaptor saves)", async () => {
  const { settings } = await liveSession();
  const withPgClient = await createWithPgClient({ pool });
  await withPgClient(settings, (c) => c.query({ text: "select 1" }));
  roundTrips = 0;
  await withPgClient(settings, (c) => c.query({ text: WHO }));
  expect(roundTrips).toBe(4);
});

describe("an ended session over HTTP answers 401 SESSION_INVALID, with or without a query", () => {
  it.each([
    ["an operation that queries", "{ myRole }"],
    ["an operation that opens no transaction", "{ __typename }"],
  ])("%s", async (_what, document) => {
    const { token } = await liveSession();
    expect(await gql(api, document, {}, token)).toMatchObject({ status: 200, data: expect.any(Object) });
    await gql(api, "mutation { logout(input: {}) { result } }", {}, token);
    const res = await gql(api, document, {}, token);
    expect({ status: res.status, code: res.errors?.[0]?.extensions?.code, data: res.data }).toEqual({
      status: 401,
      code: "SESSION_INVALID",
      data: undefined,
    });
  });
});

describe("the verified-token cache", () => {
  const sign = (claims: Record<string, unknown>, expiresIn: number, secret = testDb().jwtSecret) =>
    jwt.sign(claims, secret, { algorithm: "HS256", audience: AUDIENCE, issuer: JWT_ISSUER, expiresIn });

  it("verifies a token once, then answers from the cache until the token expires", async () => {
    const { token } = await liveSession();
    const payload = decodeToken(token);
    const { exp: _exp, iat: _iat, aud: _aud, iss: _iss, ...claims } = payload;
    const verify = cachedTokenVerifier(10);
    const short = sign(claims, 1);
    const first = verify(short, tokenOptions());
    expect(verify(short, tokenOptions())).toBe(first);
    await new Promise((r) => setTimeout(r, 1_100 + (first.expiresAt! * 1000 - Date.now())));
    expect(() => verify(short, tokenOptions())).toThrow(expect.objectContaining({ code: "TOKEN_EXPIRED" }));
  });

  it("is bounded (least recently used evicted) and never keeps a refusal", async () => {
    const { token } = await liveSession();
    const { exp: _exp, iat: _iat, aud: _aud, iss: _iss, ...claims } = decodeToken(token);
    const verify = cachedTokenVerifier(2);
    const [a, b, c] = [60, 61, 62].map((ttl) => sign(claims, ttl));
    const first = verify(a!, tokenOptions());
    verify(b!, tokenOptions());
    verify(c!, tokenOptions()); // evicts a
    expect(verify(a!, tokenOptions())).not.toBe(first);
    const forged = sign(claims, 60, "not-the-secret-not-the-secret-not-the-secret");
    for (let i = 0; i < 2; i++)
      expect(() => verify(forged, tokenOptions())).toThrow(expect.objectContaining({ code: "TOKEN_INVALID" }));
    // Another secret (another server) never shares an entry.
    expect(() => verify(b!, { ...tokenOptions(), secret: "another-secret-another-secret-another" })).toThrow(
      expect.objectContaining({ code: "TOKEN_INVALID" }),
    );
  });
});
