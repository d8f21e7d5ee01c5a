/**
 * Realtime: GraphQL subscriptions over websockets (graphql-ws at /graphql).
 *
 * The token travels in connectionParams.authorization and is checked by src/auth, the same
 * code as HTTP. Channels are built from the verified claims (ironclad:gym:<tenant_id>:…),
 * events carry ids only, and every row is read under the subscriber's own role and claims.
 * Proven here: a gym B subscriber receives nothing from gym A while a gym A subscriber does;
 * a member receives no one else's messages; a logged-out or expired token's socket closes.
 */
import jwt from "jsonwebtoken";
import { createClient, type Client } from "graphql-ws";
import type { RunningApi } from "../src/server";
import { AUDIENCE, decodeToken, gql, login, startTestApi } from "./support/api";
import { GYM_A, GYM_B, rootQuery, testDb } from "./support/db";

// The `ws` package graphql-ws's own server uses (grafserv); jest's environment has no WebSocket global.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- jest runs this file as CommonJS; ws's ESM wrapper is not loadable here
const WebSocketImpl = require("ws") as unknown;

interface Subscription {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each subscription's events have their own shape; tests read them field by field
  events: Record<string, any>[];
  errors: unknown[];
  closed: { code: number; reason: string } | null;
  /** Resolves once `predicate` holds over what arrived; rejects after `ms`. */
  until(predicate: () => boolean, what: string, ms?: number): Promise<void>;
  dispose(): Promise<void>;
}

const clients: Client[] = [];

function subscribe(api: RunningApi, token: string | null, query: string, variables: Record<string, unknown> = {}): Subscription {
  const sub: Subscription = {
    events: [],
    errors: [],
    closed: null,
    until(predicate, what, ms = 20_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          if (predicate()) return resolve();
          if (Date.now() - started > ms) {
            return reject(
              new Error(
                `timed out waiting for ${what}: ${JSON.stringify({ events: sub.events, errors: sub.errors, closed: sub.closed })}`,
              ),
            );
          }
          setTimeout(tick, 25);
        };
        tick();
      });
    },
    async dispose() {
      await client.dispose();
    },
  };
  const client = createClient({
    url: `${api.url.replace(/^http/, "ws")}/graphql`,
    webSocketImpl: WebSocketImpl,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // the close is recorded below
    on: {
      closed: (event) => {
        const e = event as { code: number; reason: string };
        sub.closed = { code: e.code, reason: String(e.reason) };
      },
    },
  });
  clients.push(client);
  client.subscribe(
    { query, variables },
    {
      next: (value) => sub.events.push(value as Subscription["events"][number]),
      error: (error) => sub.errors.push(error),
      complete: () => undefined,
    },
  );
  return sub;
}

const email = (local: string, gym: string) => `${local}@${gym}.test`;

async function membershipOf(address: string, gym: string): Promise<string> {
  const [row] = await rootQuery<{ id: string }>(
    `select m.id from app_public.memberships m join app_public.users u on u.id = m.user_id
     where u.email = $1 and m.tenant_id = (select id from app_public.gyms where slug = $2)`,
    [address, gym],
  );
  if (!row) throw new Error(`no membership for ${address}`);
  return row.id;
}

const MESSAGES = `subscription { messageReceived { rowId body recipientId } }`;

