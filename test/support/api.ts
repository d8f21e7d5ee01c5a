import { spawn } from "node:child_process";
import path from "node:path";
import { citusMode } from "../../src/db/citus";
import { startApi, type ApiOptions, type RunningApi } from "../../src/server";
import { DEMO_PASSWORD } from "../../src/db/seed";
import { TEST_BCRYPT_COST, testDb } from "./db";

export const AUDIENCE = "ironclad-test";

/**
 * The real express + PostGraphile server on a free port, against the test database. Any
 * ApiOptions field can be overridden (limits, body size, statement timeouts, trusted
 * documents, another database URL such as a pgbouncer port).
 */
export async function startTestApi(overrides: Partial<ApiOptions> = {}): Promise<RunningApi> {
  const { authUrl, roles, jwtSecret } = testDb();
  return startApi({
    authUrl,
    roles,
    jwtSecret,
    jwtAudience: AUDIENCE,
    port: 0,
    graphiql: true,
    introspection: true,
    credentials: { bcryptCost: TEST_BCRYPT_COST },
    // Every suite logs in from 127.0.0.1; the budget is tested with its own API and address.
    loginBudget: { attempts: 1_000_000, windowSeconds: 900 },
    // Citus mode: as npm run start:citus serves (claims by SET LOCAL, tenant reads routed).
    ...(citusMode() ? { transactions: { settingsStyle: "set_local" as const }, tenantRouting: true } : {}),
    ...overrides,
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers of every shape; a suite narrows T where it matters
export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** POST a GraphQL operation, optionally with a bearer token (or a raw Authorization header). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers of every shape; a suite narrows T where it matters
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

/** The claims of a token this API issued (no verification: for reading `sid`, `sub`, …). */
export function decodeToken(token: string): Record<string, unknown> {
  const payload = token.split(".")[1];
  if (payload === undefined) throw new Error("not a JWT");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
}

/** A process running the real API (src/server.ts) outside jest, against the test database. */
export interface SpawnedApi {
  url: string;
  close(): Promise<void>;
}

/**
 * Start the API in a child Node process (through tsx) instead of inside jest's VM: some
 * routes (Ruru at /graphiql) load ES modules with a dynamic import(), which jest's module
 * sandbox cannot do. The child reads the same IRONCLAD_TEST_* environment as this process.
 */
export async function spawnTestApi(startTimeoutMs = 30_000): Promise<SpawnedApi> {
  const root = path.resolve(__dirname, "../..");
  const script = `
    const { startTestApi } = require(${JSON.stringify(path.join(root, "test/support/api.ts"))});
    startTestApi().then((api) => {
      process.stdout.write("IRONCLAD_LISTENING " + api.url + "\\n");
      const stop = () => api.close().then(() => process.exit(0), () => process.exit(1));
      process.on("SIGTERM", stop);
      process.on("disconnect", stop);
    }, (error) => { console.error(error); process.exit(1); });
  `;
  const child = spawn(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: root,
    env: process.env,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`API child did not start in ${startTimeoutMs} ms:\n${stderr}`));
    }, startTimeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /IRONCLAD_LISTENING (\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`API child exited (${code}) before listening:\n${stderr}`));
    });
  });
  return {
    url,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
