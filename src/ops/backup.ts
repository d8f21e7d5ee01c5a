import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import readline from "node:readline";
import { createGunzip, createGzip } from "node:zlib";
import type { Client } from "pg";
import type { RoleNames } from "../db/roles";
import { APP_SCHEMAS, brokenForeignKeys, listTables, quote } from "./catalog";

/**
 * Whole-database backup and restore without pg_dump (the embedded PostgreSQL 18 ships none, and
 * an older client refuses a newer server). Catalog-driven: every table of our schemas that the
 * owner owns — a table added by a migration is backed up with no code change — plus the state
 * of the owner's sequences. Runs on an OWNER connection as the maintenance role (BYPASSRLS,
 * see migrations/roles.sql), in one REPEATABLE READ READ ONLY transaction: a consistent
 * snapshot while the server keeps serving.
 *
 * Not included, by design: the schema itself (a restore runs the migrations of the same
 * version first — the migration hash is recorded and checked), roles and passwords (db:setup /
 * DATA_DIR/secrets.json), derived data owned by the shared role (leaderboards, directory:
 * rebuilt by a refresh after the restore) and graphile-worker's queue (transient).
 *
 * File format (gzip, one line each): `#{"format":"ironclad-backup/1",…}` header;
 * `#{"table":…,"columns":[…]}` then one row per line (Postgres' jsonb text of the row,
 * never re-parsed in JavaScript so numbers and timestamps keep every digit);
 * `#{"sequence":…,"lastValue":…,"isCalled":…}`; and a trailer `#{"end":…}` with the row counts
 * and the SHA-256 of every line before it — a truncated or edited file is refused.
 */
export const BACKUP_FORMAT = "ironclad-backup/1";
const BATCH = 2000;

interface Trailer {
  end: true;
  tables: Record<string, number>;
  sequences: number;
  sha256: string;
}

export interface BackupSummary {
  file: string;
  migrationHash: string | null;
  tables: Record<string, number>;
  sequences: number;
}

async function ownerSequences(client: Client, owner: string): Promise<string[]> {
  const { rows } = await client.query<{ ident: string }>(
    `select format('%I.%I', n.nspname, c.relname) as ident
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relkind = 'S' and n.nspname = any($1) and c.relowner = (select oid from pg_roles where rolname = $2)
      order by 1`,
    [APP_SCHEMAS, owner],
  );
  return rows.map((r) => r.ident);
}

