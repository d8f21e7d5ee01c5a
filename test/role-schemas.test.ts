import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "postgraphile/graphql";
import { APP_ROLES, type AppRole } from "../src/roles";
import { nodeIdFor } from "../src/fuzz/ground-truth";
import { contractPath } from "../src/graphql/contract";
import type { RunningApi } from "../src/server";
import { gql, login, startTestApi, type GraphQLResponse } from "./support/api";
import { GYM_A, rootQuery } from "./support/db";

/**
 * One schema per visitor role, built from that role's own grants (src/graphql/serve.ts), and
 * each request answered from its token's role's schema. What each role is offered is listed
 * here, so a grant that widens or narrows a role's API shows up in review as a change to this
 * file as well as to schema/<role>.graphql.
 */
const LOGINS: Record<AppRole, string | null> = {
  anonymous: null,
  member: `member@${GYM_A}.test`,
  personal_trainer: `pt@${GYM_A}.test`,
  coach: `coach@${GYM_A}.test`,
  gym_admin: `admin@${GYM_A}.test`,
  platform_owner: "owner@ironclad.test",
};

/** Root query fields every role has: the Relay basics and who-am-I, the directory, plans and benchmarks. */
const COMMON =
  "benchmark benchmarkById benchmarkByRowIdAndScoreType benchmarkBySlug benchmarks currentGym gymDirectory id me myRole node plan planById plans query";
/** What every gym role reads in its own gym (RLS decides which rows). */
const GYM = `${COMMON} booking bookingById bookings classSession classSessionById classSessions comment commentById comments currentNetworkPreferences gym gymById gymBySlug gyms leaderboardRefreshedAt membership membershipById membershipPlan membershipPlanById membershipPlans memberships message messageById messages networkLeaderboard networkPreference networkPreferenceById networkPreferences post postById posts profile profileById profiles trainerAssignment trainerAssignmentById trainerAssignments user userByEmail userById users workout workoutById workoutResult workoutResultById workoutResults workouts`;
const PROGRESS = "progressMetric progressMetricById progressMetrics";
const PAYMENTS = "payment paymentById payments";
const ADMIN_READS = "accountEvent accountEventById accountEvents invitation invitationById invitations";

const EXPECTED: Record<AppRole, { query: string; mutations: number; has: string[]; hasNot: string[] }> = {
  anonymous: {
    query: COMMON,
    mutations: 5,
    has: [
      "authenticate",
      "refreshToken",
      "acceptInvitation",
      "requestPasswordReset",
      "resetPassword",
      "gymDirectory",
      "plans",
      "benchmarks",
    ],
    hasNot: ["memberships", "workouts", "payments", "users", "logout", "switchGym", "createBooking", "networkLeaderboard"],
  },
  member: {
    query: `${GYM} ${PROGRESS} ${PAYMENTS}`,
    mutations: 45,
    has: ["createBooking", "createWorkoutResult", "createProgressMetric", "createMessage", "switchGym", "logout"],
    hasNot: [
      "createPayment",
      "updatePayment",
      "createWorkout",
      "createClassSession",
      "createTrainerAssignment",
      "inviteToGym",
      "invitations",
      "accountEvents",
      "deleteMembership",
      "provisionGym",
      "platformRevenueFacts",
    ],
  },
  personal_trainer: {
    query: `${GYM} ${PROGRESS}`,
    mutations: 40,
    has: ["createProgressMetric", "trainerAssignments", "createWorkoutResult"],
    hasNot: ["payments", "createPayment", "createBooking", "createWorkout", "inviteToGym", "invitations", "provisionGym"],
  },
  coach: {
    query: GYM,
    mutations: 47,
    has: ["createWorkout", "createClassSession", "updateBooking", "workoutResults"],
    hasNot: [
      "progressMetrics",
      "payments",
      "createPayment",
      "createProgressMetric",
      "createWorkoutResult",
      "inviteToGym",
      "invitations",
      "provisionGym",
    ],
  },
  gym_admin: {
    query: `${GYM} ${PROGRESS} ${PAYMENTS} ${ADMIN_READS}`,
    mutations: 72,
    has: [
      "createPayment",
      "inviteToGym",
      "revokeInvitation",
      "createMembershipPlan",
      "createTrainerAssignment",
      "deleteMembership",
      "updateGym",
    ],
    hasNot: ["provisionGym", "createBenchmark", "platformRevenueFacts", "platformAuditEntries"],
  },
  platform_owner: {
    query: `${COMMON} ${PROGRESS} ${PAYMENTS} ${ADMIN_READS} booking bookingById bookings classSession classSessionById classSessions comment commentById comments gym gymById gymBySlug gyms leaderboardRefreshedAt membership membershipById membershipPlan membershipPlanById membershipPlans memberships networkLeaderboard networkPreference networkPreferenceById networkPreferences platformAuditEntries platformClassFacts platformMembershipFacts platformResultFacts platformRevenueFacts post postById posts profile profileById profiles trainerAssignment trainerAssignmentById trainerAssignments user userByEmail userById users workout workoutById workoutResult workoutResultById workoutResults workouts`,
    mutations: 26,
    has: ["provisionGym", "createBenchmark", "inviteToGym", "deleteMembership", "platformRevenueFacts"],
    hasNot: [
      "createPayment",
      "createBooking",
      "createWorkout",
      "createMessage",
      "messages",
      "currentNetworkPreferences",
      "setNetworkPreferences",
    ],
  },
};

