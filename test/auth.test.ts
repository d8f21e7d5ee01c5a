import jwt from "jsonwebtoken";
import type { RunningApi } from "../src/server";
import { JWT_ISSUER } from "../src/server";
import { AUDIENCE, decodeToken, gql, login, startTestApi, type GraphQLResponse } from "./support/api";
import { GYM_A, GYM_B, createGymUser, gymId, rootQuery, testDb } from "./support/db";

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
  return { role: claims.role, tenant_id: claims.tenant_id, sub: claims.sub, sid: claims.sid, exp: claims.exp };
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
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), sid: "00000000-0000-4000-8000-000000000000" })), "SESSION_INVALID");
  });

  it("a member's live session claiming the gym_admin role", async () => {
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), role: "gym_admin" })), "SESSION_INVALID");
  });

  it("a member's live session claiming another gym", async () => {
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), tenant_id: await gymId(GYM_B) })), "SESSION_INVALID");
  });

  it("a member's live session claiming to be the platform owner", async () => {
    expectRefused(await whoAmI(sign({ ...(await liveClaims()), role: "platform_owner", tenant_id: null })), "SESSION_INVALID");
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

    await rootQuery("delete from app_public.memberships where tenant_id = $1 and id = $2", [person.tenantId, person.membershipId]);

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

    const seen = await gql<{ myRole: string; currentGym: { slug: string }; allGyms: { nodes: { slug: string }[] }; allMemberships: { nodes: { tenantId: string }[] } }>(
      api,
      "{ myRole currentGym { slug } allGyms { nodes { slug } } allMemberships { nodes { tenantId } } }",
      {},
      second!,
    );
    expect(seen.errors).toBeUndefined();
    expect(seen.data?.myRole).toBe("member");
    expect(seen.data?.currentGym).toEqual({ slug: GYM_B });
    expect(seen.data?.allGyms.nodes).toEqual([{ slug: GYM_B }]);
    expect(new Set(seen.data?.allMemberships.nodes.map((n) => n.tenantId))).toEqual(new Set([b]));

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

  it("an anonymous visitor cannot switch gym", async () => {
    const res = await gql(api, "mutation ($t: UUID!) { switchGym(input: { tenantId: $t }) { jwtToken } }", {
      t: await gymId(GYM_A),
    });
    expect(res.data?.switchGym ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe("42501");
  });
});
