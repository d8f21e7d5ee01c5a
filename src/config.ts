import path from "node:path";
import { parseCorsOrigins } from "./http/cors";

/**
 * Every setting Ironclad reads, in one place. The README's configuration table mirrors this
 * file; keep them together.
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
  /** HS256 secret for signing and verifying tokens (JWT_SECRET); generated into DATA_DIR if unset with the embedded server. */
  jwtSecret: string | undefined;
  /** Expected and issued `aud` claim (JWT_AUDIENCE, default "ironclad"). */
  jwtAudience: string;
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
  /** `first` applied to a connection asked for without `first`/`last` (DEFAULT_PAGE_SIZE, default 100; 0 = none). */
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
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  return !["0", "false", "no", "off"].includes(value.toLowerCase());
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === "production";
  const port = Number(env.PORT ?? 5678);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  const authDatabaseUrl = env.AUTH_DATABASE_URL || undefined;
  if (databaseUrl && !authDatabaseUrl) {
    throw new Error(
      "DATABASE_URL is set but AUTH_DATABASE_URL is not. The API never serves requests as the owner: " +
        "run `ROOT_DATABASE_URL=… npm run db:setup` and use the two URLs it prints.",
    );
  }
  return {
    port,
    host: env.HOST || "127.0.0.1",
    dataDir: path.resolve(env.DATA_DIR || ".data"),
    databaseUrl,
    authDatabaseUrl,
    jwtSecret: env.JWT_SECRET || undefined,
    jwtAudience: env.JWT_AUDIENCE || "ironclad",
    graphiql: flag(env.GRAPHIQL, !production),
    introspection: flag(env.INTROSPECTION, !production),
    worker: flag(env.WORKER, true),
    seed: flag(env.SEED, !databaseUrl),
    maxQueryDepth: positiveInt(env, "MAX_QUERY_DEPTH", 15),
    maxAliases: positiveInt(env, "MAX_ALIASES", 30),
    maxRootFields: positiveInt(env, "MAX_ROOT_FIELDS", 20),
    maxSelectionWidth: positiveInt(env, "MAX_SELECTION_WIDTH", 200),
    maxDirectives: positiveInt(env, "MAX_DIRECTIVES", 50),
    maxQueryCost: positiveInt(env, "MAX_QUERY_COST", 200_000),
    maxPageSize: positiveInt(env, "MAX_PAGE_SIZE", 100),
    defaultPageSize: positiveInt(env, "DEFAULT_PAGE_SIZE", 100, 0),
    maxRequestBytes: positiveInt(env, "MAX_REQUEST_BYTES", 102_400),
    statementTimeoutMs: positiveInt(env, "STATEMENT_TIMEOUT_MS", 15_000),
    anonymousStatementTimeoutMs: positiveInt(env, "ANONYMOUS_STATEMENT_TIMEOUT_MS", 5_000),
    corsOrigins: parseCorsOrigins(env.CORS_ORIGINS),
    trustedDocuments: env.TRUSTED_DOCUMENTS ? path.resolve(env.TRUSTED_DOCUMENTS) : undefined,
    // bcrypt allows 4..31; below 10 only outside production (tests use a low cost for speed).
    bcryptCost: positiveInt(env, "BCRYPT_COST", 10, production ? 10 : 4, 15),
    accessTokenTtlSeconds: positiveInt(env, "ACCESS_TOKEN_TTL", 900, 1, 900),
    refreshTokenTtlSeconds: positiveInt(env, "REFRESH_TOKEN_TTL", 14 * 86_400, 60, 30 * 86_400),
    loginAddressBudget: positiveInt(env, "LOGIN_ADDRESS_BUDGET", 100),
    loginAddressWindowSeconds: positiveInt(env, "LOGIN_ADDRESS_WINDOW_SECONDS", 900),
    realtimeSessionCheckMs: positiveInt(env, "REALTIME_SESSION_CHECK_MS", 60_000, 1_000),
    trustProxy: env.TRUST_PROXY || undefined,
    smtpUrl: env.SMTP_URL || undefined,
    mailDir: path.resolve(env.MAIL_DIR || path.join(env.DATA_DIR || ".data", "mail")),
    mailFrom: env.MAIL_FROM || "Ironclad <no-reply@ironclad.test>",
    publicUrl: (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/+$/, ""),
  };
}
