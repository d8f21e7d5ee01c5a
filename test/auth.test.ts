import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import type { RunningApi } from "../src/server";
import { JWT_ISSUER } from "../src/auth/verify-token";
import { AUDIENCE, decodeToken, gql, login, startTestApi, type GraphQLResponse } from "./support/api";
import { GYM_A, GYM_B, TEST_BCRYPT_COST, createGymUser, gymId, rootQuery, testDb } from "./support/db";

/**
 * The door: how a request's token becomes (or fails to become) a role in Postgres. Every
 * refusal is HTTP 401 with a JSON `errors[0].extensions.code`; a bad token is never quietly
 * downgraded to anonymous. Anything mutated here is a fresh person in a fresh gym
 * (createGymUser), so the demo gyms stay as the seed made them.
 */

let api: RunningApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const WHO_AM_I = "{ myRole currentGym { slug } }";
type WhoAmI = { myRole: string; currentGym: { slug: string } | null };

async function whoAmI(auth?: string | { header: string }) {
  return gql<WhoAmI>(api, WHO_AM_I, {}, auth);
}

function expectRefused(res: GraphQLResponse, code: string) {
  expect({ status: res.status, code: res.errors?.[0]?.extensions?.code, data: res.data }).toEqual({
    status: 401,
    code,
    data: undefined,
  });
}

async function authenticate(email: string, password: string, tenantId?: string) {
  return gql<{ authenticate: { jwtToken: string | null } | null }>(
    api,
    `mutation ($email: String!, $password: String!, $tenantId: UUID) {
       authenticate(input: { email: $email, password: $password, tenantId: $tenantId }) { jwtToken }
     }`,
    { email, password, tenantId },
  );
}

async function logout(token: string) {
  return gql<{ logout: { result: boolean | null } }>(api, "mutation { logout(input: {}) { result } }", {}, token);
}

async function switchGym(token: string, tenantId: string) {
  return gql<{ switchGym: { jwtToken: string | null } | null }>(
    api,
    "mutation ($tenantId: UUID!) { switchGym(input: { tenantId: $tenantId }) { jwtToken } }",
    { tenantId },
    token,
  );
}

/** Sign claims the way PostGraphile does, with knobs to get each part wrong. */
function sign(
  payload: Record<string, unknown>,
  options: { secret?: string; audience?: string; issuer?: string; algorithm?: jwt.Algorithm } = {},
): string {
  return jwt.sign(payload, options.secret ?? testDb().jwtSecret, {
    algorithm: options.algorithm ?? "HS256",
    audience: options.audience ?? AUDIENCE,
    issuer: options.issuer ?? JWT_ISSUER,
  });
}

/** The claims of a real, live session (a fresh login of a demo member). */
async function liveClaims(email = `member@${GYM_A}.test`) {
  const claims = decodeToken(await login(api, email));
  return {
    role: claims.role,
    tenant_id: claims.tenant_id,
    membership_id: claims.membership_id,
    membership_version: claims.membership_version,
    sub: claims.sub,
    sid: claims.sid,
    exp: claims.exp,
  };
}

describe("without a token", () => {
  it("I am anonymous", async () => {
    const res = await gql<{ myRole: string }>(api, "{ myRole }");
    expect(res).toEqual({ status: 200, data: { myRole: "anonymous" } });
  });

  it("asking who I am answers null, not an error", async () => {
    const res = await gql(api, "{ myRole me { rowId } currentGym { slug } }");
    expect(res).toEqual({ status: 200, data: { myRole: "anonymous", me: null, currentGym: null } });
  });

  it("I may still log in", async () => {
    const res = await authenticate(`member@${GYM_A}.test`, "demo-password");
    expect(res.data?.authenticate?.jwtToken).toEqual(expect.any(String));
  });
});

