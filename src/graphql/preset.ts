import type { Pool } from "pg";
import { makePgService, PgSubscriber } from "postgraphile/adaptors/pg";
import { PgJWTPlugin } from "postgraphile/graphile-build-pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { auditPlatformRequest } from "../auth/audit";
import { RefreshTokenPlugin } from "../auth/jwt-plugin";
import { sessionGuard, sessionInTransactionPlugin } from "../auth/session-guard";
import type { LoginBudget } from "../auth/login-guard";
import { pgSettingsFor, type CredentialSettings, type StatementTimeouts } from "../auth/pg-settings";
import { JWT_ISSUER } from "../auth/verify-token";
import type { IncomingHttpHeaders } from "node:http";
import { DEFAULT_MAX_REQUEST_BYTES } from "../config";
import { makeOneTripPgService, type SettingsStyle } from "../db/pg-adaptor";
import type { RoleNames } from "../db/roles";
import type { AppRole } from "../roles";
import { connectionCache, type RealtimeConnection, type RealtimeSocket } from "../realtime/connection";
import { makeMaskError } from "./mask-error";
import { ironcladPlugins } from "./plugins";
import { credentialsPlugin } from "./plugins/credentials";
import type { QueryLimits } from "./plugins/limits";
import { IroncladNamingPreset } from "./plugins/naming";
import { RealtimePlugin } from "./plugins/realtime";
import { tenantRoutingPlugin } from "./plugins/tenant-routing";

/**
 * What shapes the GraphQL API. The one options type: startApi's ApiOptions (src/server.ts) are
 * these minus the pool, plus the HTTP server's own settings. Unset fields take the defaults in
 * src/config.ts.
 */
export interface PresetOptions {
  /** Pool logged in as the authenticator role: the only database login the API uses. */
  authPool: Pool;
  roles: RoleNames;
  jwtSecret: string;
  jwtAudience: string;
  graphiql: boolean;
  introspection: boolean;
  /** Depth/cost/page-size limits (src/graphql/plugins/limits.ts); unset fields take DEFAULT_LIMITS. */
  limits?: Partial<Omit<QueryLimits, "introspection">>;
  /** Largest request body grafserv reads, in bytes → 413 PAYLOAD_TOO_LARGE. */
  maxRequestBytes?: number;
  /** Per-role statement_timeout → 57014. */
  statementTimeouts?: Partial<StatementTimeouts>;
  /** Trusted-documents allowlist file (TRUSTED_DOCUMENTS); unset: any document is accepted. */
  trustedDocuments?: string;
  /**
   * Development (`npm run dev`): rebuild the schema on every NOTIFY on `postgraphile_watch`
   * (sent after each change to migrations/current). No event-trigger fixtures are installed:
   * the authenticator may not, and graphile-migrate's afterCurrent hook notifies instead.
   */
  watch?: boolean;
  /** bcrypt cost and token lifetimes, handed to Postgres per transaction. */
  credentials?: Partial<CredentialSettings>;
  /** Per-client-address budget of credential-checking requests. */
  loginBudget?: LoginBudget;
  /** How often an open websocket re-checks its session, in ms (REALTIME_SESSION_CHECK_MS). */
  realtimeSessionCheckMs?: number;
  /** How a request's transaction is opened (src/db/pg-adaptor.ts); default: one round trip, session check inside. */
  transactions?: TransactionOptions;
  /** Every tenant-table read, update and delete names the token's gym as a parameter (Citus routing; src/graphql/plugins/tenant-routing.ts). */
  tenantRouting?: boolean;
  /** Citus: subscriptions LISTEN on every node of the cluster, where shard triggers NOTIFY (src/db/citus-listen.ts). */
  listenOnEveryNode?: boolean;
}

export interface TransactionOptions {
  /** BEGIN and the settings in one round trip (default true); false = the stock adaptor. */
  oneRoundTrip?: boolean;
  /** "set_local" for Citus (role first, in its own statement); default "set_config". */
  settingsStyle?: SettingsStyle;
  /** The session check in that same round trip instead of a query at the door (default true; needs oneRoundTrip). */
  sessionCheckInTransaction?: boolean;
}

/** The database service of one role's instance: introspected as that role, sharing the LISTEN connection. */
function pgService(options: PresetOptions, role: AppRole, pgSubscriber: PgSubscriber): GraphileConfig.PgServiceConfiguration {
  const t = options.transactions ?? {};
  const schemas = ["app_public", "app_shared"];
  const pgSettingsForIntrospection = { role: options.roles.visitor[role] };
  if (t.oneRoundTrip === false)
    return makePgService({ pool: options.authPool, schemas, pgSettingsForIntrospection, pgSubscriber });
  return makeOneTripPgService({
    pool: options.authPool,
    schemas,
    pgSettingsForIntrospection,
    pgSubscriber,
    settingsStyle: t.settingsStyle,
    guard: t.sessionCheckInTransaction === false ? undefined : sessionGuard,
  });
}

