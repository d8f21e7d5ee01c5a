/**
 * Class capacity is enforced by the database: the bookings trigger takes a seat with a
 * conditional UPDATE of the class row (which serialises concurrent bookings of one class)
 * and refuses with IC011 when none is left; a CHECK makes overbooking impossible anyway.
 */
import { citusMode } from "../src/db/citus";
import { randomUUID } from "node:crypto";
import { gql, login, startTestApi } from "./support/api";
import { claimsOf, commitAsPersona, race } from "./support/concurrency";
import { asPersona, createGymUser, expectPgError, persona, rootQuery } from "./support/db";
import type { Claims } from "../src/auth/verify-token";

interface RaceGym {
  slug: string;
  gym: string;
  coach: Claims;
  members: Claims[];
}

/** A fresh pro gym (committed) with a coach and `n` members; the first member has a password. */
async function raceGym(n: number): Promise<RaceGym> {
  const platform = await persona("platform_owner");
  const slug = `book-${randomUUID().slice(0, 8)}`;
  const gym = await commitAsPersona(
    platform,
    async (db) =>
      (await db.query<{ id: string }>("select id from app_public.provision_gym('Booking Gym', $1, 'pro')", [slug])).rows[0]!.id,
  );
  const coach = await createGymUser({ role: "coach", gym: { id: gym, slug }, email: `coach@${slug}.test`, password: null });
  const members = [];
  for (let i = 1; i <= n; i++) {
    members.push(
      await createGymUser({
        role: "member",
        gym: { id: gym, slug },
        email: `m${i}@${slug}.test`,
        password: i === 1 ? "race-password" : null,
      }),
    );
  }
  return {
    slug,
    gym,
    coach: claimsOf("coach", coach.userId, gym),
    members: members.map((m) => claimsOf("member", m.userId, gym)),
  };
}

async function newClass(g: RaceGym, capacity: number): Promise<string> {
  return commitAsPersona(
    g.coach,
    async (db) =>
      (
        await db.query<{ id: string }>(
          "insert into app_public.class_sessions (title, starts_at, capacity) values ('Race class', now() + interval '1 day', $1) returning id",
          [capacity],
        )
      ).rows[0]!.id,
  );
}

const BOOK = "insert into app_public.bookings (class_session_id) values ($1)";

async function seats(classId: string) {
  const [row] = await rootQuery<{ booked_count: number; capacity: number; bookings: string }>(
    `select c.booked_count, c.capacity, (select count(*) from app_public.bookings b where b.tenant_id = c.tenant_id and b.class_session_id = c.id) as bookings
     from app_public.class_sessions c where c.id = $1`,
    [classId],
  );
  return row!;
}

describe("bookings", () => {
  let g: RaceGym;
  beforeAll(async () => {
    g = await raceGym(12);
  });

  it("10 members booking the last 3 seats at the same moment: exactly 3 get in, 7 get IC011", async () => {
    const classId = await newClass(g, 5);
    // Two seats are already taken.
    for (const m of g.members.slice(10, 12)) await commitAsPersona(m, (db) => db.query(BOOK, [classId]));
    const outcomes = await race(g.members.slice(0, 10).map((who) => ({ who, sql: BOOK, params: [classId] })));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    // Citus hands on a worker's error with its SQLSTATE and message but without the constraint name.
    expect(outcomes.filter((o) => !o.ok).map((o) => [o.code, o.message, o.constraint])).toEqual(
      Array(7).fill(["IC011", "Class is full", citusMode() ? undefined : "class_sessions_not_overbooked"]),
    );
    expect(await seats(classId)).toEqual({ booked_count: 5, capacity: 5, bookings: "5" });
  });

  it("a full class refuses with IC011; a cancellation gives the seat back", async () => {
    const classId = await newClass(g, 1);
    const [a, b, c] = g.members;
    await commitAsPersona(a!, (db) => db.query(BOOK, [classId]));
    expect((await expectPgError(b!, BOOK, [classId])).code).toBe("IC011");
    await asPersona(a!, async (db) => {
      const del = await db.query("delete from app_public.bookings where class_session_id = $1", [classId]);
      expect(del.rowCount).toBe(1);
      expect((await db.query("select booked_count from app_public.class_sessions where id = $1", [classId])).rows).toEqual([
        { booked_count: 0 },
      ]);
    });
    // (rolled back: a still holds the seat)
    expect((await expectPgError(c!, BOOK, [classId])).code).toBe("IC011");
  });

  it("members cannot move booked_count themselves, and capacity cannot drop below the bookings", async () => {
    const classId = await newClass(g, 2);
    await commitAsPersona(g.members[0]!, (db) => db.query(BOOK, [classId]));
    await commitAsPersona(g.members[1]!, (db) => db.query(BOOK, [classId]));
    expect(
      (await expectPgError(g.members[0]!, "update app_public.class_sessions set booked_count = 0 where id = $1", [classId])).code,
    ).toBe("42501");
    expect(
      (await expectPgError(g.coach, "update app_public.class_sessions set booked_count = 0 where id = $1", [classId])).code,
    ).toBe("42501");
    const shrink = await expectPgError(g.coach, "update app_public.class_sessions set capacity = 1 where id = $1", [classId]);
    expect(shrink.code).toBe("23514");
  });

  it("a coach can delete a booked class (its bookings go with it)", async () => {
    const classId = await newClass(g, 3);
    await commitAsPersona(g.members[0]!, (db) => db.query(BOOK, [classId]));
    await asPersona(g.coach, async (db) => {
      const res = await db.query("delete from app_public.class_sessions where id = $1", [classId]);
      expect(res.rowCount).toBe(1);
      expect(
        (await db.query("select count(*)::int as n from app_public.bookings where class_session_id = $1", [classId])).rows,
      ).toEqual([{ n: 0 }]);
    });
  });

  it("only members hold bookings; a member books only for themself", async () => {
    const classId = await newClass(g, 5);
    const coachBooksCoach = await expectPgError(
      g.coach,
      "insert into app_public.bookings (class_session_id, member_id) values ($1, app_hidden.current_membership_id())",
      [classId],
    );
    expect(coachBooksCoach.code).toBe("IC012");
    const other = await rootQuery<{ id: string }>("select id from app_public.memberships where tenant_id = $1 and user_id = $2", [
      g.gym,
      g.members[1]!.userId,
    ]);
    const forSomeoneElse = await expectPgError(
      g.members[0]!,
      "insert into app_public.bookings (class_session_id, member_id) values ($1, $2)",
      [classId, other[0]!.id],
    );
    expect(forSomeoneElse.code).toBe("42501");
  });

  it("a full class reaches the GraphQL client as IC011", async () => {
    const classId = await newClass(g, 1);
    await commitAsPersona(g.members[1]!, (db) => db.query(BOOK, [classId]));
    const api = await startTestApi();
    try {
      const token = await login(api, `m1@${g.slug}.test`, "race-password");
      const res = await gql(
        api,
        `mutation ($id: UUID!) { createBooking(input: { booking: { classSessionId: $id } }) { booking { rowId } } }`,
        { id: classId },
        token,
      );
      expect(res.errors?.[0]).toMatchObject({ message: "Class is full", extensions: { code: "IC011" } });
      expect(res.data?.createBooking ?? null).toBeNull();
    } finally {
      await api.close();
    }
  });
});