describe("with a good token", () => {
  it("a login token carries my role, gym, user and session, for this API's audience", async () => {
    const token = await login(api, `coach@${GYM_A}.test`);
    const claims = decodeToken(token);
    expect(claims).toMatchObject({
      role: "coach",
      tenant_id: await gymId(GYM_A),
      sub: (await rootQuery<{ id: string }>("select id from app_public.users where email = $1", [`coach@${GYM_A}.test`]))[0]!.id,
      sid: expect.any(String),
      aud: AUDIENCE,
      iss: JWT_ISSUER,
    });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    expect(await whoAmI(token)).toEqual({ status: 200, data: { myRole: "coach", currentGym: { slug: GYM_A } } });
  });

  it("the platform owner's token names no gym", async () => {
    const token = await login(api, "owner@ironclad.test");
    expect(decodeToken(token)).toMatchObject({ role: "platform_owner", tenant_id: null });
    expect(await whoAmI(token)).toEqual({ status: 200, data: { myRole: "platform_owner", currentGym: null } });
  });
});

describe("a malformed Authorization header is refused (401 AUTH_HEADER_INVALID)", () => {
  it.each([
    ["a Basic credential", "Basic dXNlcjpwYXNzd29yZA=="],
    ["Bearer with nothing after it", "Bearer"],
    ["a token that is not a JWT", "Bearer not-a-jwt"],
    ["two tokens", "Bearer a.b.c d.e.f"],
    ["a lowercase scheme with junk", "bearer !!!"],
    ["garbage", "%%%"],
  ])("%s", async (_label, header) => {
    expectRefused(await whoAmI({ header }), "AUTH_HEADER_INVALID");
  });
});

describe("a token that does not verify is refused", () => {
  it("a signature made with another secret → TOKEN_INVALID", async () => {
    const claims = await liveClaims();
    expectRefused(await whoAmI(sign(claims, { secret: "not-the-secret-not-the-secret-not-the-secret" })), "TOKEN_INVALID");
  });

  it("a real token whose payload was edited → TOKEN_INVALID", async () => {
    const token = await login(api, `member@${GYM_A}.test`);
    const [header, , signature] = token.split(".");
    const edited = Buffer.from(JSON.stringify({ ...decodeToken(token), role: "gym_admin" })).toString("base64url");
    expectRefused(await whoAmI(`${header}.${edited}.${signature}`), "TOKEN_INVALID");
  });

  it("an unsigned token (alg: none) → TOKEN_INVALID", async () => {
    const claims = { ...(await liveClaims()), aud: AUDIENCE, iss: JWT_ISSUER };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    expectRefused(await whoAmI(`${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`), "TOKEN_INVALID");
  });

  it("another HMAC algorithm, even with the right secret (HS512) → TOKEN_INVALID", async () => {
    expectRefused(await whoAmI(sign(await liveClaims(), { algorithm: "HS512" })), "TOKEN_INVALID");
  });

  it("another issuer → TOKEN_INVALID", async () => {
    expectRefused(await whoAmI(sign(await liveClaims(), { issuer: "someone-else" })), "TOKEN_INVALID");
  });

  it("three dots of nonsense → TOKEN_INVALID", async () => {
    expectRefused(await whoAmI("abc.def.ghi"), "TOKEN_INVALID");
  });

  it("an expired token of a live session → TOKEN_EXPIRED", async () => {
    const claims = { ...(await liveClaims()), exp: Math.floor(Date.now() / 1000) - 60 };
    expectRefused(await whoAmI(sign(claims)), "TOKEN_EXPIRED");
  });

  it("a token for another audience → TOKEN_AUDIENCE", async () => {
    expectRefused(await whoAmI(sign(await liveClaims(), { audience: "another-api" })), "TOKEN_AUDIENCE");
  });
});

