import type { Pool, PoolClient } from "pg";
import type { WithPgClient } from "postgraphile/@dataplan/pg";
import * as pgAdaptor from "postgraphile/adaptors/pg";

/**
 * PostGraphile's pg adaptor, with the request's transaction opened in ONE round trip (two in Citus mode).
 *
 * The stock adaptor sends BEGIN, then `select set_config(…)` for the settings, then the
 * operation's queries, then COMMIT: four round trips for a one-query request. Here BEGIN, an
 * optional guard (the session check, see src/auth/session-guard.ts) and the settings go as one
 * simple-protocol string, values inlined with the driver's escapeLiteral/escapeIdentifier, so a
 * request costs: preamble, its queries, COMMIT. The operation's own queries are run by the
 * stock client (prepared statements, savepoints for nested transactions, notices), which is
 * told the transaction is already open.
 *
 * Settings are transaction-local in both styles, so the adaptor stays safe behind a
 * transaction-mode pooler:
 *  - "set_config" (default): `select set_config(k, v, true) …` in one statement, applied only
 *    when the guard said yes (a refused session never runs anything under a visitor role);
 *  - "set_local" (Citus mode): one `SET LOCAL` per setting, in TWO strings (one more round
 *    trip). The first: BEGIN, the guard, `role` and the settings only the coordinator reads,
 *    then `citus.propagate_set_commands = 'local'`; the second: the `jwt.claims.*` settings.
 *    Citus replays the SET LOCAL commands issued once propagation is on to its worker
 *    connections (set_config is not propagated), and it replays the whole query string each
 *    came in: the role must arrive in another string, or a SECURITY DEFINER function's worker
 *    connection would replay SET ROLE as its owner (42501). On a server without Citus the extra
 *    setting is an inert placeholder. The guard's answer is checked before any query of the
 *    operation runs, and the transaction is rolled back when it says no.
 */
export type SettingsStyle = "set_config" | "set_local";

/** A per-transaction check folded into the preamble. */
export interface PreambleGuard {
  /**
   * A boolean SQL expression for these settings (values already inlined with `literal`),
   * evaluated as the pool's login role before any setting is applied; null = nothing to check.
   */
  expression(settings: Record<string, string>, literal: (value: string | null) => string): string | null;
  /** The error thrown when the expression is not true; the operation is not run. */
  refused(): Error;
  /** Told the answer, with the request's own pgSettings object (e.g. to know the check ran). */
  answered?(pgSettings: object, ok: boolean): void;
}

export interface OneTripServiceOptions {
  pool: Pool;
  schemas: string[];
  settingsStyle?: SettingsStyle;
  guard?: PreambleGuard;
  /** Settings the schema is introspected with (a visitor role: its schema holds only its grants). */
  pgSettingsForIntrospection?: Record<string, string>;
  /** A LISTEN connection shared between services (one per process, not one per role's schema). */
  pgSubscriber?: pgAdaptor.PgSubscriber;
}

// Same as the stock adaptor: JIT optimisation costs more than it saves on short queries.
const DISABLE_JIT = process.env.DATAPLAN_PG_DONT_DISABLE_JIT === "1" ? "" : "set jit_optimize_above_cost = -1; ";
const configured = new WeakSet<PoolClient>();

/** Settings Citus must hand on to its workers (policies and functions on the shards read them). */
const PROPAGATED = /^jwt\.claims\./;

