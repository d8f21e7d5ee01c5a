import type { Pool } from "pg";
import { makePgService } from "postgraphile/adaptors/pg";
import { PgJWTPlugin } from "postgraphile/graphile-build-pg";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { PgAggregatesPreset } from "@graphile/pg-aggregates";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";
import { auditPlatformRequest } from "./src/auth/audit";
import { RefreshTokenPlugin } from "./src/auth/jwt-plugin";
import { DEFAULT_LOGIN_BUDGET, makeCredentialFieldsRule, makeLoginGuard, type LoginBudget } from "./src/auth/login-guard";
import { pgSettingsFor, type CredentialSettings, type StatementTimeouts } from "./src/auth/pg-settings";
import type { RoleNames } from "./src/db/roles";
import { makeMaskError } from "./src/graphql/mask-error";
import { ironcladPlugins } from "./plugins";
import { IroncladNamingPreset } from "./plugins/naming";
import { RealtimePlugin } from "./plugins/realtime";
import { connectionCache } from "./src/realtime/connection";
import type { QueryLimits } from "./plugins/limits";

export interface PresetOptions {
  /** Pool logged in as the authenticator role: the only database login the API uses. */
  authPool: Pool;
  roles: RoleNames;
  jwtSecret: string;
  jwtAudience: string;
  jwtIssuer: string;
  graphiql: boolean;
  introspection: boolean;
  /** Depth/cost/page-size limits (plugins/limits.ts); unset fields take the defaults there. */
  limits?: Partial<Omit<QueryLimits, "introspection">>;
  /** Largest request body grafserv reads, in bytes (default 102400). */
  maxRequestBytes?: number;
  /** Per-role statement_timeout (default 15 s, anonymous 5 s). */
  statementTimeouts?: StatementTimeouts;
  /** Trusted-documents allowlist file; unset: any document is accepted. */
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
  /** How often an open websocket re-checks its session, in ms (default 60 000). */
  realtimeSessionCheckMs?: number;
}

/**
 * Credentials: at most one credential-checking field per operation (validation), a
 * per-address budget and the throttle's bookkeeping around execution (src/auth/login-guard.ts).
 */
function credentialsPlugin(options: PresetOptions): GraphileConfig.Plugin {
  const guard = makeLoginGuard(options.authPool, options.loginBudget ?? DEFAULT_LOGIN_BUDGET);
  return {
    name: "IroncladCredentialsPlugin",
    version: "0.1.0",
    description: "One credential check per request, a per-address login budget, login throttle bookkeeping",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          event.validationRules.push(makeCredentialFieldsRule());
          return next();
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          return guard(() => next(), event.args) as ReturnType<typeof next>;
        },
      },
    },
  };
}

export const DEFAULT_MAX_REQUEST_BYTES = 102_400;

/**
 * The PostGraphile preset: what the GraphQL API exposes and how a request reaches Postgres.
 * `app_public` and `app_shared` (the cross-gym layer: SECURITY DEFINER functions returning
 * only permitted columns, see docs/SHARED.md) are exposed; every request runs as the visitor role its verified token
 * names, inside one transaction with the claims set transaction-locally.
 */
export function makePreset(options: PresetOptions): GraphileConfig.Preset {
  // Websocket operations carry their token in connectionParams.authorization; it is checked
  // by the same code as the HTTP Authorization header (src/auth/middleware.ts).
  const realtimeConnection = connectionCache({
    authPool: options.authPool,
    secret: options.jwtSecret,
    audience: options.jwtAudience,
    issuer: options.jwtIssuer,
    sessionCheckMs: options.realtimeSessionCheckMs,
  });
  return {
    extends: [PostGraphileAmberPreset, PgAggregatesPreset, PostGraphileConnectionFilterPreset, IroncladNamingPreset],
    plugins: [PgJWTPlugin, RefreshTokenPlugin, RealtimePlugin, credentialsPlugin(options), ...ironcladPlugins({
      introspection: options.introspection,
      limits: options.limits,
      trustedDocuments: options.trustedDocuments,
    })],
    pgServices: [makePgService({ pool: options.authPool, schemas: ["app_public", "app_shared"] })],
    gather: {
      pgJwtTypes: "app_public.jwt_token",
      installWatchFixtures: false,
    },
    schema: {
      pgJwtSecret: options.jwtSecret,
      pgJwtSignOptions: { algorithm: "HS256", audience: options.jwtAudience, issuer: options.jwtIssuer },
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
