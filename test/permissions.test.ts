/**
 * The permission matrix (src/permissions/matrix.ts), proved cell by cell against Postgres:
 * every test below runs SQL as the role, exactly as the API would (asPersona: the
 * authenticator, SET ROLE, the request's claims, real policies and grants), and compares
 * what it saw or changed with ground truth read as a superuser. Every cell of the matrix
 * becomes a test here; a cell this file cannot prove (no fixture, no suitable row) fails.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { PoolClient } from "pg";
import { FUNCTIONS, MATRIX, OPERATIONS, ROLES, type Access, type Role } from "../src/permissions/matrix";
import { renderPermissionsMarkdown } from "../src/permissions/render";
import type { GymRole } from "../src/roles";
import { GYM_A, GYM_B, asPersona, gymId, persona, rootQuery, rootWriteResults, type Persona } from "./support/db";

type Row = Record<string, string | boolean | null>;

interface InsertCtx {
  tenantId: string;
  /** The membership the new row should belong to (its insertOwner column), if the table has one. */
  owner: string | null;
}

interface Fixture {
  /** Columns that identify a row. */
  key: string[];
  /** The gym column; "id" for gyms, null for global tables. */
  tenant: string | null;
  /** Membership columns that make a row "own" (any of them) / "assigned" (client in any of them). */
  owner?: string[];
  /** Column an insert sets to the owner (default owner[0]). */
  insertOwner?: string;
  /**
   * The owner column is stamped from the token and has no insert grant (messages.sender_id,
   * posts/comments.author_id): a row of the caller's own leaves it out; naming someone else
   * in it is refused (42501, no grant).
   */
  stamped?: boolean;
  /** Owner columns for update/delete when they differ from select (messages: the recipient marks read). */
  writeOwner?: string[];
  /** The owner columns hold a user id rather than a membership id (users). */
  ownerIsUser?: boolean;
  /** Role an inserted row's owner must hold (default: any role). */
  ownerRole?: GymRole;
  /** SQL predicate for `published`. */
  published?: string;
  /** Column values for a new row; null when this owner cannot be used (then another is tried). */
  insert(ctx: InsertCtx): Promise<Record<string, unknown> | null>;
  /** A column the update sets to its own value. */
  update: string;
}

