import type { Client } from "pg";
import { citusWorkers, grantInsertOnShards, shardRowFunctions, type CitusNode } from "../db/citus";

/**
 * Tenant placement on a Citus cluster (CLI: `npm run gym -- isolate SLUG [--node host:port]`):
 * a large gym gets shards of its own, optionally on a chosen worker, so its load neither
 * shares a shard with other gyms nor, after the move, a node.
 *
 * Runs on a SUPERUSER connection to the database on the coordinator: Citus's shard
 * operations create shards, triggers and grants on the workers. Writes to the gym's rows (and
 * to the gyms that shared its shard) wait while the shards are copied (`block_writes`: no
 * logical replication needed); reads go on.
 */

export interface Isolation {
  gymId: string;
  /** The gyms shard that now holds this gym alone (its co-located shards moved with it). */
  shardId: string;
  node: CitusNode;
  /** False when the gym already had a shard of its own. */
  isolated: boolean;
  moved: boolean;
}

const SHARD_OF_GYM = `
  select s.shardid::text as shard, s.shardminvalue = s.shardmaxvalue as alone, n.nodename as host, n.nodeport as port
    from pg_dist_shard s
    join pg_dist_placement p on p.shardid = s.shardid
    join pg_dist_node n on n.groupid = p.groupid and n.noderole = 'primary'
   where s.logicalrelid = 'app_public.gyms'::regclass
     and worker_hash($1::uuid) between s.shardminvalue::int and s.shardmaxvalue::int`;

export function parseNode(value: string): CitusNode {
  const m = /^([^:\s]+):(\d+)$/.exec(value);
  if (!m) throw new Error(`--node must be host:port, got ${JSON.stringify(value)}`);
  return { host: m[1]!, port: Number(m[2]) };
}

export async function isolateGym(root: Client, rootServerUrl: string, slug: string, target?: CitusNode): Promise<Isolation> {
  const { rows: gyms } = await root.query<{ id: string }>("select id from app_public.gyms where slug = $1", [slug]);
  const gymId = gyms[0]?.id;
  if (!gymId) throw new Error(`no gym with slug ${slug}`);
  if (target) {
    const workers = await citusWorkers(rootServerUrl);
    if (!workers.some((w) => w.host === target.host && w.port === target.port)) {
      throw new Error(
        `${target.host}:${target.port} is not a worker of the cluster (${workers.map((w) => `${w.host}:${w.port}`).join(", ")})`,
      );
    }
  }
  const shardOf = async () => {
    const { rows } = await root.query<{ shard: string; alone: boolean; host: string; port: number }>(SHARD_OF_GYM, [gymId]);
    if (rows.length !== 1) throw new Error(`gym ${slug}: expected one placement of its gyms shard, found ${rows.length}`);
    return rows[0]!;
  };
  let shard = await shardOf();
  const isolated = !shard.alone;
  if (isolated) {
    // CASCADE: every table co-located with gyms (all the tenant tables) is split the same way.
    await root.query(
      "select isolate_tenant_to_new_shard('app_public.gyms', $1::uuid, 'CASCADE', shard_transfer_mode => 'block_writes')",
      [gymId],
    );
    shard = await shardOf();
  }
  const moved = target !== undefined && (shard.host !== target.host || shard.port !== target.port);
  if (moved) {
    await root.query("select citus_move_shard_placement($1::bigint, $2, $3, $4, $5, shard_transfer_mode => 'block_writes')", [
      shard.shard,
      shard.host,
      shard.port,
      target!.host,
      target!.port,
    ]);
    shard = await shardOf();
  }
  if (isolated || moved) {
    // New shards get the distributed table's grants, not the shard-only INSERT grants (src/db/citus.ts).
    const { rows } = await root.query<{ table: string }>(
      "select logicalrelid::regclass::text as table from pg_dist_partition where partmethod = 'h'",
    );
    await grantInsertOnShards(
      root,
      rows.map((r) => r.table),
    );
    await shardRowFunctions(root); // and the computed columns' overloads for the new shards' row types
  }
  return { gymId, shardId: shard.shard, node: { host: shard.host, port: shard.port }, isolated, moved };
}

export interface GymStats {
  gymId: string;
  slug: string;
  queriesThisPeriod: number;
  queriesLastPeriod: number;
  readsThisPeriod: number;
  cpuSecondsThisPeriod: number;
}

/**
 * Queries, reads and CPU seconds per gym in Citus's current statistics period
 * (citus_stat_tenants, kept because src/db/citus.ts sets `citus.stat_tenants_track = 'all'`),
 * busiest first: which gym to isolate. A superuser connection: Citus lets only pg_monitor
 * members read the view, and none of our roles is one (a gym role must not see other gyms' load).
 */
export async function gymStats(root: Client): Promise<GymStats[]> {
  const { rows } = await root.query<GymStats>(`
    with s as (
      select t.tenant_attribute, sum(t.query_count_in_this_period) as q, sum(t.query_count_in_last_period) as ql,
             sum(t.read_count_in_this_period) as r, sum(t.cpu_usage_in_this_period) as c
        from pg_catalog.citus_stat_tenants t
       where t.colocation_id = (select colocationid from pg_dist_partition where logicalrelid = 'app_public.gyms'::regclass)
       group by t.tenant_attribute
    )
    select g.id as "gymId", g.slug::text as slug, s.q::int as "queriesThisPeriod", s.ql::int as "queriesLastPeriod",
           s.r::int as "readsThisPeriod", round(s.c::numeric, 3)::float8 as "cpuSecondsThisPeriod"
      from s join app_public.gyms g on g.id::text = s.tenant_attribute
     order by s.q desc, g.slug`);
  return rows;
}
