import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { citusWorkers } from "../../src/db/citus";
import { gymStats, isolateGym } from "../../src/ops/placement";
import { rootQuery, testDb } from "../support/db";
import { addPersonOnCitus, citusDescribe, onCitusAs, provisionGymOnCitus, taskCounts, type CitusPerson } from "./support";

/**
 * Tenant placement (src/ops/placement.ts, `npm run gym -- isolate SLUG --node HOST:PORT`): a
 * gym isolated to shards of its own and moved to the other worker keeps every guarantee —
 * the isolation checks run again after the move, writes reach the new shards (their grants
 * are re-applied), and its queries are still routed to one task, now on the chosen node.
 * The operator reads per-gym query statistics (citus_stat_tenants); a gym role cannot.
 */

citusDescribe("isolating a gym to its own shard and moving it (Citus)", () => {
  const tag = randomUUID().slice(0, 8);
  const slug = { a: `big-${tag}`, b: `small-${tag}` };
  const gym = { a: "", b: "" };
  const people: Record<string, CitusPerson> = {};
  let root: Client;

  const send = (from: CitusPerson, to: CitusPerson, body: string) =>
    onCitusAs(
      from,
      (db) => db.query("insert into app_public.messages (recipient_id, body) values ($1, $2)", [to.membershipId, body]),
      true,
    );

  beforeAll(async () => {
    gym.a = await provisionGymOnCitus(slug.a);
    gym.b = await provisionGymOnCitus(slug.b);
    for (const [name, key] of [
      ["alice", "a"],
      ["amy", "a"],
      ["bob", "b"],
      ["bea", "b"],
    ] as const) {
      people[name] = await addPersonOnCitus(gym[key], "member", `${name}-${tag}@citus.test`);
    }
    await send(people.alice!, people.amy!, "a: before the move");
    await send(people.bob!, people.bea!, "b: before the move");
    root = new Client({ connectionString: testDb().rootUrl });
    await root.connect();
  });
  afterAll(async () => {
    await root?.end();
  });

  it("isolates the gym and moves its shards to the chosen worker", async () => {
    const before = await rootQuery<{ port: number }>(
      `select n.nodeport as port from pg_dist_shard s join pg_dist_placement p using (shardid) join pg_dist_node n on n.groupid = p.groupid
        where s.logicalrelid = 'app_public.gyms'::regclass and worker_hash($1::uuid) between s.shardminvalue::int and s.shardmaxvalue::int`,
      [gym.a],
    );
    const workers = await citusWorkers(testDb().serverRootUrl);
    const target = workers.find((w) => w.port !== before[0]!.port)!;
    const result = await isolateGym(root, testDb().serverRootUrl, slug.a, target);
    expect(result).toMatchObject({ gymId: gym.a, isolated: true, moved: true, node: target });
    // Every co-located shard holding gym A holds gym A alone, on the target.
    const shards = await rootQuery<{ table: string; alone: boolean; port: number }>(
      `select s.logicalrelid::regclass::text as table, s.shardminvalue = s.shardmaxvalue as alone, n.nodeport as port
         from pg_dist_shard s join pg_dist_placement p using (shardid) join pg_dist_node n on n.groupid = p.groupid
         join pg_dist_partition d on d.logicalrelid = s.logicalrelid and d.partmethod = 'h'
        where worker_hash($1::uuid) between s.shardminvalue::int and s.shardmaxvalue::int`,
      [gym.a],
    );
    expect(shards.length).toBeGreaterThan(10);
    expect(shards.filter((s) => !s.alone || s.port !== target.port)).toEqual([]);
    // Again: nothing to isolate, nothing to move.
    expect(await isolateGym(root, testDb().serverRootUrl, slug.a, target)).toMatchObject({ isolated: false, moved: false });
  });

  it("after the move: each member reads their own gym only, and writes reach the new shards", async () => {
    await send(people.amy!, people.alice!, "a: after the move");
    const seenByAlice = await onCitusAs(
      people.alice!,
      async (db) =>
        (await db.query<{ body: string; tenant_id: string }>("select body, tenant_id from app_public.messages order by body"))
          .rows,
    );
    expect(seenByAlice).toEqual([
      { body: "a: after the move", tenant_id: gym.a },
      { body: "a: before the move", tenant_id: gym.a },
    ]);
    const seenByBea = await onCitusAs(people.bea!, async (db) => (await db.query("select body from app_public.messages")).rows);
    expect(seenByBea).toEqual([{ body: "b: before the move" }]);
    await onCitusAs(people.alice!, async (db) => {
      expect((await db.query("select * from app_public.messages where tenant_id = $1", [gym.b])).rows).toEqual([]);
      expect((await db.query("select * from app_public.gyms where id = $1", [gym.b])).rows).toEqual([]);
    });
    // A write into the other gym is still refused on the new shards.
    await expect(
      onCitusAs(people.alice!, (db) =>
        db.query("insert into app_public.messages (recipient_id, body) values ($1, 'x')", [people.bea!.membershipId]),
      ),
    ).rejects.toMatchObject({ code: "23503" });
  });

  it("after the move: the gym's routed query is one task", async () => {
    await onCitusAs(people.amy!, async (db) => {
      const plan = await db.query<{ "QUERY PLAN": string }>(
        "explain (costs off) select body from app_public.messages where tenant_id = $1",
        [gym.a],
      );
      expect(taskCounts(plan.rows)).toEqual([1]);
    });
  });

  it("per-gym query statistics name the busy gym; a gym role cannot read Citus's statistics", async () => {
    for (let i = 0; i < 3; i++) {
      await onCitusAs(people.alice!, (db) => db.query("select count(*) from app_public.messages where tenant_id = $1", [gym.a]));
    }
    const mine = (await gymStats(root)).find((s) => s.gymId === gym.a);
    expect(mine).toMatchObject({ slug: slug.a });
    expect(mine!.queriesThisPeriod).toBeGreaterThanOrEqual(3);
    await expect(onCitusAs(people.alice!, (db) => db.query("select * from pg_catalog.citus_stat_tenants"))).rejects.toMatchObject(
      { code: "42501" },
    );
  });
});
