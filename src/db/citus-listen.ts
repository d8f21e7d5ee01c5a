import { Pool, type PoolConfig } from "pg";
import { PgSubscriber } from "postgraphile/adaptors/pg";
import { log } from "../observability/logger";
import { nodeUrl, type CitusNode } from "./citus";

/**
 * Citus mode: LISTEN on every node of the cluster, not only the coordinator.
 *
 * A `_900_notify` trigger on a distributed table (results, messages, class sessions) fires on
 * the worker holding the shard, and NOTIFY is delivered only to listeners of that node's
 * database; the coordinator's LISTEN connection never hears it. The network boards' events
 * (app_shared, local on the coordinator, written by the catch-up job) are raised on the
 * coordinator. So the API keeps PostGraphile's one LISTEN connection to the coordinator and
 * adds one per worker, logged in as the same authenticator, and every subscription hears a
 * channel on all of them. The workers are read once, at start, from pg_dist_node (readable by
 * any role); a node added later is heard after a restart.
 *
 * A subclass of PgSubscriber, so PostGraphile takes it where it takes its own. On one node
 * nothing here runs (src/graphql/preset.ts builds a plain PgSubscriber).
 */
export class ClusterSubscriber<
  TTopics extends { [key: string]: string } = { [key: string]: string },
> extends PgSubscriber<TTopics> {
  private constructor(
    coordinatorPool: Pool,
    private readonly workers: PgSubscriber<TTopics>[],
    private readonly workerPools: Pool[],
  ) {
    super(coordinatorPool);
  }

  /** One subscriber per node: the coordinator's over `coordinatorPool`, each worker's over a small pool of its own. */
  static async connect(coordinatorPool: Pool): Promise<ClusterSubscriber> {
    const { rows } = await coordinatorPool.query<CitusNode>(
      "select nodename as host, nodeport as port from pg_catalog.pg_dist_node where groupid <> 0 and noderole = 'primary' and isactive order by nodeport",
    );
    // One connection each: a LISTEN connection is held for the subscriber's lifetime. A worker
    // that goes away must not end the process (an unhandled 'error' event would): PgSubscriber
    // drops the broken client and LISTENs again on a new one.
    const pools = rows.map((node) => {
      const pool = new Pool({ ...sameLoginOn(coordinatorPool.options, node), max: 1 });
      const warn = (error: Error) => log.warn({ err: error, node: `${node.host}:${node.port}` }, "citus LISTEN connection error");
      pool.on("error", warn);
      pool.on("connect", (client) => client.on("error", warn));
      return pool;
    });
    return new ClusterSubscriber(
      coordinatorPool,
      pools.map((pool) => new PgSubscriber(pool)),
      pools,
    );
  }

  override subscribe<TTopic extends keyof TTopics>(topic: TTopic): AsyncIterableIterator<TTopics[TTopic]> {
    return merge([super.subscribe(topic), ...this.workers.map((worker) => worker.subscribe(topic))]);
  }

  override release(): void {
    super.release();
    for (const worker of this.workers) worker.release();
    for (const pool of this.workerPools) void pool.end().catch(() => undefined);
  }
}

/** The coordinator pool's login, aimed at another node (a connection string's host and port win over the fields). */
function sameLoginOn(options: PoolConfig, node: CitusNode): PoolConfig {
  if (options.connectionString) return { ...options, connectionString: nodeUrl(options.connectionString, node) };
  return { ...options, host: node.host, port: node.port };
}

/**
 * Every source's values as they come, in one iterator. Ends (and ends every source) when the
 * consumer stops or any source ends: the sources are released together.
 */
function merge<T>(sources: AsyncIterableIterator<T>[]): AsyncIterableIterator<T> {
  type Pulled = { index: number; result: IteratorResult<T> };
  const pending = new Map<number, Promise<Pulled>>();
  const pull = (index: number) =>
    pending.set(
      index,
      sources[index]!.next().then((result) => ({ index, result })),
    );
  sources.forEach((_, index) => pull(index));
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    pending.clear();
    await Promise.all(sources.map((source) => source.return?.()));
  };
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      if (finished || pending.size === 0) return { done: true, value: undefined };
      const { index, result } = await Promise.race(pending.values());
      if (finished) return { done: true, value: undefined };
      if (result.done) {
        await finish();
        return { done: true, value: undefined };
      }
      pull(index);
      return { done: false, value: result.value };
    },
    async return() {
      await finish();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await finish();
      throw error;
    },
  };
  return iterator;
}