describe("a verified token with claims we never issue is refused (401 TOKEN_CLAIMS_INVALID)", () => {
  const cases: [string, (c: Record<string, unknown>) => Record<string, unknown>][] = [
    ["no claims but the registered ones", (c) => ({ exp: c.exp })],
    ["no expiry", ({ exp: _exp, ...c }) => c],
    ["no session id", ({ sid: _sid, ...c }) => c],
    ["no user", ({ sub: _sub, ...c }) => c],
    ["a gym role without a gym", (c) => ({ ...c, tenant_id: null })],
    ["an unknown role", (c) => ({ ...c, role: "superuser" })],
    ["the anonymous role", (c) => ({ ...c, role: "anonymous" })],
    ["a platform owner bound to a gym", (c) => ({ ...c, role: "platform_owner" })],
    ["a user id that is not a uuid", (c) => ({ ...c, sub: "1 or 1=1" })],
    ["a gym id that is not a uuid", (c) => ({ ...c, tenant_id: "'; drop table app_public.gyms; --" })],
  ];
  it.each(cases)("%s", async (_label, edit) => {
    expectRefused(await whoAmI(sign(edit(await liveClaims()))), "TOKEN_CLAIMS_INVALID");
  });
});

describe("a well-signed token Postgres does not honour is refused (401 SESSION_INVALID)", () => {
  it("a session id that never existed", async () => {
    expectRefused(
      await whoAmI(sign({ ...(await liveClaims()), sid: "00000000-0000-4000-8000-000000000000" })),
      "SESSION_INVALID",
    );
  });

  it("a member's live session claiming the gym_admin role", async () => {
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), role: "gym_admin" })), "SESSION_INVALID");
  });

  it("a member's live session claiming another gym", async () => {
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), tenant_id: await gymId(GYM_B) })), "SESSION_INVALID");
  });

  it("a member's live session claiming to be the platform owner", async () => {
    expectRefused(
      await whoAmI(
        sign({ ...(await liveClaims()), role: "platform_owner", tenant_id: null, membership_id: null, membership_version: null }),
      ),
      "SESSION_INVALID",
    );
  });

  it("another user's id on my session", async () => {
    const mine = await liveClaims();
    const theirs = await liveClaims(`admin@${GYM_A}.test`);
    expectRefused(await whoAmI(sign({ ...theirs, sid: mine.sid })), "SESSION_INVALID");
  });
});

describe("logout", () => {
  it("after logout the same token gets 401 SESSION_INVALID", async () => {
    const token = await login(api, `member@${GYM_A}.test`);
    expect((await whoAmI(token)).data?.myRole).toBe("member");
    expect(await logout(token)).toEqual({ status: 200, data: { logout: { result: true } } });
    expectRefused(await whoAmI(token), "SESSION_INVALID");
    expectRefused(await logout(token), "SESSION_INVALID");
  });

  it("ends only that session: the same person's other login keeps working", async () => {
    const phone = await login(api, `member@${GYM_A}.test`);
    const laptop = await login(api, `member@${GYM_A}.test`);
    await logout(phone);
    expectRefused(await whoAmI(phone), "SESSION_INVALID");
    expect((await whoAmI(laptop)).data?.myRole).toBe("member");
  });
});

describe("Postgres re-checks the session on every request", () => {
  it("removing my membership ends my token at once (401), and I can no longer log in to any gym", async () => {
    const person = await createGymUser({ role: "member" });
    const token = await login(api, person.email);
    expect(await whoAmI(token)).toEqual({ status: 200, data: { myRole: "member", currentGym: { slug: person.gym.slug } } });

    await rootQuery("delete from app_public.memberships where tenant_id = $1 and id = $2", [
      person.tenantId,
      person.membershipId,
    ]);

    expectRefused(await whoAmI(token), "SESSION_INVALID");
    const again = await authenticate(person.email, "demo-password");
    expect(again.data?.authenticate ?? null).toBeNull();
    expect(again.errors?.[0]?.extensions?.code).toBe("IC004");
  });

  it("changing my role ends tokens that carry the old one", async () => {
    const person = await createGymUser({ role: "coach" });
    const token = await login(api, person.email);
    expect((await whoAmI(token)).data?.myRole).toBe("coach");
    await rootQuery("update app_public.memberships set role = 'member' where tenant_id = $1 and id = $2", [
      person.tenantId,
      person.membershipId,
    ]);
    expectRefused(await whoAmI(token), "SESSION_INVALID");
    expect((await whoAmI(await login(api, person.email))).data?.myRole).toBe("member");
  });

  it("disabling a user ends their token at once (401) and they cannot log in (IC003)", async () => {
    const person = await createGymUser({ role: "coach" });
    const token = await login(api, person.email);
    expect((await whoAmI(token)).data?.myRole).toBe("coach");

    await rootQuery("update app_public.users set is_disabled = true where id = $1", [person.userId]);

    expectRefused(await whoAmI(token), "SESSION_INVALID");
    const again = await authenticate(person.email, "demo-password");
    expect(again.data?.authenticate ?? null).toBeNull();
    expect(again.errors?.[0]?.extensions?.code).toBe("IC003");
  });
});

