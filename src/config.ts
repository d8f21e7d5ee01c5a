import path from "node:path";
import { parseCorsOrigins } from "./http/cors";
import { z } from "zod";
import type { LoginBudget } from "./auth/login-guard";
import type { CredentialSettings, StatementTimeouts } from "./auth/pg-settings";
import type { QueryLimits } from "./graphql/plugins/limits";

/**
 * Every default, written once: the environment's defaults below and every option left unset
 * in code (startApi, the preset, the plugins, tests) read these.
 */
export const DEFAULT_PORT = 5678;
export const DEFAULT_JWT_AUDIENCE = "ironclad";
/** Largest request body grafserv reads, in bytes → 413 PAYLOAD_TOO_LARGE. */
export const DEFAULT_MAX_REQUEST_BYTES = 102_400;
/** Depth/cost/page-size limits (src/graphql/plugins/limits.ts); introspection follows the environment. */
export const DEFAULT_LIMITS: Omit<QueryLimits, "introspection"> = {
  maxDepth: 15,
  maxCost: 200_000,
  maxPageSize: 100,
  defaultPageSize: 100,
  maxAliases: 30,
  maxRootFields: 20,
  maxSelectionWidth: 200,
  maxDirectives: 50,
};
export const DEFAULT_STATEMENT_TIMEOUTS: StatementTimeouts = { statementTimeoutMs: 15_000, anonymousStatementTimeoutMs: 5_000 };
export const DEFAULT_CREDENTIAL_SETTINGS: CredentialSettings = {
  bcryptCost: 10,
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 14 * 86_400,
};
export const DEFAULT_LOGIN_BUDGET: LoginBudget = { attempts: 100, windowSeconds: 900 };
/** How often an open websocket re-checks its session, in ms. */
export const DEFAULT_SESSION_CHECK_MS = 60_000;
/** Connections in the API's authenticator pool. */
export const DEFAULT_POOL_SIZE = 10;
/** Verified access tokens the API remembers until their expiry (src/auth/verify-token.ts). */
export const DEFAULT_TOKEN_CACHE_SIZE = 10_000;
/** How long a stop waits for in-flight requests before cutting their connections, in ms. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Every setting Ironclad reads, in one place, checked with one zod schema. The README's
 * configuration table mirrors this file; keep them together. A bad environment is refused
 * with ONE error that lists every bad setting (ConfigError), never the first one only.
 */