/** The preamble's strings, one round trip each: [jit setting;] begin; guard and settings. Exported for tests. */
export function preambleSql(
  settings: Record<string, string>,
  options: {
    style: SettingsStyle;
    guard?: PreambleGuard;
    literal: (v: string | null) => string;
    identifier: (v: string) => string;
  },
): string[] {
  const { literal, identifier } = options;
  const check = options.guard?.expression(settings, literal) ?? null;
  const ok = check === null ? "true" : check;
  if (options.style === "set_config") {
    // The guard runs first (a MATERIALIZED CTE, as the login role); the settings apply only if it passed.
    const pairs = literal(JSON.stringify(Object.entries(settings)));
    return [
      `begin; with guard as materialized (select (${ok}) is true as ok) ` +
        `select guard.ok, (select count(set_config(el->>0, el->>1, true)) from json_array_elements(${pairs}::json) el where guard.ok) as applied from guard`,
    ];
  }
  const set = ([key, value]: [string, string]) => `set local ${identifier(key)} = ${literal(value)}`;
  const entries = Object.entries(settings).filter(([key]) => key !== "role");
  const first = [`begin`, `select (${ok}) is true as ok`];
  if (settings.role !== undefined) first.push(`set local role ${identifier(settings.role)}`);
  first.push(...entries.filter(([key]) => !PROPAGATED.test(key)).map(set), `set local citus.propagate_set_commands = 'local'`);
  const claims = entries.filter(([key]) => PROPAGATED.test(key)).map(set);
  return claims.length > 0 ? [first.join("; "), claims.join("; ")] : [first.join("; ")];
}

type Results = { command: string; rows: { ok?: boolean }[] }[];

/** A withPgClient whose transactions open in one round trip. */
export function makeOneTripWithPgClient(
  pool: Pool,
  options: { style: SettingsStyle; guard?: PreambleGuard },
): WithPgClient<pgAdaptor.NodePostgresPgClient> {
  const withPgClient = async <T>(
    pgSettings: Record<string, string | undefined> | null,
    callback: (client: pgAdaptor.NodePostgresPgClient) => T | Promise<T>,
  ): Promise<T> => {
    const settings: Record<string, string> = {};
    for (const [key, value] of Object.entries(pgSettings ?? {})) if (value != null) settings[key] = String(value);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      const first = configured.has(client) ? "" : DISABLE_JIT;
      configured.add(client);
      if (Object.keys(settings).length === 0) {
        // No settings, no transaction (as the stock adaptor): introspection and the like.
        if (first) await client.query(first);
        return await pgAdaptor.makeWithPgClientViaPgClientAlreadyInTransaction(client, false)(null, callback);
      }
      const [head, ...rest] = preambleSql(settings, {
        style: options.style,
        guard: options.guard,
        literal: (v) => (v === null ? "null" : client.escapeLiteral(v)),
        identifier: (v) => client.escapeIdentifier(v),
      });
      try {
        const results = (await client.query(first + head)) as unknown as Results;
        const ok = results.find((r) => r.command === "SELECT")?.rows[0]?.ok === true;
        if (pgSettings) options.guard?.answered?.(pgSettings, ok);
        if (!ok) throw options.guard?.refused() ?? new Error("transaction preamble refused");
        for (const text of rest) await client.query(text);
        const result = await pgAdaptor.makeWithPgClientViaPgClientAlreadyInTransaction(client, true)(null, callback);
        await client.query("commit");
        return result;
      } catch (error) {
        // A failed preamble may have left the transaction open (e.g. the guard raised).
        await client.query("rollback").catch((rollbackError: Error) => {
          broken = rollbackError;
        });
        throw error;
      }
    } finally {
      // A client that could not even roll back is dropped, never reused.
      client.release(broken);
    }
  };
  return withPgClient as WithPgClient<pgAdaptor.NodePostgresPgClient>;
}

/**
 * makePgService with the one-trip adaptor: same pool, schemas, LISTEN/NOTIFY subscriber; only
 * how a request's transaction is opened changes. The superuser variant (watch mode) is the
 * stock one.
 */
export function makeOneTripPgService(
  options: OneTripServiceOptions,
): GraphileConfig.PgServiceConfiguration<"@dataplan/pg/adaptors/pg"> {
  const service = pgAdaptor.makePgService({
    pool: options.pool,
    schemas: options.schemas,
    pgSettingsForIntrospection: options.pgSettingsForIntrospection,
    pgSubscriber: options.pgSubscriber,
  });
  const style = options.settingsStyle ?? "set_config";
  return {
    ...service,
    adaptor: {
      makePgService: pgAdaptor.makePgService,
      createWithPgClient(settings, variant) {
        if (variant === "SUPERUSER" || !settings?.pool) return pgAdaptor.createWithPgClient(settings, variant);
        return makeOneTripWithPgClient(settings.pool, { style, guard: options.guard });
      },
    },
  };
}
