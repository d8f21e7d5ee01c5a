import { startApi, type ApiOptions, type RunningApi } from "../../src/server";
import { AUDIENCE } from "./api";
import { testDb } from "./db";

/**
 * Like startTestApi, but every ApiOptions field can be overridden (limits, body size,
 * statement timeouts, trusted documents, a different database URL such as a pgbouncer port).
 */
export async function startGuardApi(overrides: Partial<ApiOptions> = {}): Promise<RunningApi> {
  const { authUrl, roles, jwtSecret } = testDb();
  return startApi({
    authUrl,
    roles,
    jwtSecret,
    jwtAudience: AUDIENCE,
    port: 0,
    graphiql: true,
    introspection: true,
    ...overrides,
  });
}

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  json: any;
}

/** POST anything to /graphql and keep the raw answer (status, content type, body). */
export async function rawPost(
  api: RunningApi,
  body: string | Uint8Array,
  headers: Record<string, string> = { "content-type": "application/json" },
  path = "/graphql",
  method = "POST",
): Promise<RawResponse> {
  const res = await fetch(`${api.url}${path}`, { method, headers, body: method === "GET" ? undefined : body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text, json };
}