const sorted = (names: string) => names.split(/\s+/).filter(Boolean).sort();
const fieldsOf = (schema: GraphQLSchema) => ({
  query: Object.keys(schema.getQueryType()!.getFields()).sort(),
  mutation: Object.keys(schema.getMutationType()?.getFields() ?? {}).sort(),
});

let api: RunningApi;
const tokens = {} as Record<AppRole, string | undefined>;
const served = {} as Record<AppRole, GraphQLSchema>;

beforeAll(async () => {
  api = await startTestApi();
  for (const role of APP_ROLES) {
    const email = LOGINS[role];
    tokens[role] = email ? await login(api, email) : undefined;
    // What the server answers this role's token with: its schema, introspected over HTTP.
    const intro = await gql<IntrospectionQuery>(api, getIntrospectionQuery(), {}, tokens[role]);
    if (!intro.data) throw new Error(`introspection as ${role} failed: ${JSON.stringify(intro.errors)}`);
    served[role] = buildClientSchema(intro.data);
  }
}, 120_000);

afterAll(async () => {
  await api?.close();
});

describe("a schema per role", () => {
  it.each(APP_ROLES)("%s: its root query fields, mutation count and key fields", (role) => {
    const expected = EXPECTED[role];
    const { query, mutation } = fieldsOf(served[role]);
    expect(query).toEqual(sorted(expected.query));
    expect(mutation.length).toBe(expected.mutations);
    const names = new Set([...query, ...mutation]);
    expect(expected.has.filter((n) => !names.has(n))).toEqual([]);
    expect(expected.hasNot.filter((n) => names.has(n))).toEqual([]);
  });

  it.each(APP_ROLES)("%s: the token is answered from that role's schema, the one committed as schema/%s.graphql", (role) => {
    const committed = fieldsOf(buildSchema(readFileSync(contractPath(role), "utf8")));
    expect(fieldsOf(served[role])).toEqual(committed);
  });

  it("a field outside the role's schema is a validation error, not a permission error", async () => {
    const res = await gql(api, "{ invitations { totalCount } }", {}, tokens.member);
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
    const admin = await gql<{ invitations: { totalCount: number } }>(api, "{ invitations { totalCount } }", {}, tokens.gym_admin);
    expect(admin.errors).toBeUndefined();
    expect(admin.data?.invitations.totalCount).toEqual(expect.any(Number));
  });
});

/** A value for a required argument that names nothing in particular (lookups then return null). */
function placeholder(type: ReturnType<typeof getNamedType>, returns: string): unknown {
  if (isEnumType(type)) return type.getValues()[0]?.name;
  if (!isScalarType(type)) return undefined;
  switch (type.name) {
    case "ID":
      // A well-formed node id of the field's own type, for a row that does not exist.
      return nodeIdFor(returns, [randomUUID(), randomUUID()]);
    case "UUID":
      return randomUUID();
    case "Int":
    case "Float":
      return 1;
    case "Boolean":
      return true;
    case "String":
      return "fran";
    default:
      return undefined;
  }
}