/** Write a backup of the database `client` (owner) is connected to. */
export async function backupDatabase(
  client: Client,
  roles: RoleNames,
  file: string,
  migrationHash: string | null,
): Promise<BackupSummary> {
  const gzip = createGzip();
  const out = createWriteStream(file, { mode: 0o600 });
  gzip.pipe(out);
  const hash = createHash("sha256");
  const write = async (line: string) => {
    hash.update(line).update("\n");
    if (!gzip.write(`${line}\n`)) await once(gzip, "drain");
  };
  const counts: Record<string, number> = {};
  let sequences = 0;
  await client.query("begin isolation level repeatable read read only");
  try {
    await client.query(`set local role ${quote(roles.maintenance)}`);
    await client.query("set local search_path = pg_catalog");
    const {
      rows: [server],
    } = await client.query<{ version: string; database: string }>(
      "select current_setting('server_version') as version, current_database() as database",
    );
    await write(`#${JSON.stringify({ format: BACKUP_FORMAT, migrationHash, createdAt: new Date().toISOString(), server })}`);
    for (const table of await listTables(client, roles.owner)) {
      await write(`#${JSON.stringify({ table: table.name, columns: table.columns })}`);
      // The whole row (generated columns too; a restore loads only the stored ones), in key order.
      await client.query(
        `declare backup_rows no scroll cursor for
           select to_jsonb(t)::text as row from ${table.ident} t order by ${table.orderBy.map((c) => `t.${quote(c)}`).join(", ")}`,
      );
      let n = 0;
      for (;;) {
        const { rows } = await client.query<{ row: string }>(`fetch ${BATCH} from backup_rows`);
        for (const r of rows) await write(r.row);
        n += rows.length;
        if (rows.length < BATCH) break;
      }
      await client.query("close backup_rows");
      counts[table.name] = n;
    }
    for (const seq of await ownerSequences(client, roles.owner)) {
      const {
        rows: [s],
      } = await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${seq}`);
      await write(`#${JSON.stringify({ sequence: seq, lastValue: s!.last_value, isCalled: s!.is_called })}`);
      sequences++;
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    gzip.destroy();
    out.destroy();
    throw error;
  }
  const trailer: Trailer = { end: true, tables: counts, sequences, sha256: hash.digest("hex") };
  gzip.end(`#${JSON.stringify(trailer)}\n`);
  await once(out, "close");
  return { file, migrationHash, tables: counts, sequences };
}

/** Whether the database already holds gyms or people (a restore replaces everything). */
export async function databaseHasData(client: Client, roles: RoleNames): Promise<boolean> {
  await client.query("begin read only");
  try {
    await client.query(`set local role ${quote(roles.maintenance)}`);
    const { rows } = await client.query<{ any: boolean }>(
      "select exists (select 1 from app_public.gyms) or exists (select 1 from app_public.users) as any",
    );
    return rows[0]!.any;
  } finally {
    await client.query("rollback");
  }
}

/**
 * Replace every row of every owner-owned table with the backup's, in ONE transaction (all or
 * nothing): rows are loaded exactly as saved (triggers off), then every foreign key is checked,
 * row counts and the file's checksum compared, and the sequences set. The database must be at
 * the backup's migration hash (run the same version's migrations first).
 */
export async function restoreDatabase(
  client: Client,
  roles: RoleNames,
  file: string,
  migrationHash: string | null,
): Promise<BackupSummary> {
  const hash = createHash("sha256");
  const counts: Record<string, number> = {};
  const sequences: { sequence: string; lastValue: string; isCalled: boolean }[] = [];
  let trailer: Trailer | undefined;
  let header: { format?: string; migrationHash?: string | null } | undefined;

  await client.query("begin");
  try {
    await client.query(`set local role ${quote(roles.maintenance)}`);
    await client.query("set local search_path = pg_catalog");
    await client.query("set local session_replication_role = replica");
    const tables = new Map((await listTables(client, roles.owner)).map((t) => [t.name, t]));
    for (const t of [...tables.values()].reverse()) await client.query(`delete from ${t.ident}`);

    let current: { ident: string; columns: string; name: string } | undefined;
    let batch: string[] = [];
    const flush = async () => {
      if (!current || batch.length === 0) return;
      await client.query(
        `insert into ${current.ident} (${current.columns}) overriding system value
         select ${current.columns} from jsonb_populate_recordset(null::${current.ident}, $1::jsonb)`,
        [`[${batch.join(",")}]`],
      );
      counts[current.name] = (counts[current.name] ?? 0) + batch.length;
      batch = [];
    };
    // Opened only now: readline emits lines as soon as it exists, and an iterator attached
    // later would miss them.
    const lines = readline.createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      if (trailer) throw new Error("the backup has data after its end marker");
      if (!line.startsWith("#")) {
        if (!current) throw new Error("the backup has a row before any table");
        hash.update(line).update("\n");
        batch.push(line);
        if (batch.length >= BATCH) await flush();
        continue;
      }
      const meta = JSON.parse(line.slice(1)) as Record<string, unknown>;
      if (meta.end) {
        trailer = meta as unknown as Trailer;
        continue;
      }
      hash.update(line).update("\n");
      if (!header) {
        header = meta;
        if (meta.format !== BACKUP_FORMAT) throw new Error(`${file} is not an Ironclad backup (${BACKUP_FORMAT})`);
        if (meta.migrationHash !== migrationHash) {
          throw new Error(
            `the backup was taken at schema ${String(meta.migrationHash)}; this database is at ${migrationHash} (restore with the same Ironclad version)`,
          );
        }
        continue;
      }
      await flush();
      if (typeof meta.table === "string") {
        const table = tables.get(meta.table);
        if (!table) throw new Error(`the backup has a table this database does not: ${meta.table}`);
        const columns = meta.columns as string[];
        if (columns.join(",") !== table.columns.join(",")) throw new Error(`${meta.table}: columns differ from this database's`);
        current = { ident: table.ident, columns: columns.map(quote).join(", "), name: table.name };
        counts[table.name] = 0;
      } else if (typeof meta.sequence === "string") {
        current = undefined;
        sequences.push(meta as unknown as (typeof sequences)[number]);
      }
    }
    await flush();
    if (!header) throw new Error(`${file} is empty`);
    if (!trailer) throw new Error(`${file} is incomplete (no end marker): the backup was cut short`);
    if (trailer.sha256 !== hash.digest("hex")) throw new Error(`${file} does not match its checksum`);
    if (JSON.stringify(trailer.tables) !== JSON.stringify(counts))
      throw new Error(`${file}: row counts differ from its end marker`);
    const missing = [...tables.keys()].filter((name) => !(name in counts));
    if (missing.length > 0) throw new Error(`the backup lacks tables this database has: ${missing.join(", ")}`);
    const broken = await brokenForeignKeys(client, [...tables.keys()]);
    if (broken.length > 0) throw new Error(`the restored rows break references: ${broken.join(", ")}`);
    // Sequences are the owner's to set (setval needs more than the maintenance role's usage).
    await client.query("reset role");
    for (const s of sequences) {
      await client.query("select pg_catalog.setval($1::regclass, $2::bigint, $3)", [s.sequence, s.lastValue, s.isCalled]);
    }
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
  // The cross-gym layer is derived data: rebuild it through the worker's job.
  await client.query("select graphile_worker.add_job('refresh_leaderboards', '{}'::json, job_key := 'refresh_leaderboards')");
  return { file, migrationHash, tables: counts, sequences: sequences.length };
}
