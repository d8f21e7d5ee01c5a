import { startApi, type RunningApi } from "../../src/server";
import { DEMO_PASSWORD } from "../../src/db/seed";
import { testDb } from "./db";

export const AUDIENCE = "ironclad-test";

/** The real express + PostGraphile server on a free port, against the test database. */
export async function startTestApi(overrides: { introspection?: boolean; graphiql?: boolean } = {}): Promise<RunningApi> {
  const { authUrl, roles, jwtSecret } = testDb();
  return startApi({
    authUrl,
    roles,
    jwtSecret,
    jwtAudience: AUDIENCE,
    port: 0,
    graphiql: overrides.graphiql ?? true,
    introspection: overrides.introspection ?? true,
  });
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POST a GraphQL operation, optionally with a bearer token (or a raw Authorization header). */
export async function gql<T = Record<string, any>>(
  api: RunningApi,
  query: string,
  variables: Record<string, unknown> = {},
  auth?: string | { header: string },
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (typeof auth === "string") headers.authorization = `Bearer ${auth}`;
  else if (auth) headers.authorization = auth.header;
  const res = await fetch(`${api.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, "status">;
  return { status: res.status, ...body };
}

/** Log in through the API and return the signed token. */
export async function login(api: RunningApi, email: string, password = DEMO_PASSWORD, tenantId?: string): Promise<string> {
  const res = await gql<{ authenticate: { jwtToken: string | null } }>(
    api,
    `mutation ($email: String!, $password: String!, $tenantId: UUID) {
       authenticate(input: { email: $email, password: $password, tenantId: $tenantId }) { jwtToken }
     }`,
    { email, password, tenantId },
  );
  const token = res.data?.authenticate?.jwtToken;
  if (!token) throw new Error(`login failed for ${email}: ${JSON.stringify(res.errors)}`);
  return token;
}