const leaves = (type: ReturnType<typeof getNamedType>): string[] =>
  isObjectType(type)
    ? Object.values(type.getFields())
        .filter((f) => isLeafType(getNamedType(f.type)) && !f.args.some((a) => isNonNullType(a.type)))
        .map((f) => f.name)
    : [];

/** `{ field(args) { …the scalar fields of its first node… } }`, or null when it cannot be called blind. */
function probe(field: GraphQLField<unknown, unknown>): { query: string; variables: Record<string, unknown> } | null {
  const variables: Record<string, unknown> = {};
  const defs: string[] = [];
  const uses: string[] = [];
  for (const arg of field.args) {
    const named = getNamedType(arg.type);
    if (arg.name === "first") {
      uses.push("first: 1");
      continue;
    }
    if (!isNonNullType(arg.type)) continue;
    const value = placeholder(named, getNamedType(field.type).name);
    if (value === undefined || isInputObjectType(named)) return null;
    variables[arg.name] = value;
    defs.push(`$${arg.name}: ${String(arg.type)}`);
    uses.push(`${arg.name}: $${arg.name}`);
  }
  const type = getNamedType(field.type);
  let selection = "";
  if (isObjectType(type)) {
    const nodes = type.getFields().nodes;
    const inner = nodes ? leaves(getNamedType(nodes.type)) : leaves(type);
    if (inner.length === 0) return null;
    selection = nodes ? `{ nodes { ${inner.join(" ")} } }` : `{ ${inner.join(" ")} }`;
  } else if (!isLeafType(type)) {
    return null;
  }
  const head = defs.length ? `query (${defs.join(", ")})` : "query";
  return { query: `${head} { ${field.name}${uses.length ? `(${uses.join(", ")})` : ""} ${selection} }`, variables };
}

/** "42501: …" when Postgres refused the operation (or the server failed), else null. */
function grantRefusal(res: GraphQLResponse): string | null {
  if (res.status >= 500) return `HTTP ${res.status}`;
  const refused = (res.errors ?? []).filter((e) => e.extensions?.code === "42501");
  return refused.length ? `42501: ${refused.map((e) => e.message).join("; ")}` : null;
}

describe("nothing a role's schema offers is refused for lack of a grant", () => {
  it.each(APP_ROLES)("%s: every root query field, with the scalar fields of its first node, runs without 42501", async (role) => {
    const refused: string[] = [];
    const unprobed: string[] = [];
    for (const field of Object.values(served[role].getQueryType()!.getFields())) {
      if (field.name === "node" || field.name === "query") continue;
      const p = probe(field);
      if (!p) {
        unprobed.push(field.name);
        continue;
      }
      const refusal = grantRefusal(await gql(api, p.query, p.variables, tokens[role]));
      if (refusal) refused.push(`${field.name}: ${refusal}`);
    }
    expect(refused).toEqual([]);
    // Every field but the Relay ones (node, query) was actually probed.
    expect(unprobed).toEqual([]);
  });

  it("the check can fail: a refusal by Postgres reaches the client as 42501, which it looks for", async () => {
    // A member booking a class for another member: the insert policy refuses it (42501).
    const [klass] = await rootQuery<{ id: string }>(
      "select c.id from app_public.class_sessions c join app_public.gyms g on g.id = c.tenant_id where g.slug = $1 limit 1",
      [GYM_A],
    );
    const [other] = await rootQuery<{ id: string }>(
      `select m.id from app_public.memberships m join app_public.gyms g on g.id = m.tenant_id join app_public.users u on u.id = m.user_id
        where g.slug = $1 and m.role = 'member' and u.email <> $2 limit 1`,
      [GYM_A, LOGINS.member],
    );
    const res = await gql(
      api,
      "mutation ($c: UUID!, $m: UUID!) { createBooking(input: { booking: { classSessionId: $c, memberId: $m } }) { booking { rowId } } }",
      { c: klass!.id, m: other!.id },
      tokens.member,
    );
    expect(grantRefusal(res)).toMatch(/^42501/);
  });
});