export interface Config {
  /** HTTP port (PORT, default 5678). */
  port: number;
  /** Interface to listen on (HOST, default 127.0.0.1; 0.0.0.0 to serve the network). */
  host: string;
  /** Where the embedded server keeps its data and generated secrets (DATA_DIR, default .data). */
  dataDir: string;
  /** Owner/migration connection to an external server (DATABASE_URL). Unset: embedded server. */
  databaseUrl: string | undefined;
  /** The authenticator login the API pool uses (AUTH_DATABASE_URL). Required with DATABASE_URL. */
  authDatabaseUrl: string | undefined;
  /** HS256 secret (JWT_SECRET, ≥ 32 characters); generated into DATA_DIR if unset with the embedded server. */
  jwtSecret: string | undefined;
  /** Expected and issued `aud` claim (JWT_AUDIENCE, default "ironclad"). */
  jwtAudience: string;
  /** NODE_ENV=production: production GraphQL settings are required (no GraphiQL, no introspection). */
  production: boolean;
  /** Serve Ruru at /graphiql (GRAPHIQL, default on unless NODE_ENV=production). */
  graphiql: boolean;
  /** Allow introspection queries (INTROSPECTION, default on unless NODE_ENV=production). */
  introspection: boolean;
  /** Run graphile-worker inside the server process (WORKER, default on). */
  worker: boolean;
  /** Load demo data into an empty database on start (SEED, default on for the embedded server). */
  seed: boolean;
  /** Deepest field nesting a query may have, introspection included (MAX_QUERY_DEPTH, default 15) → QUERY_TOO_DEEP. */
  maxQueryDepth: number;
  /** Most aliases in one operation (MAX_ALIASES, default 30) → TOO_MANY_ALIASES. */
  maxAliases: number;
  /** Most root fields in one operation (MAX_ROOT_FIELDS, default 20) → TOO_MANY_ROOT_FIELDS. */
  maxRootFields: number;
  /** Most fields selected at one level below the root (MAX_SELECTION_WIDTH, default 200) → SELECTION_TOO_WIDE. */
  maxSelectionWidth: number;
  /** Most directives in one operation (MAX_DIRECTIVES, default 50) → TOO_MANY_DIRECTIVES. */
  maxDirectives: number;
  /** Largest estimated query cost, fields × possible rows (MAX_QUERY_COST, default 200000) → QUERY_TOO_COMPLEX. */
  maxQueryCost: number;
  /** Largest `first`/`last` (MAX_PAGE_SIZE, default 100) → PAGE_SIZE_EXCEEDED. */
  maxPageSize: number;
  /** `first` applied to a connection asked for without `first`/`last` (DEFAULT_PAGE_SIZE, default 100, ≤ MAX_PAGE_SIZE; 0 = none). */
  defaultPageSize: number;
  /** Largest request body in bytes (MAX_REQUEST_BYTES, default 102400) → 413 PAYLOAD_TOO_LARGE. */
  maxRequestBytes: number;
  /** statement_timeout for gym roles and the platform owner, ms (STATEMENT_TIMEOUT_MS, default 15000) → 57014. */
  statementTimeoutMs: number;
  /** statement_timeout for anonymous requests, ms (ANONYMOUS_STATEMENT_TIMEOUT_MS, default 5000). */
  anonymousStatementTimeoutMs: number;
  /** Origins a browser app may call the API from (CORS_ORIGINS, comma list; default none = CORS off). */
  corsOrigins: string[];
  /** Path of a trusted-documents allowlist (TRUSTED_DOCUMENTS, default unset = any document) → DOCUMENT_NOT_TRUSTED. */
  trustedDocuments: string | undefined;
  /** bcrypt cost of password hashes (BCRYPT_COST, default 10; at least 10 when NODE_ENV=production). */
  bcryptCost: number;
  /** Access-token lifetime in seconds (ACCESS_TOKEN_TTL, default 900, at most 900). */
  accessTokenTtlSeconds: number;
  /** Refresh-token lifetime in seconds (REFRESH_TOKEN_TTL, default 1209600 = 14 days, at most 30 days). */
  refreshTokenTtlSeconds: number;
  /** Credential-checking requests per client address per window (LOGIN_ADDRESS_BUDGET, default 100) → LOGIN_RATE_LIMITED. */
  loginAddressBudget: number;
  /** The budget's window in seconds (LOGIN_ADDRESS_WINDOW_SECONDS, default 900). */
  loginAddressWindowSeconds: number;
  /** How often an open websocket re-checks its session, in ms (REALTIME_SESSION_CHECK_MS, default 60000). */
  realtimeSessionCheckMs: number;
  /** Express `trust proxy` (TRUST_PROXY: unset = the socket address; e.g. 1, loopback, 10.0.0.0/8) for the client address. */
  trustProxy: string | undefined;
  /** SMTP server for outgoing mail (SMTP_URL, e.g. smtps://user:pass@smtp.example:465). Unset: mails are written as JSON files to mailDir. */
  smtpUrl: string | undefined;
  /** Where the development mail transport writes each mail (MAIL_DIR, default DATA_DIR/mail). */
  mailDir: string;
  /** Sender address (MAIL_FROM, default "Ironclad <no-reply@ironclad.test>"). */
  mailFrom: string;
  /** Base URL of the app that links in mails point to (PUBLIC_URL, default http://localhost:PORT). */
  publicUrl: string;
  /** Log level of the JSON logs (LOG_LEVEL, default info; silent turns them off). */
  logLevel: LogLevel;
  /** Milliseconds a stop waits for in-flight requests before closing their connections (SHUTDOWN_TIMEOUT_MS, default 10000). */
  shutdownTimeoutMs: number;
  /** Citus mode (CITUS, default off): claims with SET LOCAL, tenant reads routed to one shard (docs/CITUS.md). */
  citus: boolean;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The shortest JWT_SECRET accepted: 32 characters (HS256 wants at least 256 bits of key). */
export const MIN_JWT_SECRET_LENGTH = 32;

/** Every bad setting at once: `message` lists them one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

const unset = (v: unknown) => (v === undefined || v === "" ? undefined : v);

const flag = (fallback: () => boolean) =>
  z
    .preprocess(
      unset,
      z
        .string()
        .regex(/^(1|0|true|false|yes|no|on|off)$/i, "must be one of 1/0, true/false, yes/no, on/off")
        .transform((v) => ["1", "true", "yes", "on"].includes(v.toLowerCase()))
        .optional(),
    )
    .transform((v) => v ?? fallback());

/** A flag whose default depends on other settings: checked here, resolved in the transform. */
const flagText = z.preprocess(
  unset,
  z
    .string()
    .regex(/^(1|0|true|false|yes|no|on|off)$/i, "must be one of 1/0, true/false, yes/no, on/off")
    .optional(),
);

const int = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .preprocess(
      unset,
      z
        .string()
        .regex(/^\d+$/, `must be an integer >= ${min}`)
        .transform(Number)
        .pipe(z.number().int().min(min, `must be an integer >= ${min}`).max(max, `must be <= ${max}`))
        .optional(),
    )
    .transform((v) => v ?? fallback);

const postgresUrl = z.preprocess(
  unset,
  z
    .string()
    .refine((v) => {
      try {
        return /^postgres(ql)?:$/.test(new URL(v).protocol);
      } catch {
        return false;
      }
    }, "must be a postgres:// connection string")
    .optional(),
);

const fieldSchemas = {
  NODE_ENV: z.string().optional(),
  GRAPHILE_ENV: z.string().optional(),
  PORT: int(DEFAULT_PORT, 0, 65535),
  HOST: z.preprocess(unset, z.string().optional()),
  DATA_DIR: z.preprocess(unset, z.string().optional()),
  DATABASE_URL: postgresUrl,
  AUTH_DATABASE_URL: postgresUrl,
  JWT_SECRET: z.preprocess(
    unset,
    z
      .string()
      .min(MIN_JWT_SECRET_LENGTH, `must be at least ${MIN_JWT_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`)
      .optional(),
  ),
  JWT_AUDIENCE: z.preprocess(unset, z.string().optional()),
  GRAPHIQL: flagText,
  INTROSPECTION: flagText,
  WORKER: flag(() => true),
  SEED: flagText,
  MAX_QUERY_DEPTH: int(DEFAULT_LIMITS.maxDepth, 1),
  MAX_ALIASES: int(DEFAULT_LIMITS.maxAliases, 1),
  MAX_ROOT_FIELDS: int(DEFAULT_LIMITS.maxRootFields, 1),
  MAX_SELECTION_WIDTH: int(DEFAULT_LIMITS.maxSelectionWidth, 1),
  MAX_DIRECTIVES: int(DEFAULT_LIMITS.maxDirectives, 1),
  MAX_QUERY_COST: int(DEFAULT_LIMITS.maxCost, 1),
  MAX_PAGE_SIZE: int(DEFAULT_LIMITS.maxPageSize, 1),
  DEFAULT_PAGE_SIZE: int(DEFAULT_LIMITS.defaultPageSize, 0),
  MAX_REQUEST_BYTES: int(DEFAULT_MAX_REQUEST_BYTES, 1),
  STATEMENT_TIMEOUT_MS: int(DEFAULT_STATEMENT_TIMEOUTS.statementTimeoutMs, 1),
  ANONYMOUS_STATEMENT_TIMEOUT_MS: int(DEFAULT_STATEMENT_TIMEOUTS.anonymousStatementTimeoutMs, 1),
  TRUSTED_DOCUMENTS: z.preprocess(unset, z.string().optional()),
  CORS_ORIGINS: z.preprocess(unset, z.string().optional()).transform((v, ctx) => {
    try {
      return parseCorsOrigins(v);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message.replace(/^CORS_ORIGINS: /, "") });
      return z.NEVER;
    }
  }),
  // bcrypt allows 4..31; 15 is already ~2 s a login. Below 10 only outside production (cross check).
  BCRYPT_COST: int(DEFAULT_CREDENTIAL_SETTINGS.bcryptCost, 4, 15),
  ACCESS_TOKEN_TTL: int(DEFAULT_CREDENTIAL_SETTINGS.accessTokenTtlSeconds, 1, 900),
  REFRESH_TOKEN_TTL: int(DEFAULT_CREDENTIAL_SETTINGS.refreshTokenTtlSeconds, 60, 30 * 86_400),
  LOGIN_ADDRESS_BUDGET: int(DEFAULT_LOGIN_BUDGET.attempts, 1),
  LOGIN_ADDRESS_WINDOW_SECONDS: int(DEFAULT_LOGIN_BUDGET.windowSeconds, 1),
  TRUST_PROXY: z.preprocess(unset, z.string().optional()),
  SMTP_URL: z.preprocess(unset, z.string().optional()),
  MAIL_DIR: z.preprocess(unset, z.string().optional()),
  MAIL_FROM: z.preprocess(unset, z.string().optional()),
  PUBLIC_URL: z.preprocess(unset, z.string().url("must be a URL (e.g. https://app.example.com)").optional()),
  LOG_LEVEL: z.preprocess(unset, z.enum(LOG_LEVELS).optional()),
  SHUTDOWN_TIMEOUT_MS: int(DEFAULT_SHUTDOWN_TIMEOUT_MS, 0),
  REALTIME_SESSION_CHECK_MS: int(DEFAULT_SESSION_CHECK_MS, 1_000),
  CITUS: flag(() => false),
};