/** What one role's instance shares with the others (src/graphql/serve.ts builds them). */
export interface RoleInstance {
  /** The visitor role whose schema this is: introspected as that role, so it holds only what its grants allow. */
  role: AppRole;
  /** A websocket's checked identity, cached per socket across every role's instance. */
  realtimeConnection(socket: RealtimeSocket | undefined, params: IncomingHttpHeaders | undefined): Promise<RealtimeConnection>;
  /** The one LISTEN connection every instance's subscriptions share. */
  pgSubscriber: PgSubscriber;
}

/**
 * What every role's instance shares: one cache of websocket identities (a socket's token is
 * checked and watched once, whichever schema serves it) and one LISTEN connection (not one
 * per role held out of the pool, or the given one: one per node of a Citus cluster). The caller
 * releases `pgSubscriber` after the instances.
 */
export function sharedInstanceParts(options: PresetOptions, pgSubscriber?: PgSubscriber): Omit<RoleInstance, "role"> {
  // Websocket operations carry their token in connectionParams.authorization; it is checked
  // by the same code as the HTTP Authorization header (src/auth/middleware.ts).
  return {
    realtimeConnection: connectionCache({
      authPool: options.authPool,
      secret: options.jwtSecret,
      audience: options.jwtAudience,
      issuer: JWT_ISSUER,
      sessionCheckMs: options.realtimeSessionCheckMs,
    }),
    pgSubscriber: pgSubscriber ?? new PgSubscriber(options.authPool),
  };
}

/**
 * The PostGraphile preset of one visitor role: what the GraphQL API exposes to that role and
 * how its requests reach Postgres. The schema is introspected as the role itself
 * (`pgSettingsForIntrospection`), and PostGraphile's RBAC plugin (in the default preset) keeps
 * only the tables, columns and functions that role is granted, so nothing in it fails with
 * 42501 for lack of a grant. `app_public` and `app_shared` (the cross-gym layer: SECURITY
 * DEFINER functions returning only permitted columns, see docs/SHARED.md) are exposed; every
 * request runs as the visitor role its verified token names, inside one transaction with the
 * claims set transaction-locally.
 */
export function makePreset(options: PresetOptions, instance: RoleInstance): GraphileConfig.Preset {
  const { role, realtimeConnection, pgSubscriber } = instance;
  return {
    extends: [PostGraphileAmberPreset, PgAggregatesPreset, PostGraphileConnectionFilterPreset, IroncladNamingPreset],
    plugins: [
      PgJWTPlugin,
      RefreshTokenPlugin,
      RealtimePlugin,
      sessionInTransactionPlugin(options.authPool),
      credentialsPlugin(options.authPool, options.loginBudget),
      ...ironcladPlugins({
        introspection: options.introspection,
        limits: options.limits,
        trustedDocuments: options.trustedDocuments,
      }),
      ...(options.tenantRouting ? [tenantRoutingPlugin(role)] : []),
    ],
    pgServices: [pgService(options, role, pgSubscriber)],
    gather: {
      pgJwtTypes: "app_public.jwt_token",
      installWatchFixtures: false,
    },
    schema: {
      pgJwtSecret: options.jwtSecret,
      pgJwtSignOptions: { algorithm: "HS256", audience: options.jwtAudience, issuer: JWT_ISSUER },
      // Filters only on columns that can use an index (and never on computed columns that
      // cost a query per row); `connectionFilterAllowedOperators` left at the defaults.
      connectionFilterComputedColumns: false,
      connectionFilterSetofFunctions: false,
      connectionFilterAllowNullInput: false,
      connectionFilterAllowEmptyObjectInput: false,
      pgForbidSetofFunctionsToReturnNull: true,
    },
    grafast: {
      explain: false,
      async context(requestContext, args) {
        const ws = requestContext.ws;
        const connection = ws ? await realtimeConnection(ws.socket, ws.normalizedConnectionParams) : null;
        // Every operation over a websocket re-checks its token and session, as every HTTP
        // request does: a socket opened before logout, a role change or a removal must not
        // keep querying (or writing) until the next periodic check.
        if (connection) await connection.assertValid();
        const claims = connection ? connection.claims : requestContext.expressv4?.req.ironcladClaims;
        if (!claims) {
          // Fail closed: without verified claims there is no role to switch to, and PostGraphile
          // would otherwise run the query as the pool's login role.
          throw new Error("Request reached GraphQL without passing the auth middleware");
        }
        if (claims.role !== role) {
          // Fail closed: a request is only ever answered from its own role's schema.
          throw new Error(`A ${claims.role} request reached the ${role} schema`);
        }
        // Every platform-owner request is audited (who, when, operation, document, variables
        // with secrets redacted by the schema).
        await auditPlatformRequest(options.authPool, claims, {
          schema: args.schema,
          document: args.document,
          operationName: args.operationName,
          variables: args.variableValues,
        });
        return {
          pgSettings: pgSettingsFor(claims, options.roles, { ...options.statementTimeouts, ...options.credentials }),
          ironcladRealtime: connection,
        };
      },
    },
    grafserv: {
      graphqlPath: "/graphql",
      graphiql: options.graphiql,
      graphiqlPath: "/graphiql",
      graphiqlOnGraphQLGET: false,
      // GraphQL over websockets (graphql-ws) at graphqlPath, for subscriptions.
      websockets: true,
      maxRequestLength: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      watch: options.watch ?? false,
      maskError: makeMaskError({ suggestions: options.introspection }),
    },
  };
}