describe("realtime subscriptions", () => {
  let api: RunningApi;
  const tokens = new Map<string, string>();
  const token = async (address: string) => {
    if (!tokens.has(address)) tokens.set(address, await login(api, address));
    return tokens.get(address)!;
  };
  const sentBodies: string[] = [];

  async function send(from: string, to: string, gym: string, body: string): Promise<string> {
    const res = await gql<{ createMessage: { message: { rowId: string } } }>(
      api,
      `mutation ($to: UUID!, $body: String!) { createMessage(input: { message: { recipientId: $to, body: $body } }) { message { rowId } } }`,
      { to: await membershipOf(to, gym), body },
      await token(from),
    );
    if (!res.data?.createMessage) throw new Error(`send failed: ${JSON.stringify(res.errors)}`);
    sentBodies.push(body);
    return res.data.createMessage.message.rowId;
  }

  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await rootQuery("delete from app_public.messages where body = any($1)", [sentBodies]);
    await api.close();
  });

  it("a gym B subscriber receives nothing of gym A's messages, while gym A's recipient does; a member gets only their own", async () => {
    const memberA = email("member", GYM_A),
      member2A = email("member2", GYM_A),
      coachA = email("coach", GYM_A);
    const memberB = email("member", GYM_B),
      coachB = email("coach", GYM_B);
    const a = subscribe(api, await token(memberA), MESSAGES);
    const other = subscribe(api, await token(member2A), MESSAGES);
    const b = subscribe(api, await token(memberB), MESSAGES);

    // Warm-up: each subscriber proves it is listening before the events that matter.
    const received = (s: Subscription, id: string) => () => s.events.some((e) => e.data?.messageReceived?.rowId === id);
    for (let i = 0; ; i++) {
      const [ia, io, ib] = [
        await send(coachA, memberA, GYM_A, `rt warm a ${i}`),
        await send(coachA, member2A, GYM_A, `rt warm other ${i}`),
        await send(coachB, memberB, GYM_B, `rt warm b ${i}`),
      ];
      try {
        await Promise.all([
          a.until(received(a, ia), "warm a", 2_000),
          other.until(received(other, io), "warm other", 2_000),
          b.until(received(b, ib), "warm b", 2_000),
        ]);
        break;
      } catch (error) {
        if (i >= 5) throw error;
      }
    }
    const before = { a: a.events.length, other: other.events.length, b: b.events.length };

    // Gym A activity: the coach writes to member A (only). Then a marker in gym B and for member2:
    // notifications reach one listening connection in commit order, so a leak would arrive first.
    const toA = await send(coachA, memberA, GYM_A, "rt for member A");
    const markerOther = await send(coachA, member2A, GYM_A, "rt marker member2");
    const markerB = await send(coachB, memberB, GYM_B, "rt marker B");
    await a.until(received(a, toA), "gym A recipient to receive the message");
    await other.until(received(other, markerOther), "member2's own message");
    await b.until(received(b, markerB), "gym B's own message");

    const bodies = (s: Subscription, from: number) => s.events.slice(from).map((e) => e.data?.messageReceived?.body ?? null);
    expect(bodies(a, before.a)).toEqual(["rt for member A"]);
    expect(bodies(other, before.other)).toEqual(["rt marker member2"]);
    expect(bodies(b, before.b)).toEqual(["rt marker B"]);
    for (const s of [a, other, b]) expect(s.errors).toEqual([]);
    const mine = await membershipOf(member2A, GYM_A);
    expect(other.events.every((e) => e.data?.messageReceived?.recipientId === mine)).toBe(true);
    await Promise.all([a.dispose(), other.dispose(), b.dispose()]);
  });

  it("a class's booked count arrives to its gym, the gym leaderboard and network refresh events arrive", async () => {
    const coach = await token(email("coach", GYM_A));
    const created = await gql<{ createClassSession: { classSession: { rowId: string; tenantId: string } } }>(
      api,
      `mutation { createClassSession(input: { classSession: { title: "rt class", startsAt: "2099-01-01T10:00:00Z", capacity: 5 } }) { classSession { rowId tenantId } } }`,
      {},
      coach,
    );
    if (!created.data?.createClassSession) throw new Error(JSON.stringify(created.errors));
    const klass = {
      id: created.data.createClassSession.classSession.rowId,
      tenant_id: created.data.createClassSession.classSession.tenantId,
    };
    try {
      const counts = subscribe(api, coach, `subscription ($id: UUID!) { classBookedCount(classId: $id) { rowId bookedCount } }`, {
        id: klass.id,
      });
      const board = subscribe(api, coach, `subscription { gymLeaderboardChanged { rowId } }`);
      const network = subscribe(
        api,
        coach,
        `subscription { networkLeaderboardRefreshed { leaderboard query { leaderboardRefreshedAt } } }`,
      );
      // A gym B coach following the same class id learns nothing.
      const outsider = subscribe(
        api,
        await token(email("coach", GYM_B)),
        `subscription ($id: UUID!) { classBookedCount(classId: $id) { rowId bookedCount } }`,
        { id: klass.id },
      );
      const member = await token(email("member", GYM_A));
      for (let i = 0; counts.events.length === 0; i++) {
        const booked = await gql(
          api,
          `mutation ($id: UUID!) { createBooking(input: { booking: { classSessionId: $id } }) { booking { rowId } } }`,
          { id: klass.id },
          member,
        );
        expect(booked.errors).toBeUndefined();
        await counts
          .until(() => counts.events.length > 0, "booked count", i < 5 ? 2_000 : 20_000)
          .catch((e) => {
            if (i >= 5) throw e;
          });
        // Not listening yet: give the seat back and book again.
        if (counts.events.length === 0)
          await rootQuery("delete from app_public.bookings where class_session_id = $1", [klass.id]);
      }
      expect(counts.events[0]).toEqual({ data: { classBookedCount: { rowId: klass.id, bookedCount: expect.any(Number) } } });

      const [result] = await rootQuery<{ id: string }>(
        `insert into app_public.workout_results (tenant_id, workout_id, member_id, recorded_by, score, performed_on)
         select w.tenant_id, w.id, m.id, m.id, 123, current_date from app_public.workouts w
         join app_public.memberships m on m.tenant_id = w.tenant_id and m.role = 'member'
         where w.tenant_id = $1 limit 1 returning id`,
        [klass.tenant_id],
      );
      await rootQuery("delete from app_public.workout_results where id = $1", [result!.id]);
      await board.until(() => board.events.length > 0, "gym leaderboard event");
      expect(board.events[0]!.data.gymLeaderboardChanged).toEqual({ rowId: expect.any(String) });

      await rootQuery("select app_shared.refresh_leaderboards()");
      await network.until(() => network.events.length > 0, "network refresh event");
      expect(network.events[0]!.data.networkLeaderboardRefreshed).toEqual({
        leaderboard: expect.stringMatching(/^network_best_/),
        query: { leaderboardRefreshedAt: expect.any(String) },
      });
      expect(outsider.events).toEqual([]);
      await Promise.all([counts, board, network, outsider].map((s) => s.dispose()));
    } finally {
      await rootQuery("delete from app_public.class_sessions where id = $1", [klass.id]);
    }
  });

  it("anonymous may not subscribe to a gym's events", async () => {
    const anon = subscribe(api, null, MESSAGES);
    await anon.until(() => anon.errors.length > 0 || anon.events.some((e) => e.errors), "a refusal");
    expect(JSON.stringify([anon.errors, anon.events])).toContain("SUBSCRIPTION_FORBIDDEN");
  });

  it("a subscription's page size from a variable is limited as over HTTP (PAGE_SIZE_EXCEEDED)", async () => {
    const sub = subscribe(
      api,
      await token(email("coach", GYM_A)),
      `subscription ($n: Int) { gymLeaderboardChanged { leaderboard(first: $n) { nodes { rank } } } }`,
      { n: 100_000 },
    );
    await sub.until(() => sub.errors.length > 0 || sub.events.length > 0, "a refusal");
    expect(JSON.stringify([sub.errors, sub.events])).toContain("PAGE_SIZE_EXCEEDED");
  });

  it("a credential check over a websocket is refused (no client address for the login budget)", async () => {
    const sub = subscribe(
      api,
      null,
      `mutation { authenticate(input: { email: "member@${GYM_A}.test", password: "x" }) { jwtToken } }`,
    );
    await sub.until(() => sub.errors.length > 0 || sub.events.length > 0, "an answer");
    expect(JSON.stringify([sub.errors, sub.events])).toContain("AUTH_UNAVAILABLE");
  });

  it("logging out ends the subscription (4401 SESSION_INVALID) and nothing more is delivered", async () => {
    const fresh = await login(api, email("member", GYM_A));
    const sub = subscribe(api, fresh, MESSAGES);
    const coachA = email("coach", GYM_A),
      memberA = email("member", GYM_A);
    for (let i = 0; sub.events.length === 0; i++) {
      await send(coachA, memberA, GYM_A, `rt before logout ${i}`);
      await sub
        .until(() => sub.events.length > 0, "a first message", 2_000)
        .catch((e) => {
          if (i >= 5) throw e;
        });
    }
    const delivered = sub.events.length;
    expect((await gql(api, "mutation { logout(input: {}) { result } }", {}, fresh)).data).toEqual({ logout: { result: true } });
    await send(coachA, memberA, GYM_A, "rt after logout");
    await sub.until(() => sub.closed !== null, "the socket to close");
    expect(sub.closed).toEqual({ code: 4401, reason: "SESSION_INVALID" });
    expect(sub.events.length).toBe(delivered);
  });

  it("a socket opened before logout cannot run one more query or write (checked per operation, not only every minute)", async () => {
    const fresh = await login(api, email("coach", GYM_A));
    let closed: { code: number; reason: string } | null = null;
    const client = createClient({
      url: `${api.url.replace(/^http/, "ws")}/graphql`,
      webSocketImpl: WebSocketImpl,
      connectionParams: { authorization: `Bearer ${fresh}` },
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => undefined,
      on: {
        closed: (event) => {
          const e = event as { code: number; reason: string };
          closed = { code: e.code, reason: String(e.reason) };
        },
      },
    });
    clients.push(client);
    const run = (query: string) =>
      new Promise<{ data?: unknown; errors?: unknown }>((resolve) => {
        let result: { data?: unknown; errors?: unknown } = {};
        client.subscribe(
          { query },
          {
            next: (value) => {
              result = value as typeof result;
            },
            error: (error) => resolve({ errors: error }),
            complete: () => resolve(result),
          },
        );
      });
    expect(await run("{ currentGym { slug } }")).toEqual({ data: { currentGym: { slug: GYM_A } } });
    expect((await gql(api, "mutation { logout(input: {}) { result } }", {}, fresh)).data).toEqual({ logout: { result: true } });
    const after = await run("{ currentGym { slug } }");
    expect(after).not.toHaveProperty("data.currentGym.slug", GYM_A);
    expect(closed).toEqual({ code: 4401, reason: "SESSION_INVALID" });
  });

  it("a token that expires closes its socket (4401 TOKEN_EXPIRED)", async () => {
    // A genuine session, re-signed to expire in two seconds (same secret, audience, issuer).
    const { iat: _iat, exp: _exp, ...claims } = decodeToken(await login(api, email("member", GYM_A)));
    const shortLived = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) + 2 }, testDb().jwtSecret, {
      algorithm: "HS256",
    });
    expect(claims.aud).toBe(AUDIENCE);
    const sub = subscribe(api, shortLived, MESSAGES);
    await sub.until(() => sub.closed !== null, "the socket to close at exp", 15_000);
    expect(sub.closed).toEqual({ code: 4401, reason: "TOKEN_EXPIRED" });
  });
});
