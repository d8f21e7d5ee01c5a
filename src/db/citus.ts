import { Client } from "pg";
import { fillPlaceholders, placeholdersFor, readMigrationFile, roleNamesFor, type RoleNames } from "./roles";
import { databaseNameOf, userOf, withDatabase } from "./urls";
import { withClient } from "./with-client";

/**
 * Citus mode (`CITUS=1`): the same schema, sharded by gym. Everything Citus-only lives here and
 * runs from TypeScript around the migrations, so a single-node database (and the generated
 * migrations/schema.sql) is untouched:
 *
 * - before migrating (`prepareCitusDatabase`, superuser): the database on every node with the
 *   citus extension, workers registered, our roles known to Citus in this database, and the
 *   roles Citus connects to the workers as able to log in there;
 * - after migrating (`distributeTables`, superuser): every table with `tenant_id` distributed by
 *   it and co-located with `gyms` (distributed by its key), every other table a reference table,
 *   in foreign-key order, read from the catalog (a new table needs no entry here).
 *
 * Why TypeScript and not a last migration section: the steps need a superuser and other nodes
 * (creating the database on the workers, role attributes on the workers only), which a
 * migration run as the owner cannot do; and a section that does nothing on a single node would
 * still have to be kept honest by tests on both. docs/CITUS.md lists what Citus refuses.
 */

/** Citus mode on? `CITUS=1` (or true/yes/on). Read where setup runs: the CLI and the test setup. */
export function citusMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes|on)$/i.test(env.CITUS ?? "");
}