const schema = z.object(fieldSchemas).transform((env, ctx) => {
  const production = env.NODE_ENV === "production";
  const parseFlag = (name: "GRAPHIQL" | "INTROSPECTION" | "SEED", fallback: boolean) => {
    const result = flag(() => fallback).safeParse(env[name]);
    if (result.success) return result.data;
    ctx.addIssue({ code: "custom", path: [name], message: result.error.issues[0]?.message ?? "invalid" });
    return fallback;
  };
  const graphiql = parseFlag("GRAPHIQL", !production);
  const introspection = parseFlag("INTROSPECTION", !production);
  const seed = parseFlag("SEED", !env.DATABASE_URL);
  return { ...env, production, graphiql, introspection, seed };
});

type Fields = z.infer<typeof schema>;

/** Settings that are wrong together. Each reads only fields that parsed on their own. */
function crossChecks(env: Partial<Fields>): { name: string; message: string }[] {
  const problems: { name: string; message: string }[] = [];
  if (env.DATABASE_URL && !env.AUTH_DATABASE_URL) {
    problems.push({
      name: "AUTH_DATABASE_URL",
      message:
        "is required with DATABASE_URL: the API never serves requests as the owner " +
        "(run `ROOT_DATABASE_URL=… npm run db:setup` and use the two URLs it prints)",
    });
  }
  if (env.DATABASE_URL && !env.JWT_SECRET) {
    problems.push({ name: "JWT_SECRET", message: "is required with DATABASE_URL (at least 32 random characters)" });
  }
  if (env.DEFAULT_PAGE_SIZE !== undefined && env.MAX_PAGE_SIZE !== undefined && env.DEFAULT_PAGE_SIZE > env.MAX_PAGE_SIZE) {
    problems.push({
      name: "DEFAULT_PAGE_SIZE",
      message: `(${env.DEFAULT_PAGE_SIZE}) must not exceed MAX_PAGE_SIZE (${env.MAX_PAGE_SIZE}): connections asked for without first/last would be refused`,
    });
  }
  if (env.production && env.BCRYPT_COST !== undefined && env.BCRYPT_COST < 10) {
    problems.push({ name: "BCRYPT_COST", message: `must be at least 10 with NODE_ENV=production, got ${env.BCRYPT_COST}` });
  }
  if (env.production && env.graphiql) problems.push({ name: "GRAPHIQL", message: "must be off with NODE_ENV=production" });
  if (env.production && env.introspection)
    problems.push({ name: "INTROSPECTION", message: "must be off with NODE_ENV=production" });
  if (env.production && env.GRAPHILE_ENV && env.GRAPHILE_ENV !== "production") {
    problems.push({
      name: "GRAPHILE_ENV",
      message: `must be production (or unset) with NODE_ENV=production, got ${JSON.stringify(env.GRAPHILE_ENV)}`,
    });
  }
  return problems;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = schema.safeParse(env);
  // Field by field, so the cross checks see every setting that is fine on its own.
  const partial: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(fieldSchemas)) {
    const one = (field as z.ZodType).safeParse(env[key]);
    if (one.success) partial[key] = one.data;
  }
  const production = env.NODE_ENV === "production";
  const flagOf = (name: string, fallback: boolean) => {
    const one = flag(() => fallback).safeParse(env[name]);
    return one.success ? one.data : undefined;
  };
  const cross = crossChecks({
    ...(partial as Partial<Fields>),
    production,
    graphiql: flagOf("GRAPHIQL", !production),
    introspection: flagOf("INTROSPECTION", !production),
  });
  if (!result.success || cross.length > 0) {
    const issues = result.success ? [] : result.error.issues;
    const problems = issues.map((issue) => {
      const name = issue.path.join(".") || "settings";
      const raw = env[name];
      const shown = name === "JWT_SECRET" || /URL$/.test(name) || raw === undefined ? "" : ` (got ${JSON.stringify(raw)})`;
      return `${name} ${issue.message}${shown}`;
    });
    problems.push(...cross.map((c) => `${c.name} ${c.message}`));
    throw new ConfigError(problems);
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST ?? "127.0.0.1",
    dataDir: path.resolve(e.DATA_DIR ?? ".data"),
    databaseUrl: e.DATABASE_URL,
    authDatabaseUrl: e.AUTH_DATABASE_URL,
    jwtSecret: e.JWT_SECRET,
    jwtAudience: e.JWT_AUDIENCE ?? DEFAULT_JWT_AUDIENCE,
    production: e.production,
    graphiql: e.graphiql,
    introspection: e.introspection,
    worker: e.WORKER,
    seed: e.seed,
    maxQueryDepth: e.MAX_QUERY_DEPTH,
    maxQueryCost: e.MAX_QUERY_COST,
    maxPageSize: e.MAX_PAGE_SIZE,
    defaultPageSize: e.DEFAULT_PAGE_SIZE,
    maxRequestBytes: e.MAX_REQUEST_BYTES,
    statementTimeoutMs: e.STATEMENT_TIMEOUT_MS,
    anonymousStatementTimeoutMs: e.ANONYMOUS_STATEMENT_TIMEOUT_MS,
    maxAliases: e.MAX_ALIASES,
    maxRootFields: e.MAX_ROOT_FIELDS,
    maxSelectionWidth: e.MAX_SELECTION_WIDTH,
    maxDirectives: e.MAX_DIRECTIVES,
    corsOrigins: e.CORS_ORIGINS,
    trustedDocuments: e.TRUSTED_DOCUMENTS ? path.resolve(e.TRUSTED_DOCUMENTS) : undefined,
    bcryptCost: e.BCRYPT_COST,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    loginAddressBudget: e.LOGIN_ADDRESS_BUDGET,
    loginAddressWindowSeconds: e.LOGIN_ADDRESS_WINDOW_SECONDS,
    trustProxy: e.TRUST_PROXY,
    smtpUrl: e.SMTP_URL,
    mailDir: path.resolve(e.MAIL_DIR ?? path.join(e.DATA_DIR ?? ".data", "mail")),
    mailFrom: e.MAIL_FROM ?? "Ironclad <no-reply@ironclad.test>",
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL ?? "info",
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    realtimeSessionCheckMs: e.REALTIME_SESSION_CHECK_MS,
    citus: e.CITUS,
  };
}