describe("logging in", () => {
  it("a wrong password is IC003 and gives no token", async () => {
    const res = await authenticate(`member@${GYM_A}.test`, "not-the-password");
    expect(res.status).toBe(200);
    expect(res.data?.authenticate ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("IC003");
  });

  it("an unknown email gets exactly the same answer as a wrong password", async () => {
    const wrong = await authenticate(`member@${GYM_A}.test`, "not-the-password");
    const unknown = await authenticate("nobody-at-all@example.test", "not-the-password");
    expect(unknown.errors?.map((e) => ({ message: e.message, code: e.extensions?.code }))).toEqual(
      wrong.errors?.map((e) => ({ message: e.message, code: e.extensions?.code })),
    );
  });

  it("a person added without a password cannot log in: IC003, like a wrong password", async () => {
    const person = await createGymUser({ role: "member", password: null });
    const res = await authenticate(person.email, "");
    expect(res.data?.authenticate ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("IC003");
    const guess = await authenticate(person.email, "!");
    expect(guess.errors?.[0]?.extensions?.code).toBe("IC003");
  });

  it("asking for a gym I do not belong to is IC004 and gives no token", async () => {
    const res = await authenticate(`coach@${GYM_A}.test`, "demo-password", await gymId(GYM_B));
    expect(res.data?.authenticate ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("IC004");
  });
});

describe("switching gym", () => {
  it("dual@example.test switches from coach of iron-temple to member of harbor-barbell, keeping the session", async () => {
    const [a, b] = [await gymId(GYM_A), await gymId(GYM_B)];
    const first = await login(api, "dual@example.test", undefined, a);
    expect(await whoAmI(first)).toEqual({ status: 200, data: { myRole: "coach", currentGym: { slug: GYM_A } } });

    const res = await switchGym(first, b);
    const second = res.data?.switchGym?.jwtToken;
    expect(second).toEqual(expect.any(String));
    expect(decodeToken(second!)).toMatchObject({
      role: "member",
      tenant_id: b,
      sub: decodeToken(first).sub,
      sid: decodeToken(first).sid,
      aud: AUDIENCE,
    });

    const seen = await gql<{
      myRole: string;
      currentGym: { slug: string };
      gyms: { nodes: { slug: string }[] };
      memberships: { nodes: { tenantId: string }[] };
    }>(api, "{ myRole currentGym { slug } gyms { nodes { slug } } memberships { nodes { tenantId } } }", {}, second!);
    expect(seen.errors).toBeUndefined();
    expect(seen.data?.myRole).toBe("member");
    expect(seen.data?.currentGym).toEqual({ slug: GYM_B });
    expect(seen.data?.gyms.nodes).toEqual([{ slug: GYM_B }]);
    expect(new Set(seen.data?.memberships.nodes.map((n) => n.tenantId))).toEqual(new Set([b]));

    // And back again.
    const back = (await switchGym(second!, a)).data?.switchGym?.jwtToken;
    expect((await whoAmI(back!)).data).toEqual({ myRole: "coach", currentGym: { slug: GYM_A } });
  });

  it("logging out with the switched token ends the whole session, the original token too", async () => {
    const first = await login(api, "dual@example.test", undefined, await gymId(GYM_A));
    const second = (await switchGym(first, await gymId(GYM_B))).data!.switchGym!.jwtToken!;
    await logout(second);
    expectRefused(await whoAmI(second), "SESSION_INVALID");
    expectRefused(await whoAmI(first), "SESSION_INVALID");
  });

  it("a gym I do not belong to is refused with IC004 and no token", async () => {
    const token = await login(api, `coach@${GYM_A}.test`);
    const res = await switchGym(token, await gymId(GYM_B));
    expect(res.data?.switchGym ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("IC004");
  });

  it("a gym that does not exist gets the same IC004 answer (existence is not revealed)", async () => {
    const token = await login(api, `coach@${GYM_A}.test`);
    const missing = await switchGym(token, "00000000-0000-4000-8000-000000000001");
    const foreign = await switchGym(token, await gymId(GYM_B));
    expect(missing.errors?.map((e) => [e.message, e.extensions?.code])).toEqual(
      foreign.errors?.map((e) => [e.message, e.extensions?.code]),
    );
  });

  it("an anonymous visitor cannot switch gym (its schema has no switchGym)", async () => {
    const res = await gql(api, "mutation ($t: UUID!) { switchGym(input: { tenantId: $t }) { jwtToken } }", {
      t: await gymId(GYM_A),
    });
    expect(res.data?.switchGym ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED");
  });
});

// ---------------------------------------------------------------------------------------
// Throttling, one credential check per request, tokens tied to their membership, refresh.
// ---------------------------------------------------------------------------------------

type Pair = { jwtToken: string | null; refreshToken: string | null };

async function authenticatePair(email: string, password: string, headers: Record<string, string> = {}, target = api) {
  const res = await fetch(`${target.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({
      query: `mutation ($email: String!, $password: String!) {
        authenticate(input: { email: $email, password: $password }) { jwtToken refreshToken } }`,
      variables: { email, password },
    }),
  });
  return {
    status: res.status,
    ...((await res.json()) as { data?: { authenticate: Pair | null }; errors?: GraphQLResponse["errors"] }),
  };
}

async function refresh(token: string) {
  return gql<{ refreshToken: Pair | null }>(
    api,
    "mutation ($token: String!) { refreshToken(input: { token: $token }) { jwtToken refreshToken } }",
    { token },
  );
}

type Coded = { message: string; extensions?: { code?: string; retryAfter?: number } };

describe("login throttling (in Postgres, IC005)", () => {
  it("30 wrong passwords lock the account: then even the right password is refused with IC005 and a retry-after", async () => {
    const person = await createGymUser({ role: "member" });
    const codes: string[] = [];
    for (let i = 0; i < 30; i++)
      codes.push(String((await authenticate(person.email, `wrong-${i}`)).errors?.[0]?.extensions?.code));
    expect(codes.slice(0, 4)).toEqual(["IC003", "IC003", "IC003", "IC003"]);
    expect(codes).toContain("IC005");
    const right = await authenticate(person.email, "demo-password");
    expect(right.data?.authenticate ?? null).toBeNull();
    const error = right.errors?.[0] as Coded;
    expect(error.extensions?.code).toBe("IC005");
    expect(error.extensions?.retryAfter).toBeGreaterThan(60);
    // The lock lives in Postgres, so every API process sees it.
    const rows = await rootQuery<{ failures: number }>(
      "select failures from app_private.login_throttle where login_key = app_private.login_key($1)",
      [person.email],
    );
    expect(rows[0]!.failures).toBeGreaterThanOrEqual(30);
  });

  it("an unknown email locks exactly like a known one (a lock does not reveal an account)", async () => {
    const known = await createGymUser({ role: "member" });
    const unknown = `nobody-${randomUUID()}@example.test`;
    const run = async (email: string) => {
      const seen: unknown[] = [];
      for (let i = 0; i < 8; i++) {
        const res = await authenticate(email, `wrong-${i}`);
        seen.push({ code: res.errors?.[0]?.extensions?.code, message: res.errors?.[0]?.message, data: res.data });
      }
      return seen;
    };
    expect(await run(unknown)).toEqual(await run(known.email));
  });

  it("a good login clears the count", async () => {
    const person = await createGymUser({ role: "member" });
    for (let i = 0; i < 3; i++) await authenticate(person.email, "wrong");
    await login(api, person.email);
    expect(
      await rootQuery("select 1 from app_private.login_throttle where login_key = app_private.login_key($1)", [person.email]),
    ).toEqual([]);
  });
});

describe("at most one credential-checking field per request", () => {
  it("20 aliased authenticate fields are refused with CREDENTIAL_FIELDS_EXCEEDED before anything runs", async () => {
    const person = await createGymUser({ role: "member" });
    const fields = Array.from(
      { length: 20 },
      (_, i) =>
        `a${i}: authenticate(input: { email: $email, password: "${i === 19 ? "demo-password" : `guess-${i}`}" }) { jwtToken }`,
    ).join("\n");
    const res = await gql(api, `mutation ($email: String!) { ${fields} }`, { email: person.email });
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["CREDENTIAL_FIELDS_EXCEEDED"]);
    // No attempt was made: no failure counted, no session opened.
    expect(
      await rootQuery("select 1 from app_private.login_throttle where login_key = app_private.login_key($1)", [person.email]),
    ).toEqual([]);
    expect(await rootQuery("select 1 from app_private.sessions where user_id = $1", [person.userId])).toEqual([]);
  });

  it("the rule is read from the schema: login + refresh in one request, or a fragment spread, count too", async () => {
    const both = await gql(
      api,
      `mutation { authenticate(input: { email: "x@example.test", password: "x" }) { jwtToken } ...R }
       fragment R on Mutation { refreshToken(input: { token: "nope" }) { jwtToken } }`,
    );
    expect(both.errors?.map((e) => e.extensions?.code)).toEqual(["CREDENTIAL_FIELDS_EXCEEDED"]);
  });
});

describe("per-client-address budget (LOGIN_RATE_LIMITED)", () => {
  it("an address that spends its budget is refused with a retry-after; another address is not", async () => {
    const limited = await startTestApi({ loginBudget: { attempts: 3, windowSeconds: 600 }, trustProxy: "loopback" });
    try {
      const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
      const from = (ip: string) => ({ "x-forwarded-for": ip });
      const email = `nobody-${randomUUID()}@example.test`;
      const answers: unknown[] = [];
      for (let i = 0; i < 4; i++)
        answers.push((await authenticatePair(email, "x", from(address), limited)).errors?.[0]?.extensions?.code);
      expect(answers).toEqual(["IC003", "IC003", "IC003", "LOGIN_RATE_LIMITED"]);
      const refused = await authenticatePair(email, "x", from(address), limited);
      expect((refused.errors?.[0] as Coded).extensions?.retryAfter).toBeGreaterThan(0);
      // The budget covers every credential-checking field, refreshToken too.
      const viaRefresh = await fetch(`${limited.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", ...from(address) },
        body: JSON.stringify({ query: 'mutation { refreshToken(input: { token: "x" }) { jwtToken } }' }),
      }).then((r) => r.json() as Promise<{ errors: Coded[] }>);
      expect(viaRefresh.errors[0]!.extensions?.code).toBe("LOGIN_RATE_LIMITED");
      expect((await authenticatePair(email, "x", from("203.0.113.7"), limited)).errors?.[0]?.extensions?.code).toBe("IC003");
    } finally {
      await limited.close();
    }
  });
});

describe("login answers alike for unknown, wrong-password, disabled and password-less accounts", () => {
  it("the same error, message, path and data", async () => {
    const known = await createGymUser({ role: "member" });
    const disabled = await createGymUser({ role: "member" });
    await rootQuery("update app_public.users set is_disabled = true where id = $1", [disabled.userId]);
    const passwordless = await createGymUser({ role: "member", password: null });
    const answers = [
      await authenticatePair(`nobody-${randomUUID()}@example.test`, "demo-password"),
      await authenticatePair(known.email, "not-the-password"),
      await authenticatePair(disabled.email, "demo-password"),
      await authenticatePair(passwordless.email, "demo-password"),
    ];
    for (const a of answers) {
      expect(a).toEqual(answers[0]);
    }
    expect(answers[0]!.errors?.[0]?.extensions?.code).toBe("IC003");
  });
});

describe("tokens are tied to the membership that granted them", () => {
  it("demote → token dead; promote back → still dead", async () => {
    const person = await createGymUser({ role: "coach" });
    const token = await login(api, person.email);
    const setRole = (role: string) =>
      rootQuery("update app_public.memberships set role = $3 where tenant_id = $1 and id = $2", [
        person.tenantId,
        person.membershipId,
        role,
      ]);
    await setRole("member");
    expectRefused(await whoAmI(token), "SESSION_INVALID");
    await setRole("coach");
    expectRefused(await whoAmI(token), "SESSION_INVALID");
    expect((await whoAmI(await login(api, person.email))).data?.myRole).toBe("coach");
  });

  it("delete the membership and add the person again → the old token stays dead", async () => {
    const person = await createGymUser({ role: "coach" });
    const token = await login(api, person.email);
    await rootQuery("delete from app_public.memberships where tenant_id = $1 and id = $2", [
      person.tenantId,
      person.membershipId,
    ]);
    await rootQuery(
      "insert into app_public.memberships (tenant_id, user_id, role, display_name) values ($1, $2, 'coach', 'Re-added coach')",
      [person.tenantId, person.userId],
    );
    expectRefused(await whoAmI(token), "SESSION_INVALID");
    expect((await whoAmI(await login(api, person.email))).data?.myRole).toBe("coach");
  });

  it("the token names its membership, and current_membership_id() is that claim", async () => {
    const person = await createGymUser({ role: "member" });
    const token = await login(api, person.email);
    expect(decodeToken(token)).toMatchObject({ membership_id: person.membershipId, membership_version: 1 });
    const res = await gql<{ currentProfile: unknown }>(api, "{ myRole }", {}, token);
    expect(res.errors).toBeUndefined();
  });
});

describe("short-lived access tokens and rotating refresh tokens", () => {
  it("an access token lives at most 15 minutes and carries no refresh token", async () => {
    const before = Math.floor(Date.now() / 1000);
    const pair = (await authenticatePair(`member@${GYM_A}.test`, "demo-password")).data!.authenticate!;
    const claims = decodeToken(pair.jwtToken!);
    expect(Number(claims.exp)).toBeLessThanOrEqual(before + 900 + 5);
    expect(Number(claims.exp)).toBeGreaterThan(before);
    expect(claims).not.toHaveProperty("refresh_token");
    expect(pair.jwtToken).not.toContain(pair.refreshToken!);
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    // Stored only as a hash.
    expect(
      await rootQuery("select 1 from app_private.refresh_tokens where token_hash::text like $1", [`%${pair.refreshToken}%`]),
    ).toEqual([]);
  });

  it("ACCESS_TOKEN_TTL shortens it", async () => {
    const short = await startTestApi({ credentials: { bcryptCost: 8, accessTokenTtlSeconds: 60 } });
    try {
      const before = Math.floor(Date.now() / 1000);
      const claims = decodeToken(await login(short, `member@${GYM_A}.test`));
      expect(Number(claims.exp)).toBeLessThanOrEqual(before + 60 + 5);
    } finally {
      await short.close();
    }
  });

  it("a hash below the configured bcrypt cost is upgraded at the next good login, and still checks the password", async () => {
    const person = await createGymUser({ role: "member" });
    const hashOf = async () =>
      (
        await rootQuery<{ h: string }>("select password_hash as h from app_private.user_secrets where user_id = $1", [
          person.userId,
        ])
      )[0]!.h;
    await rootQuery(
      "update app_private.user_secrets set password_hash = crypt('demo-password', gen_salt('bf', 4)) where user_id = $1",
      [person.userId],
    );
    expect((await hashOf()).slice(0, 7)).toBe("$2a$04$");
    await expect(login(api, person.email, "wrong-password")).rejects.toThrow();
    expect((await hashOf()).slice(0, 7)).toBe("$2a$04$");
    expect(await login(api, person.email, "demo-password")).toBeTruthy();
    const upgraded = await hashOf();
    expect(upgraded.slice(0, 7)).toBe(`$2a$${String(TEST_BCRYPT_COST).padStart(2, "0")}$`);
    expect(await login(api, person.email, "demo-password")).toBeTruthy();
    // At the configured cost already: left alone.
    expect(await hashOf()).toBe(upgraded);
  });

  it("refresh rotates the pair; reusing a retired refresh token ends the whole session", async () => {
    const person = await createGymUser({ role: "member" });
    const first = (await authenticatePair(person.email, "demo-password")).data!.authenticate!;
    const rotated = (await refresh(first.refreshToken!)).data?.refreshToken;
    expect(rotated).toEqual({ jwtToken: expect.any(String), refreshToken: expect.any(String) });
    expect(rotated!.refreshToken).not.toBe(first.refreshToken);
    expect(decodeToken(rotated!.jwtToken!)).toMatchObject({
      sid: decodeToken(first.jwtToken!).sid,
      membership_id: person.membershipId,
    });
    expect((await whoAmI(rotated!.jwtToken!)).data?.myRole).toBe("member");

    // The old refresh token again (a thief's copy, or the victim's after the thief used it):
    const reuse = await refresh(first.refreshToken!);
    expect(reuse.data?.refreshToken ?? null).toBeNull();
    expect(reuse.errors?.[0]?.extensions?.code).toBe("IC006");
    expectRefused(await whoAmI(rotated!.jwtToken!), "SESSION_INVALID");
    expect((await refresh(rotated!.refreshToken!)).errors?.[0]?.extensions?.code).toBe("IC006");
  });

  it("logout ends the refresh token too; a role change ends it; an unknown one is IC006", async () => {
    const person = await createGymUser({ role: "coach" });
    const a = (await authenticatePair(person.email, "demo-password")).data!.authenticate!;
    await logout(a.jwtToken!);
    expect((await refresh(a.refreshToken!)).errors?.[0]?.extensions?.code).toBe("IC006");

    const b = (await authenticatePair(person.email, "demo-password")).data!.authenticate!;
    await rootQuery("update app_public.memberships set role = 'member' where tenant_id = $1 and id = $2", [
      person.tenantId,
      person.membershipId,
    ]);
    expect((await refresh(b.refreshToken!)).errors?.[0]?.extensions?.code).toBe("IC006");

    expect((await refresh("not-a-token")).errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ["Invalid or expired refresh token", "IC006"],
    ]);
  });

  it("switchGym returns a pair for the other gym, and its refresh token renews that gym's token", async () => {
    const [a, b] = [await gymId(GYM_A), await gymId(GYM_B)];
    const first = await login(api, "dual@example.test", undefined, a);
    const res = await gql<{ switchGym: Pair }>(
      api,
      "mutation ($tenantId: UUID!) { switchGym(input: { tenantId: $tenantId }) { jwtToken refreshToken } }",
      { tenantId: b },
      first,
    );
    const renewed = (await refresh(res.data!.switchGym.refreshToken!)).data!.refreshToken!;
    expect(decodeToken(renewed.jwtToken!)).toMatchObject({ role: "member", tenant_id: b });
    expect(await whoAmI(renewed.jwtToken!)).toEqual({ status: 200, data: { myRole: "member", currentGym: { slug: GYM_B } } });
  });
});