/** Shards per distributed table (CITUS_SHARD_COUNT, default 32: Citus's own default). */
export function citusShardCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.CITUS_SHARD_COUNT;
  if (raw === undefined || raw === "") return 32;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 64_000) {
    throw new Error(`CITUS_SHARD_COUNT must be an integer from 1 to 64000, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export interface CitusNode {
  host: string;
  port: number;
}

/** The same login on another node of the cluster. */
export function nodeUrl(url: string, node: CitusNode, database?: string): string {
  const u = new URL(database ? withDatabase(url, database) : url);
  u.hostname = node.host;
  u.port = String(node.port);
  return u.toString();
}

/** The workers registered in the database `rootUrl` points at (cluster.sh registers them in `postgres`). */
export async function citusWorkers(rootUrl: string): Promise<CitusNode[]> {
  return withClient(rootUrl, async (client) => {
    const { rows } = await client.query<{ host: string; port: number }>(
      "select nodename as host, nodeport as port from pg_dist_node where groupid <> 0 and noderole = 'primary' order by nodeport",
    );
    if (rows.length === 0) throw new Error("Citus mode: no workers registered in the root database (run cluster.sh start)");
    return rows;
  });
}

/** The coordinator's address as the workers reach it: the root URL's host and port. */
function coordinatorOf(rootUrl: string): CitusNode {
  const u = new URL(rootUrl);
  return { host: u.hostname, port: Number(u.port || 5432) };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Before the coordinator's database is created: the database on every worker (CREATE DATABASE
 * is not propagated), owned by our owner role (which Citus already created on the workers when
 * roles.sql ran), with the citus extension.
 */
export async function createWorkerDatabases(rootUrl: string, databaseName: string, roles: RoleNames, log: (m: string) => void) {
  for (const worker of await citusWorkers(rootUrl)) {
    await withClient(nodeUrl(rootUrl, worker, "postgres"), async (client) => {
      const { rowCount } = await client.query("select 1 from pg_database where datname = $1", [databaseName]);
      if (!rowCount) {
        log(`creating database ${databaseName} on worker ${worker.host}:${worker.port}`);
        await client.query(`create database ${quoteIdent(databaseName)} owner ${quoteIdent(roles.owner)}`);
      }
    });
    await withClient(nodeUrl(rootUrl, worker, databaseName), (client) => client.query("create extension if not exists citus"));
  }
}

/** Drop the database's copy on every worker (test teardown; the coordinator's is dropped as usual). */
export async function dropWorkerDatabases(rootUrl: string, databaseName: string) {
  for (const worker of await citusWorkers(rootUrl)) {
    await withClient(nodeUrl(rootUrl, worker, "postgres"), (client) =>
      client.query(`drop database if exists ${quoteIdent(databaseName)} with (force)`),
    );
  }
}

/**
 * After the coordinator's database exists and before anything else runs in it: the citus
 * extension, the coordinator's address and the workers registered in this database. Then
 * (after afterReset.sql, which Citus now propagates) `adoptRoles`.
 */
export async function registerCluster(rootUrl: string, databaseName: string, log: (m: string) => void) {
  const workers = await citusWorkers(rootUrl);
  const coordinator = coordinatorOf(rootUrl);
  await withClient(withDatabase(rootUrl, databaseName), async (client) => {
    await client.query("create extension if not exists citus");
    await client.query(
      "select citus_set_coordinator_host($1, $2) where not exists (select 1 from pg_dist_node where groupid = 0)",
      [coordinator.host, coordinator.port],
    );
    await databaseSettings(client, databaseName);
    for (const worker of workers) {
      const { rowCount } = await client.query("select 1 from pg_dist_node where nodename = $1 and nodeport = $2", [
        worker.host,
        worker.port,
      ]);
      if (!rowCount) {
        log(`registering worker ${worker.host}:${worker.port} in ${databaseName}`);
        await client.query("select citus_add_node($1, $2)", [worker.host, worker.port]);
      }
    }
  });
}

/**
 * Our roles, as Citus sees them in this database, and as the workers need them.
 *
 * 1. Citus records per database which roles it manages (pg_dist_object); roles made from the
 *    `postgres` database are unknown in this one. When a migration (run as the owner) first
 *    grants something to an unknown role, Citus re-creates it on the workers as the owner,
 *    which is refused ("must be superuser to alter superuser roles"). A superuser grant on a
 *    throwaway function makes Citus adopt each role here first, with superuser rights.
 * 2. Citus opens its connections to the workers as the current role (after SET ROLE: the
 *    visitor role, the system role …), so those NOLOGIN roles must be able to log in on the
 *    workers, and connect to this database there. This is set on each worker directly with
 *    propagation off: on the coordinator they stay NOLOGIN, so the API still reaches them only
 *    through the authenticator. Protect the workers' pg_hba accordingly (docs/CITUS.md).
 *    Re-run after every roles.sql: Citus re-sends a role's coordinator attributes when it
 *    changes there.
 */
export async function adoptRoles(rootUrl: string, databaseName: string, roles: RoleNames) {
  const all = [roles.owner, roles.authenticator, roles.system, roles.shared, roles.maintenance, ...Object.values(roles.visitor)];
  await withClient(withDatabase(rootUrl, databaseName), async (client) => {
    await client.query("begin");
    await client.query("create function public.ironclad_citus_adopt_roles() returns int language sql as 'select 1'");
    await client.query(`grant execute on function public.ironclad_citus_adopt_roles() to ${all.map(quoteIdent).join(", ")}`);
    await client.query("drop function public.ironclad_citus_adopt_roles()");
    await client.query("commit");
  });
  const nologin = [roles.system, roles.shared, roles.maintenance, ...Object.values(roles.visitor)];
  for (const worker of await citusWorkers(rootUrl)) {
    await withClient(nodeUrl(rootUrl, worker, databaseName), async (client) => {
      await client.query("set citus.enable_ddl_propagation = off");
      await databaseSettings(client, databaseName);
      for (const role of nologin) {
        await client.query(`alter role ${quoteIdent(role)} login`);
        await client.query(`grant connect on database ${quoteIdent(databaseName)} to ${quoteIdent(role)}`);
      }
    });
  }
}

/**
 * The owner's connection for migrating in Citus mode: DDL is not propagated while migrating;
 * `distributeTables` places every object afterwards. Propagating statement by statement fails:
 * the migration runs in one transaction, and where it switches role (`set role` to the system
 * role to grant on a function it owns) Citus opens a second connection to each worker as that
 * role, which cannot see the schema the first connection created there and has not committed
 * ("schema app_private does not exist").
 */
export function migrationUrl(ownerUrl: string): string {
  const u = new URL(ownerUrl);
  u.searchParams.set("options", "-c citus.enable_ddl_propagation=off");
  return u.toString();
}

/**
 * Per-database settings, on every node:
 * - Our triggers run on the shards, and most of them write another table (the gym's counters,
 *   the audit log, a new member's profile, the slug registry): from inside a shard that is a
 *   "nested distributed execution", which Citus refuses unless allowed. Allowed until that
 *   logic leaves the triggers (docs/CITUS.md: its cost).
 * - After a read that fans out over several shards in parallel (one connection per shard),
 *   Citus refuses a write to a reference table in the same transaction; logging in is such a
 *   transaction (the person's memberships on every shard, then the session row). Sequential
 *   mode runs a fan-out over one connection per worker, which a later write may reuse. Tenant
 *   reads are routed to one shard (src/graphql/plugins/tenant-routing.ts), so it costs only
 *   the platform owner's cross-gym reads.
 * - Per-gym query statistics (citus_stat_tenants, read by `npm run gym -- stats`).
 */
async function databaseSettings(client: Client, databaseName: string) {
  const db = quoteIdent(databaseName);
  await client.query(`alter database ${db} set citus.allow_nested_distributed_execution = on`);
  await client.query(`alter database ${db} set citus.multi_shard_modify_mode = 'sequential'`);
  await client.query(`alter database ${db} set citus.stat_tenants_track = 'all'`);
}

/** How one table is placed on the cluster. */
export interface Placement {
  table: string;
  kind: "distributed" | "reference" | "local";
  /** Distribution column (distributed tables). */
  column?: string;
}

/**
 * Tables only the coordinator's own functions read and write, and nothing distributed
 * references: kept local there.
 * - Login bookkeeping (the login guard's upserts). As reference tables, their `ON CONFLICT …
 *   DO UPDATE SET … now()` is refused (Citus wants IMMUTABLE functions there), and every
 *   failed login would be a two-phase write to every node.
 * - The mail outbox: its insert trigger adds a graphile-worker job, and graphile_worker's
 *   schema exists on the coordinator only. As a reference table the trigger fires on every
 *   placement, on the workers too (refused). Written by queue_mail (account functions run on
 *   the coordinator, migrations/citus.sql keeps mail_invitation there), read by the send_mail task.
 */
export const COORDINATOR_ONLY = new Set([
  "app_private.login_address_budget",
  "app_private.login_throttle",
  "app_private.mail_outbox",
]);

/**
 * The placement of every table of ours, read from the catalog, in an order Citus accepts:
 * a table after every table it references. Tables with `tenant_id not null` are distributed by it
 * (refresh_tokens' nullable tenant_id is a platform-owner token's, not a tenant's);
 * `gyms` (the tenant root) by `id`; app_shared's tables and the login bookkeeping stay local on the coordinator; the rest
 * are reference tables (a full copy on every node).
 */
export async function placementPlan(client: Client): Promise<Placement[]> {
  const { rows } = await client.query<{ table: string; has_tenant: boolean; refs: string[] }>(`
    select c.oid::regclass::text as table,
           exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and a.attnotnull and not a.attisdropped) as has_tenant,
           coalesce(array(select distinct f.confrelid::regclass::text from pg_constraint f
                          where f.conrelid = c.oid and f.contype = 'f' and f.confrelid <> c.oid), '{}') as refs
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p') and n.nspname in ('app_public', 'app_private', 'app_shared', 'app_hidden')
     order by 1`);
  const byName = new Map(rows.map((r) => [r.table, r]));
  const kindOf = (name: string): Placement => {
    // The shared layer's bookkeeping stays on the coordinator beside its materialized views
    // (a reference-table write would fire its NOTIFY trigger inside Citus's two-phase commit).
    if (name.startsWith("app_shared.") || COORDINATOR_ONLY.has(name)) return { table: name, kind: "local" };
    if (name === "app_public.gyms") return { table: name, kind: "distributed", column: "id" };
    if (byName.get(name)?.has_tenant) return { table: name, kind: "distributed", column: "tenant_id" };
    return { table: name, kind: "reference" };
  };
  // Reference tables first (they may reference only each other), then gyms, then the tenant
  // tables: a table always after the tables it references, and every co-located table after gyms.
  const rank = (name: string) => {
    const kind = kindOf(name).kind;
    return kind === "local" ? 3 : kind === "reference" ? 0 : name === "app_public.gyms" ? 1 : 2;
  };
  const ordered: Placement[] = [];
  const done = new Set<string>();
  const visit = (name: string, path: string[]) => {
    if (done.has(name)) return;
    if (path.includes(name)) throw new Error(`Citus mode: foreign-key cycle ${[...path, name].join(" → ")}`);
    const row = byName.get(name);
    if (!row) throw new Error(`Citus mode: ${path.at(-1)} references ${name}, which is not one of our tables`);
    for (const ref of row.refs) {
      // A coordinator-local table (the shared layer's boards) may not reference a distributed
      // one; distributeTables drops those keys (localKeysToDrop) and the boards' own triggers
      // keep them in step, so they are not an ordering constraint here.
      if (rank(name) === 3 && rank(ref) !== 3) continue;
      if (rank(ref) > rank(name)) {
        throw new Error(
          `Citus mode: ${name} (${kindOf(name).kind}) references ${ref} (${kindOf(ref).kind}); Citus refuses that foreign key`,
        );
      }
      visit(ref, [...path, name]);
    }
    if (rank(name) === 2) visit("app_public.gyms", [...path, name]);
    done.add(name);
    ordered.push(kindOf(name));
  };
  for (const row of [...rows].sort((x, y) => rank(x.table) - rank(y.table))) visit(row.table, []);
  return ordered;
}

/**
 * After migrating: migrations/citus.sql (as the owner), then place every table (see
 * placementPlan) as a superuser. Idempotent: tables already in Citus's metadata are skipped.
 */
export async function distributeTables(
  dbRootUrl: string,
  ownerUrl: string,
  shardCount: number,
  log: (m: string) => void = () => undefined,
) {
  // The Citus-only schema pieces (migrations/citus.sql), as the owner so it owns them.
  const placeholders = placeholdersFor(roleNamesFor(databaseNameOf(ownerUrl), userOf(ownerUrl)));
  const citusSql = fillPlaceholders(await readMigrationFile("citus.sql"), placeholders);
  await withClient(ownerUrl, (client) => client.query(citusSql));
  await withClient(dbRootUrl, async (client) => {
    // Citus creates a new shard's triggers (tenant isolation, shard moves) as the table's owner,
    // who needs EXECUTE on their functions; the maintenance role owns this one (citus.sql). A
    // trigger function cannot be called directly, so the grant gives the owner nothing else.
    await client.query(`grant execute on function app_private.tg__citus_set_null() to ${quoteIdent(userOf(ownerUrl))}`);
    // Citus refuses to distribute a table with triggers unless told they are safe. Ours run on
    // the shard, inside the worker: those that only look at NEW (tenant_id immutable, rounding,
    // touch) are; docs/CITUS.md lists the ones that are not yet (enqueue, notify, counting).
    await client.query("set citus.enable_unsafe_triggers = on");
    const plan = await placementPlan(client);
    // Already placed: hash-distributed ('h') or reference ('n' replicated to all, 't'). A table
    // that merely references a reference table has been made a "Citus local table" ('n', 's')
    // by Citus on the way; create_distributed_table converts it.
    const { rows } = await client.query<{ table: string }>(
      "select logicalrelid::regclass::text as table from pg_dist_partition where partmethod = 'h' or repmodel = 't'",
    );
    const placed = new Set(rows.map((r) => r.table));
    // A table placed by an earlier setup that now stays on the coordinator (COORDINATOR_ONLY
    // grew: the mail outbox) goes back to a plain local table.
    for (const p of plan.filter((p) => p.kind === "local" && placed.has(p.table))) {
      await client.query("select undistribute_table($1)", [p.table]);
      log(`${p.table}: back to a local table on the coordinator`);
    }
    const pending = plan.filter((p) => p.kind !== "local" && !placed.has(p.table));
    if (pending.length === 0) return;
    // Foreign keys off while placing, back on after. With them on, making a referenced table a
    // reference table turns every plain table that references it into a "Citus local table",
    // and a Citus local table may then neither be co-located nor reference a distributed one.
    const { rows: keys } = await client.query<{ table: string; name: string; definition: string }>(
      `select conrelid::regclass::text as table, conname as name, pg_get_constraintdef(oid) as definition
         from pg_constraint
        where contype = 'f' and (conrelid::regclass::text = any($1) or confrelid::regclass::text = any($1))
        order by 1, 2`,
      [pending.map((p) => p.table)],
    );
    for (const key of keys) await client.query(`alter table ${key.table} drop constraint ${quoteIdent(key.name)}`);
    // Foreign keys from coordinator-local tables to placed ones: Citus refuses them (a local table
    // may reference only reference tables). They are not re-added: the shared layer's boards
    // (app_shared.network_best_*) reference gyms only to cascade a deleted gym's rows, and their
    // triggers already delete a gym's entries when it leaves the network or loses its results.
    const localTables = new Set(plan.filter((p) => p.kind === "local").map((p) => p.table));
    const placedKinds = new Map(plan.map((p) => [p.table, p.kind]));
    const localKeys = keys.filter(
      (k) => localTables.has(k.table) && placedKinds.get(/references ([^\s(]+)/i.exec(k.definition)?.[1] ?? "") !== "local",
    );
    for (const key of localKeys)
      log(`dropped foreign key ${key.name} on ${key.table} (a local table may not reference a distributed one)`);
    // Citus re-creates a RESTRICTIVE policy as PERMISSIVE on the shards (its deparser drops
    // `AS RESTRICTIVE`): the tenant policy would then OR with the role policies and widen them
    // to the whole gym. Every permissive policy carries the tenant predicate itself
    // (test/citus/worker-policies.test.ts checks it on the workers), so the restrictive one is
    // dropped before placing instead of being turned into a hole.
    const { rows: restrictive } = await client.query<{ table: string; name: string }>(
      `select polrelid::regclass::text as table, polname as name from pg_policy
        where not polpermissive and polrelid::regclass::text = any($1) order by 1, 2`,
      [pending.filter((p) => p.kind === "distributed").map((p) => p.table)],
    );
    for (const policy of restrictive) {
      await client.query(`drop policy ${quoteIdent(policy.name)} on ${policy.table}`);
      log(`dropped restrictive policy ${policy.name} on ${policy.table}`);
    }
    // Every refusal is collected, so one run lists them all (docs/CITUS.md).
    const refused: string[] = [];
    for (const p of pending) {
      try {
        if (p.kind === "reference") {
          await client.query("select create_reference_table($1)", [p.table]);
        } else if (p.table === "app_public.gyms") {
          await client.query("select create_distributed_table($1, $2, shard_count := $3, colocate_with := 'none')", [
            p.table,
            p.column,
            shardCount,
          ]);
        } else {
          await client.query("select create_distributed_table($1, $2, colocate_with := 'app_public.gyms')", [p.table, p.column]);
        }
        log(`${p.kind === "reference" ? "reference table" : `distributed by ${p.column}`}: ${p.table}`);
      } catch (error) {
        refused.push(`${p.table}: ${describe(error)}`);
      }
    }
    for (const key of keys) {
      if (localKeys.includes(key)) continue;
      try {
        const setNull = SET_NULL_KEY.exec(key.definition);
        if (setNull) {
          // Citus refuses the action; a trigger does it (migrations/citus.sql).
          const [action, column, referenced] = [setNull[0].slice(setNull[0].indexOf(" ON DELETE")), setNull[1]!, setNull[2]!];
          await client.query(
            `alter table ${key.table} add constraint ${quoteIdent(key.name)} ${key.definition.replace(action, "")}`,
          );
          await client.query(`drop trigger if exists ${quoteIdent(`_050_set_null_${key.name}`.slice(0, 63))} on ${referenced}`);
          await client.query(
            `create trigger ${quoteIdent(`_050_set_null_${key.name}`.slice(0, 63))} before delete on ${referenced}
               for each row execute function app_private.tg__citus_set_null('${key.table}', '${column}')`,
          );
          continue;
        }
        await client.query(`alter table ${key.table} add constraint ${quoteIdent(key.name)} ${key.definition}`);
      } catch (error) {
        refused.push(`${key.table} ${key.name} (${key.definition}): ${describe(error)}`);
      }
    }
    await grantInsertOnShards(
      client,
      pending.map((p) => p.table),
    );
    await distributeFunctions(client, log);
    await shardRowFunctions(client, log);
    if (refused.length > 0) throw new Error(`Citus refused ${refused.length} placement(s):\n  ${refused.join("\n  ")}`);
  });
}

/**
 * Every function of ours onto the workers. The migration ran without DDL propagation; placing
 * a table copies the functions its defaults, policies and triggers name, but not what those
 * call in turn (a trigger function's helpers), and triggers and policies run on the shards.
 */
async function distributeFunctions(client: Client, log: (m: string) => void) {
  const { rows } = await client.query<{ fn: string }>(
    `select p.oid::regprocedure::text as fn
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('app_public', 'app_private', 'app_shared', 'app_hidden') and p.prokind in ('f', 'p')
        and not exists (select 1 from pg_dist_object d where d.classid = 'pg_proc'::regclass and d.objid = p.oid)
      order by 1`,
  );
  // A SQL function over a coordinator-only object (graphile_migrate, graphile_worker, the
  // shared layer's materialized views) cannot be created on a worker: it stays on the
  // coordinator, which is the only place it is called from.
  const coordinatorOnly: string[] = [];
  for (const { fn } of rows) {
    try {
      await client.query("select create_distributed_function($1::regprocedure)", [fn]);
    } catch {
      coordinatorOnly.push(fn);
    }
  }
  log(
    `${rows.length - coordinatorOnly.length} functions copied to the workers; coordinator only: ${coordinatorOnly.join(", ") || "none"}`,
  );
}

/**
 * Column-level INSERT grants and Citus: the coordinator evaluates column defaults and sends
 * every column to the shard explicitly, so an insert that names only granted columns arrives
 * naming `created_at`, `id` … too, and the shard refuses it (42501). The coordinator checks
 * the client's statement against the column grants of the distributed table first (a
 * test/citus case proves it), so each role that may insert some columns gets INSERT on the
 * whole table on the shards only. Shards are reachable only through the coordinator
 * (docs/CITUS.md: workers accept connections from the coordinator alone); a new shard (split,
 * tenant isolation) needs this again.
 */
export async function grantInsertOnShards(client: Client, tables: string[]) {
  const { rows } = await client.query<{ table: string; role: string }>(
    `select c.oid::regclass::text as table, r.rolname as role
       from pg_class c cross join pg_roles r
      where c.oid::regclass::text = any($1) and r.rolname !~ '^pg_' and not r.rolsuper
        and has_any_column_privilege(r.oid, c.oid, 'INSERT') and not has_table_privilege(r.oid, c.oid, 'INSERT')
      order by 1, 2`,
    [tables],
  );
  for (const { table, role } of rows) {
    await client.query("select run_command_on_placements($1, $2)", [table, `grant insert on %s to ${quoteIdent(role)}`]);
  }
}

/**
 * Functions taking a distributed table's row (computed columns: `memberships_email(m)`,
 * `profiles_display_name(p)`, `workouts_leaderboard(w)`) and Citus: a query sent to a shard names
 * the shard (`memberships_102042`), whose row is of the shard's own type, and the worker finds no
 * `memberships_email(memberships_102042)` — every API request selecting a computed column fails.
 * So each shard gets an overload for its row type that hands the row on, as the table's row type
 * (same columns in the same order: through its text form), to the real function, whose own rights
 * and checks apply (the overload is an invoker function executable by the same roles). Only
 * functions the workers have (distributed); a new shard (split, tenant isolation) needs this again.
 */
export async function shardRowFunctions(client: Client, log: (m: string) => void = () => undefined) {
  const { rows } = await client.query<{
    fn: string;
    name: string;
    table: string;
    rest: string[];
    result: string;
    setof: boolean;
    grantees: string[];
  }>(
    `select p.oid::regprocedure::text as fn, quote_ident(n.nspname) || '.' || quote_ident(p.proname) as name,
            c.oid::regclass::text as table,
            array(select format_type(a, null) from unnest((p.proargtypes::oid[])[1:]) a) as rest,
            case when p.proretset then format_type(p.prorettype, null) else pg_get_function_result(p.oid) end as result,
            p.proretset as setof,
            array(select distinct case when x.grantee = 0 then 'public' else quote_ident(x.grantee::regrole::text) end
                    from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
                   where x.privilege_type = 'EXECUTE') as grantees
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
       join pg_type t on t.oid = p.proargtypes[0]
       join pg_class c on c.oid = t.typrelid
       join pg_dist_partition d on d.logicalrelid = c.oid and d.partmethod = 'h'
      where n.nspname in ('app_public', 'app_private', 'app_shared', 'app_hidden') and p.pronargs >= 1
        and exists (select 1 from pg_dist_object o where o.classid = 'pg_proc'::regclass and o.objid = p.oid)
      order by 1`,
  );
  for (const f of rows) {
    // run_command_on_placements fills the shard's name in with format(): %1$s, as it is used several times.
    const args = ["%1$s", ...f.rest].join(", ");
    const call = [`$1::text::${f.table}`, ...f.rest.map((_, i) => `$${i + 2}`)].join(", ");
    const body = f.setof ? `select * from ${f.name}(${call})` : `select ${f.name}(${call})`;
    const grants = f.grantees.filter((g) => g !== "public");
    const command = [
      // On the worker, as a local object of the shard (not propagated anywhere).
      "set citus.enable_ddl_propagation = off",
      `create or replace function ${f.name}(${args}) returns ${f.setof ? `setof ${f.result}` : f.result} ` +
        `language sql stable set search_path = pg_catalog as $fn$ ${body} $fn$`,
      `revoke all on function ${f.name}(${args}) from public`,
      ...(grants.length ? [`grant execute on function ${f.name}(${args}) to ${grants.join(", ")}`] : []),
    ].join("; ");
    await client.query("select run_command_on_placements($1, $2)", [f.table, command]);
  }
  log(`shard row-type overloads: ${rows.map((f) => f.fn).join(", ") || "none"}`);
}

/** `FOREIGN KEY (tenant_id, col) REFERENCES t(tenant_id, id) ON DELETE SET NULL (col)`: column, referenced table. */
const SET_NULL_KEY = /^FOREIGN KEY \(tenant_id, (\w+)\) REFERENCES ([\w.]+)\(tenant_id, id\) ON DELETE SET NULL \(\1\)$/;

function describe(error: unknown): string {
  const e = error as { message?: string; detail?: string };
  return [e.message, e.detail].filter(Boolean).join(" — ");
}