let seq = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${++seq}`;
async function one<T extends object>(sql: string, params: unknown[]): Promise<T | undefined> {
  return (await rootQuery<T>(sql, params))[0];
}

const FIXTURES: Record<string, Fixture> = {
  plans: {
    key: ["id"],
    tenant: null,
    update: "name",
    // The key is a gym_plan: an existing value, so only the missing grant can refuse the insert.
    insert: async () => ({ id: "free", name: "Test" }),
  },
  gyms: {
    key: ["id"],
    tenant: "id",
    update: "name",
    insert: async () => ({ name: "New gym", slug: unique("perm-gym") }),
  },
  users: {
    key: ["id"],
    tenant: null,
    owner: ["id"],
    ownerIsUser: true,
    update: "display_name",
    insert: async () => ({ email: `${unique("perm-user")}@example.test`, display_name: "New person" }),
  },
  memberships: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["id"],
    update: "role",
    insert: async ({ tenantId }) => {
      const u = await one<{ id: string }>(
        `select u.id from app_public.users u where not exists
           (select 1 from app_public.memberships m where m.user_id = u.id and m.tenant_id = $1) limit 1`,
        [tenantId],
      );
      return { tenant_id: tenantId, user_id: u!.id, role: "member", display_name: "Perm" };
    },
  },
  invitations: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    update: "display_name",
    insert: async ({ tenantId }) => ({
      tenant_id: tenantId,
      email: `${unique("perm-invite")}@example.test`,
      role: "member",
      display_name: "Perm",
      token_hash: "\\x00",
      expires_at: new Date(Date.now() + 86_400_000).toISOString(),
    }),
  },
  account_events: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    update: "role",
    insert: async ({ tenantId }) => ({ tenant_id: tenantId, action: "membership_created", actor_role: "gym_admin" }),
  },
  network_preferences: {
    key: ["tenant_id", "membership_id"],
    tenant: "tenant_id",
    owner: ["membership_id"],
    update: "display_name",
    insert: async ({ tenantId, owner }) => ({ tenant_id: tenantId, membership_id: owner, display_name: "Perm" }),
  },
  benchmarks: {
    key: ["id"],
    tenant: null,
    update: "name",
    insert: async () => ({ slug: unique("perm-bench"), name: "Test benchmark", score_type: "reps" }),
  },
  profiles: {
    key: ["tenant_id", "membership_id"],
    tenant: "tenant_id",
    owner: ["membership_id"],
    update: "bio",
    insert: async ({ tenantId, owner }) => ({ tenant_id: tenantId, membership_id: owner }),
  },
  trainer_assignments: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["trainer_id", "client_id"],
    insertOwner: "client_id",
    ownerRole: "member",
    update: "notes",
    insert: async ({ tenantId, owner }) => {
      const pt = await one<{ id: string }>(
        `select m.id from app_public.memberships m where m.tenant_id = $1 and m.role = 'personal_trainer'
           and not exists (select 1 from app_public.trainer_assignments a
                           where a.tenant_id = m.tenant_id and a.trainer_id = m.id and a.client_id = $2)
         limit 1`,
        [tenantId, owner],
      );
      return pt ? { tenant_id: tenantId, trainer_id: pt.id, client_id: owner } : null;
    },
  },
  workouts: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    published: "is_published",
    update: "title",
    insert: async ({ tenantId }) => ({ tenant_id: tenantId, title: "Test WOD", scoring_type: "reps", is_published: false }),
  },
  class_sessions: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    update: "title",
    insert: async ({ tenantId }) => ({
      tenant_id: tenantId,
      title: "Test class",
      starts_at: new Date().toISOString(),
      capacity: 10,
    }),
  },
  bookings: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["member_id"],
    ownerRole: "member",
    update: "checked_in_at",
    insert: async ({ tenantId, owner }) => {
      const cls = await one<{ id: string }>(
        `select c.id from app_public.class_sessions c where c.tenant_id = $1 and c.booked_count < c.capacity
           and not exists (select 1 from app_public.bookings b
                           where b.tenant_id = c.tenant_id and b.class_session_id = c.id and b.member_id = $2)
         order by c.starts_at limit 1`,
        [tenantId, owner],
      );
      return cls ? { tenant_id: tenantId, class_session_id: cls.id, member_id: owner } : null;
    },
  },
  workout_bests: {
    key: ["tenant_id", "workout_id", "member_id"],
    tenant: "tenant_id",
    published: "is_published",
    update: "score",
    insert: async ({ tenantId }) => {
      // A member with no best for this workout yet: the insert fails only on the permission.
      const w = await one<{ id: string; member: string }>(
        `select w.id, m.id as member from app_public.workouts w join app_public.memberships m on m.tenant_id = w.tenant_id
          where w.tenant_id = $1 and w.is_published
            and not exists (select 1 from app_public.workout_bests b where b.tenant_id = w.tenant_id and b.workout_id = w.id and b.member_id = m.id)
          limit 1`,
        [tenantId],
      );
      return {
        tenant_id: tenantId,
        workout_id: w!.id,
        member_id: w!.member,
        is_rx: true,
        sort_score: 1,
        score: 1,
        performed_on: "2025-01-01",
        result_id: "00000000-0000-0000-0000-000000000000",
        is_published: true,
      };
    },
  },
  workout_results: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["member_id"],
    ownerRole: "member",
    update: "score",
    insert: async ({ tenantId, owner }) => {
      const w = await one<{ id: string }>("select id from app_public.workouts where tenant_id = $1 and is_published limit 1", [
        tenantId,
      ]);
      return { tenant_id: tenantId, workout_id: w!.id, member_id: owner, score: 123 };
    },
  },
  progress_metrics: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["member_id"],
    ownerRole: "member",
    update: "value",
    insert: async ({ tenantId, owner }) => ({
      tenant_id: tenantId,
      member_id: owner,
      kind: "body_weight",
      value: 80,
      unit: "kg",
    }),
  },
  membership_plans: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    update: "name",
    insert: async ({ tenantId }) => ({ tenant_id: tenantId, name: unique("Plan"), price_cents: 5000 }),
  },
  payments: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["member_id"],
    ownerRole: "member",
    update: "status",
    insert: async ({ tenantId, owner }) => ({
      tenant_id: tenantId,
      member_id: owner,
      amount_cents: 12000,
      period_start: "2025-01-01",
      period_end: "2025-01-31",
    }),
  },
  messages: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["sender_id", "recipient_id"],
    insertOwner: "sender_id",
    stamped: true,
    writeOwner: ["recipient_id"],
    update: "read_at",
    insert: async ({ tenantId, owner }) => {
      const to = await one<{ id: string }>("select id from app_public.memberships where tenant_id = $1 and id <> $2 limit 1", [
        tenantId,
        owner,
      ]);
      return { tenant_id: tenantId, sender_id: owner, recipient_id: to!.id, body: "hi" };
    },
  },
  posts: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["author_id"],
    stamped: true,
    update: "body",
    insert: async ({ tenantId, owner }) => ({ tenant_id: tenantId, author_id: owner, body: "test post" }),
  },
  comments: {
    key: ["tenant_id", "id"],
    tenant: "tenant_id",
    owner: ["author_id"],
    stamped: true,
    update: "body",
    insert: async ({ tenantId, owner }) => {
      const post = await one<{ id: string }>("select id from app_public.posts where tenant_id = $1 limit 1", [tenantId]);
      return { tenant_id: tenantId, post_id: post!.id, author_id: owner, body: "test comment" };
    },
  },
};

//------------------------------------------------------------------------------------------
// Ground truth (superuser, outside RLS), cached: this file's own writes are all rolled back.

const rowCache = new Map<string, Promise<Row[]>>();
function groundTruth(table: string): Promise<Row[]> {
  let rows = rowCache.get(table);
  if (!rows) {
    const f = FIXTURES[table]!;
    const cols = new Set([...f.key, ...(f.owner ?? []), ...(f.tenant ? [f.tenant] : [])]);
    const select = [...cols].map((col) => `${col}::text as "${col}"`);
    if (f.published) select.push(`(${f.published}) as _published`);
    rows = rootQuery<Row>(`select ${select.join(", ")} from app_public.${table}`);
    rowCache.set(table, rows);
  }
  return rows;
}
const keyOf = (f: Fixture, row: Row) => JSON.stringify(f.key.map((k) => row[k]));

interface Who {
  persona: Persona;
  /** The gym the tests act in: the persona's own, or gym A for the platform owner and anonymous. */
  home: string;
  /** Another demo gym. */
  away: string;
  /** The persona's membership in its gym, or null. */
  me: string | null;
  clients: string[];
}

const whoCache = new Map<Role, Promise<Who>>();
function who(role: Role): Promise<Who> {
  let w = whoCache.get(role);
  if (!w) {
    w = (async () => {
      const p = await persona(role, GYM_A);
      const home = await gymId(GYM_A);
      const away = await gymId(GYM_B);
      const m =
        p.userId && p.tenantId
          ? await one<{ id: string }>("select id from app_public.memberships where tenant_id = $1 and user_id = $2", [
              p.tenantId,
              p.userId,
            ])
          : undefined;
      const clients = m
        ? (
            await rootQuery<{ client_id: string }>(
              "select client_id from app_public.trainer_assignments where tenant_id = $1 and trainer_id = $2",
              [home, m.id],
            )
          ).map((r) => r.client_id)
        : [];
      return { persona: p, home, away, me: m?.id ?? null, clients };
    })();
    whoCache.set(role, w);
  }
  return w;
}

const isMine = (row: Row, cols: string[] | undefined, me: string | null) => !!me && !!cols?.some((c) => row[c] === me);
/** "Me" as the table's owner columns name me: my user id or my membership id. */
const meIn = (f: Fixture, w: Who) => (f.ownerIsUser ? w.persona.userId : w.me);
const isClients = (row: Row, cols: string[] | undefined, clients: string[]) =>
  !!cols?.some((c) => clients.includes(row[c] as string));

//------------------------------------------------------------------------------------------
// Acting as the role.

/** Run one statement in a savepoint: whether it took effect (rowCount), or the SQLSTATE that refused it. */
async function attempt(
  db: PoolClient,
  sql: string,
  params: unknown[],
): Promise<{ rows: number; code?: string; message?: string }> {
  await db.query("savepoint attempt");
  try {
    const res = await db.query(sql, params);
    return { rows: res.rowCount ?? 0 };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { rows: 0, code: e.code, message: e.message };
  } finally {
    await db.query("rollback to savepoint attempt");
  }
}

function where(f: Fixture, row: Row, offset = 0) {
  return { sql: f.key.map((k, i) => `${k}::text = $${i + 1 + offset}`).join(" and "), params: f.key.map((k) => row[k]) };
}

/** A refusal is either "permission denied / RLS" (42501) or "no row touched"; anything else is a bug. */
function expectRefused(result: { rows: number; code?: string; message?: string }, what: string) {
  if (result.code && result.code !== "42501")
    throw new Error(`${what}: expected a refusal, got ${result.code} ${result.message}`);
  expect({ what, rows: result.rows }).toEqual({ what, rows: 0 });
}
function expectDone(result: { rows: number; code?: string; message?: string }, what: string) {
  expect({ what, rows: result.rows, error: result.code ? `${result.code} ${result.message}` : undefined }).toEqual({
    what,
    rows: 1,
    error: undefined,
  });
}

//------------------------------------------------------------------------------------------

async function checkSelect(table: string, role: Role, access: Access) {
  const f = FIXTURES[table]!;
  const w = await who(role);
  const all = await groundTruth(table);
  const seen = await asPersona(w.persona, async (db) => {
    try {
      const res = await db.query<Row>(`select ${f.key.map((k) => `${k}::text as "${k}"`).join(", ")} from app_public.${table}`);
      return new Set(res.rows.map((row) => keyOf(f, row)));
    } catch (error) {
      expect((error as { code?: string }).code).toBe("42501"); // no grant at all: sees nothing
      return new Set<string>();
    }
  });
  const inGym = f.tenant ? all.filter((r) => r[f.tenant!] === (w.persona.tenantId ?? w.home)) : all;
  expect(inGym.length).toBeGreaterThan(0); // otherwise the cell proves nothing

  if (role === "platform_owner" && access === "all" && !f.tenant) {
    // Every row: a superset of what was there (other test files may be adding rows).
    expect(all.map((r) => keyOf(f, r)).filter((k) => !seen.has(k))).toEqual([]);
    return;
  }
  if (role === "platform_owner" && access === "all" && f.tenant) {
    // Every gym: a superset of the demo gyms' rows (other test files may be adding gyms).
    const demo = new Set([w.home, w.away, await gymId("tiny-box")]);
    const expected = all.filter((r) => demo.has(r[f.tenant!] as string)).map((r) => keyOf(f, r));
    expect(expected.filter((k) => !seen.has(k))).toEqual([]);
    expect(new Set(all.filter((r) => seen.has(keyOf(f, r))).map((r) => r[f.tenant!])).size).toBeGreaterThan(1);
    return;
  }
  let expected: Row[];
  switch (access) {
    case "all":
      expected = inGym;
      break;
    case "own":
      expected = inGym.filter((r) => isMine(r, f.owner, meIn(f, w)));
      break;
    case "assigned":
      expected = inGym.filter((r) => isClients(r, f.owner, w.clients));
      break;
    case "published":
      expected = inGym.filter((r) => r._published === true);
      break;
    case "deny":
      expected = [];
      break;
  }
  if (access !== "all" && access !== "deny") {
    expect(expected.length).toBeGreaterThan(0); // there is something of theirs to see...
    expect(expected.length).toBeLessThan(inGym.length); // ...and something that is not
  }
  expect([...seen].sort()).toEqual(expected.map((r) => keyOf(f, r)).sort());
}

async function checkWrite(table: string, role: Role, op: "update" | "delete", access: Access) {
  const f = FIXTURES[table]!;
  const w = await who(role);
  const all = await groundTruth(table);
  const tenantOf = (r: Row) => (f.tenant ? (r[f.tenant] as string) : null);
  const home = all.filter((r) => !f.tenant || tenantOf(r) === w.home);
  const away = all.filter((r) => f.tenant && tenantOf(r) === w.away);
  const cols = f.writeOwner ?? f.owner;
  const me = meIn(f, w);
  const mine = home.filter((r) => isMine(r, cols, me));
  const others = home.filter((r) => !isMine(r, f.owner, me));
  const clients = others.filter((r) => isClients(r, cols, w.clients));
  const strangers = others.filter((r) => !isClients(r, f.owner, w.clients));

  const statement = (row: Row) => {
    const cond = where(f, row);
    return op === "update"
      ? { sql: `update app_public.${table} set ${f.update} = ${f.update} where ${cond.sql}`, params: cond.params }
      : { sql: `delete from app_public.${table} where ${cond.sql}`, params: cond.params };
  };
  const must: [string, Row | undefined][] = [];
  const mustNot: [string, Row | undefined][] = [];
  const global = !f.tenant;
  switch (access) {
    case "all":
      must.push(["a row of the gym that is not the caller's", others[0]]);
      if (role === "platform_owner" && !global) must.push(["a row of another gym", away[0]]);
      else if (!global) mustNot.push(["a row of another gym", away[0]]);
      break;
    case "own":
      must.push(["the caller's own row", mine[0]]);
      mustNot.push(["someone else's row", others.find((r) => !isMine(r, cols, me))]);
      if (f.writeOwner) {
        // e.g. a message you sent: yours to read, not yours to mark read.
        mustNot.push([
          "a row that is the caller's only to read",
          home.find((r) => isMine(r, f.owner, me) && !isMine(r, cols, me)),
        ]);
      }
      if (!global) mustNot.push(["a row of another gym", away[0]]);
      break;
    case "assigned":
      must.push(["an assigned client's row", clients[0]]);
      mustNot.push(["a row of a member who is not a client", strangers[0]]);
      if (!global) mustNot.push(["a row of another gym", away[0]]);
      break;
    case "published":
    case "deny":
      if (mine[0]) mustNot.push(["the caller's own row", mine[0]]);
      mustNot.push(["someone else's row", others[0]]);
      if (!global) mustNot.push(["a row of another gym", away[0]]);
      break;
  }
  // One rolled-back transaction per attempt, as one request is: on Citus a write and then a
  // SECURITY DEFINER policy helper's read of the same shard in one transaction is refused (25001).
  for (const [what, row] of must) {
    if (!row) throw new Error(`no fixture row for "${what}" in ${table}`);
    const s = statement(row);
    await asPersona(w.persona, async (db) => expectDone(await attempt(db, s.sql, s.params), `${op} ${what}`));
  }
  for (const [what, row] of mustNot) {
    if (!row) throw new Error(`no fixture row for "${what}" in ${table}`);
    const s = statement(row);
    await asPersona(w.persona, async (db) => expectRefused(await attempt(db, s.sql, s.params), `${op} ${what}`));
  }
}

async function memberships(tenantId: string, role?: GymRole): Promise<string[]> {
  const rows = await rootQuery<{ id: string }>(
    "select id::text from app_public.memberships where tenant_id = $1 and ($2::text is null or role::text = $2) order by created_at, id",
    [tenantId, role ?? null],
  );
  return rows.map((r) => r.id);
}

async function checkInsert(table: string, role: Role, access: Access) {
  const f = FIXTURES[table]!;
  const w = await who(role);
  const owned = !!f.owner;
  const candidates = owned ? (await memberships(w.home, f.ownerRole)).filter((id) => id !== w.me) : [null];
  const awayOwners = owned ? await memberships(w.away, f.ownerRole) : [null];

  /** Values for a row in `tenantId` owned by the first usable candidate. */
  const build = async (tenantId: string, owners: (string | null)[]) => {
    for (const owner of owners) {
      const values = await f.insert({ tenantId, owner });
      if (values) return values;
    }
    throw new Error(`no usable fixture owner for an insert into ${table}`);
  };
  const statement = (input: Record<string, unknown>) => {
    const values = { ...input };
    const ownerColumn = f.insertOwner ?? f.owner?.[0];
    if (f.stamped && ownerColumn && values[ownerColumn] === w.me) delete values[ownerColumn];
    const cols = Object.keys(values);
    return {
      sql: `insert into app_public.${table} (${cols.join(", ")}) values (${cols.map((_, i) => `$${i + 1}`).join(", ")})`,
      params: Object.values(values),
    };
  };
  const must: [string, Record<string, unknown>][] = [];
  const mustNot: [string, Record<string, unknown>][] = [];
  switch (access) {
    case "all":
      must.push(["a row of the gym (for someone else)", await build(w.home, candidates)]);
      break;
    case "own":
      must.push(["a row of the caller's own", await build(w.home, [w.me])]);
      mustNot.push(["a row for someone else", await build(w.home, candidates)]);
      break;
    case "assigned":
      must.push(["a row for an assigned client", await build(w.home, w.clients)]);
      mustNot.push([
        "a row for a member who is not a client",
        await build(
          w.home,
          candidates.filter((c) => !w.clients.includes(c!)),
        ),
      ]);
      break;
    case "published":
    case "deny":
      if (owned && w.me) mustNot.push(["a row of the caller's own", await build(w.home, [w.me])]);
      mustNot.push(["a row for someone else", await build(w.home, candidates)]);
      break;
  }
  if (f.tenant && role !== "platform_owner") mustNot.push(["a row in another gym", await build(w.away, awayOwners)]);

  // One rolled-back transaction per attempt (see checkWrite).
  for (const [what, values] of must) {
    const s = statement(values);
    await asPersona(w.persona, async (db) => expectDone(await attempt(db, s.sql, s.params), `insert ${what}`));
  }
  for (const [what, values] of mustNot) {
    const s = statement(values);
    const r = await asPersona(w.persona, (db) => attempt(db, s.sql, s.params));
    expect({ what, code: r.code }).toEqual({ what, code: "42501" });
  }
}

//------------------------------------------------------------------------------------------

describe("permission matrix", () => {
  // A best on a draft workout (a coach trying the programming out), so that the `published`
  // scope of workout_bests has something to hide; removed afterwards.
  beforeAll(async () => {
    await rootWriteResults(
      `insert into app_public.workout_results (tenant_id, workout_id, member_id, recorded_by, score, notes)
       select w.tenant_id, w.id, m.id, m.id, 1, 'perm-draft'
         from app_public.workouts w join app_public.memberships m on m.tenant_id = w.tenant_id and m.role = 'coach'
        where w.tenant_id = $1 and not w.is_published limit 1`,
      [await gymId(GYM_A)],
    );
  });
  afterAll(async () => {
    await rootWriteResults("delete from app_public.workout_results where notes = 'perm-draft'");
  });

  it("docs/PERMISSIONS.md is up to date (run `npm run docs:permissions`)", async () => {
    const committed = await readFile(path.resolve(__dirname, "../docs/PERMISSIONS.md"), "utf8");
    expect(committed).toBe(renderPermissionsMarkdown());
  });

  it("covers every table in app_public, and has a fixture for every table it names", async () => {
    const tables = await rootQuery<{ table_name: string }>(
      "select table_name from information_schema.tables where table_schema = 'app_public' and table_type = 'BASE TABLE' order by 1",
    );
    expect(MATRIX.map((r) => r.table).sort()).toEqual(tables.map((t) => t.table_name).sort());
    expect(Object.keys(FIXTURES).sort()).toEqual(MATRIX.map((r) => r.table).sort());
  });

  for (const rule of MATRIX) {
    describe(rule.table, () => {
      for (const role of ROLES) {
        for (const op of OPERATIONS) {
          const access = rule.access[role][op];
          it(`${role} ${op}: ${access}`, async () => {
            if (op === "select") await checkSelect(rule.table, role, access);
            else if (op === "insert") await checkInsert(rule.table, role, access);
            else await checkWrite(rule.table, role, op, access);
          });
        }
      }
    });
  }
});

describe("function matrix", () => {
  /**
   * `lookup`: a query run first, as the same persona, whose first row's values (null without a
   * row, or for a role that may not read it) follow `params`. Not a subquery in the call: Citus sends a function call whose argument
   * reads one shard to that shard, where a function reaching the coordinator-only mail outbox fails.
   */
  const calls: Record<
    string,
    (w: Who) => { sql: string; params: unknown[]; lookup?: { sql: string; params: unknown[] }; check?: (rows: Row[]) => void }
  > = {
    provision_gym: () => ({
      sql: "select id from app_public.provision_gym($1, $2, 'free')",
      params: ["Perm gym", unique("perm-fn")],
    }),
    invite_to_gym: (w) => ({
      sql: "select id from app_public.invite_to_gym($1, 'member', 'Perm Person', $2)",
      params: [`${unique("perm")}@example.test`, w.home],
    }),
    resend_invitation: (w) => ({
      sql: "select id from app_public.resend_invitation($1)",
      params: [],
      lookup: {
        sql: "select id from app_public.invitations where tenant_id = $1 and accepted_at is null and revoked_at is null limit 1",
        params: [w.home],
      },
      check: (rows) => expect(rows).toHaveLength(1),
    }),
    revoke_invitation: (w) => ({
      sql: "select id from app_public.revoke_invitation($1)",
      params: [],
      lookup: {
        sql: "select id from app_public.invitations where tenant_id = $1 and accepted_at is null and revoked_at is null limit 1",
        params: [w.home],
      },
      check: (rows) => expect(rows).toHaveLength(1),
    }),
    change_password: () => ({ sql: "select app_public.change_password('demo-password', 'perm-new-password')", params: [] }),
    logout_everywhere: () => ({ sql: "select app_public.logout_everywhere()", params: [] }),
    workouts_leaderboard: (w) => ({
      sql: `select l.* from app_public.workouts w, app_public.workouts_leaderboard(w) l
            where w.tenant_id = $1 and w.is_published`,
      params: [w.home],
      check: (rows) => expect(rows.length).toBeGreaterThan(0),
    }),
  };

  it("has a call for every function in the matrix", () => {
    expect(Object.keys(calls).sort()).toEqual(FUNCTIONS.map((f) => f.fn).sort());
  });

  for (const rule of FUNCTIONS) {
    for (const role of ROLES) {
      const allowed = rule.allowed[role];
      it(`${rule.fn}: ${role} ${allowed ? "may" : "may not"} call it`, async () => {
        const w = await who(role);
        const call = calls[rule.fn]!(w);
        await asPersona(w.persona, async (db) => {
          let found: Row | undefined;
          if (call.lookup) {
            // A role that may not read the table gets null (refused before the call runs anyway).
            await db.query("savepoint lookup");
            try {
              found = (await db.query<Row>(call.lookup.sql, call.lookup.params)).rows[0];
            } catch {
              await db.query("rollback to savepoint lookup");
            }
          }
          const params = [...call.params, ...(call.lookup ? (found ? Object.values(found) : [null]) : [])];
          if (allowed) {
            const res = await db.query<Row>(call.sql, params);
            call.check?.(res.rows);
          } else {
            const r = await attempt(db, call.sql, params);
            expect(r.code).toBe("42501");
          }
        });
      });
    }
  }
});
