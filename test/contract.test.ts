import { buildSchema, getNamedType, GraphQLInputObjectType } from "postgraphile/graphql";
import { readFileSync } from "node:fs";
import {
  buildServedSchemas,
  contractPath,
  contractStaleness,
  printContract,
  SCHEMA_COMMAND,
  tenantKeyNames,
} from "../src/graphql/contract";
import { APP_ROLES, type AppRole } from "../src/roles";
import path from "node:path";
import { workoutBoard } from "../examples/client/client";
import { EXAMPLE_DIR, generateExampleTypes } from "../src/cli/graphql-types";
import { DEMO_PASSWORD } from "../src/db/seed";
import type { RunningApi } from "../src/server";
import { startTestApi } from "./support/api";
import { GYM_A, testDb } from "./support/db";

/**
 * schema/<role>.graphql are the committed contract client developers generate types from, one
 * per visitor role. Each is rebuilt here from this run's own database (PG18 embedded or PG15)
 * and must match byte for byte; and no name in any of them may be built from the tenant key.
 */
const generated = {} as Record<AppRole, string>;
beforeAll(async () => {
  const { authUrl, roles } = testDb();
  const schemas = await buildServedSchemas(authUrl, roles);
  for (const role of APP_ROLES) generated[role] = printContract(role, schemas[role]);
});

describe("schema/<role>.graphql (the committed GraphQL contract, one per role)", () => {
  it.each(APP_ROLES)(`%s: is up to date with the migrations, grants and plugins (else run \`${SCHEMA_COMMAND}\`)`, (role) => {
    const stale = contractStaleness(role, generated[role]);
    if (stale) throw new Error(stale);
  });

  it.each(APP_ROLES)("%s: has no relation, lookup, argument, type or enum value named from the tenant key", (role) => {
    expect(tenantKeyNames(buildSchema(generated[role]))).toEqual([]);
    expect(tenantKeyNames(buildSchema(readFileSync(contractPath(role), "utf8")))).toEqual([]);
  });

  it("the scan catches a tenant-key name (the check itself works)", () => {
    const bad = buildSchema(
      `type Query { workoutResultsByTenantIdAndWorkoutId(tenantId: ID): Int, x(tenantIdAndRowId: ID): E } enum E { BOOKINGS_BY_TENANT_ID_AND_MEMBER_ID_COUNT_ASC }`,
    );
    expect(tenantKeyNames(bad).sort()).toEqual([
      "E.BOOKINGS_BY_TENANT_ID_AND_MEMBER_ID_COUNT_ASC",
      "Query.workoutResultsByTenantIdAndWorkoutId",
      "Query.x(tenantIdAndRowId)",
    ]);
  });

  it.each(APP_ROLES)("%s: by-key lookups, updates and deletes take the row's own key, never tenantId", (role) => {
    const schema = buildSchema(generated[role]);
    const query = schema.getQueryType()!.getFields();
    const mutation = schema.getMutationType()?.getFields();
    if (role !== "anonymous") {
      expect(query.workoutResult?.args.map((a) => a.name)).toEqual(["rowId"]);
      expect(query.membership?.args.map((a) => a.name)).toEqual(["rowId"]);
      expect(query.profile?.args.map((a) => a.name)).toEqual(["membershipId"]);
    }
    for (const field of [...Object.values(query), ...Object.values(mutation ?? {})]) {
      const input = field.args.find((a) => a.name === "input");
      const inputFields = input
        ? Object.keys(
            getNamedType(input.type) instanceof GraphQLInputObjectType
              ? (getNamedType(input.type) as GraphQLInputObjectType).getFields()
              : {},
          )
        : [];
      if (/^(update|delete)/.test(field.name))
        expect({ field: field.name, tenantId: inputFields.includes("tenantId") }).toEqual({ field: field.name, tenantId: false });
      if (!/^(update|delete|create)/.test(field.name)) {
        expect({ field: field.name, tenantId: field.args.some((a) => a.name === "tenantId") }).toEqual({
          field: field.name,
          tenantId: false,
        });
      }
    }
  });
});

describe("the typed-client example (examples/client)", () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it("its generated types match the member's committed schema (else run `npm run graphql:types`)", () => {
    expect(readFileSync(path.join(EXAMPLE_DIR, "operations.generated.ts"), "utf8")).toBe(generateExampleTypes());
  });

  it("compiles (this suite imports it under ts-jest's type check) and runs against the live API", async () => {
    const board = await workoutBoard(`${api.url}/graphql`, `member@${GYM_A}.test`, DEMO_PASSWORD);
    expect(board.currentGym?.slug).toBe(GYM_A);
    expect(board.workouts?.nodes.length).toBeGreaterThan(0);
    const withResults = board.workouts!.nodes.find((w) => w.results.totalCount > 0);
    expect(withResults?.results.nodes[0]?.member?.displayName).toEqual(expect.any(String));
  });
});
