import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "pg";
import { expectedMigrationHash } from "../src/db/migration-files";
import { DEMO_PASSWORD } from "../src/db/seed";
import { erasePerson, exportGym, importGym, offboardGym, rowsOfTenant, suspendGym } from "../src/ops/tenant";
import { createGymUser, rootQuery, testDb, type FreshGym } from "./support/db";

/**
 * Tenant lifecycle (issue 11, item 1): export → offboard → import → export is identical; an
 * offboarded gym leaves zero rows in every tenant table and other gyms are untouched; a new
 * tenant table is exported with no code change; erasure anonymises and keeps payments.
 */
jest.setTimeout(120_000);

let owner: Client;
const roles = () => testDb().roles;
beforeAll(async () => {
  owner = new Client({ connectionString: testDb().ownerUrl });
  await owner.connect();
});
afterAll(async () => {
  await owner.end();
});

/** A checksum of every other gym's rows, table by table (ground truth as superuser). */
async function otherGymsChecksum(except: string): Promise<string> {
  const tables = await rootQuery<{ t: string }>(
    `select format('%I.%I', table_schema, table_name) as t from information_schema.columns
      where column_name = 'tenant_id' and table_schema in ('app_public','app_private','app_hidden')
        and (table_schema, table_name) in (select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE')
      order by 1`,
  );
  const parts: string[] = [];
  for (const { t } of tables) {
    const [row] = await rootQuery<{ h: string }>(
      `select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) as h from ${t} x where tenant_id <> $1`,
      [except],
    );
    parts.push(`${t}:${row!.h}`);
  }
  return parts.join("\n");
}

async function gymWithPeople(): Promise<{ gym: FreshGym; memberEmail: string }> {
  const admin = await createGymUser({ role: "gym_admin", password: null });
  const member = await createGymUser({ role: "member", gym: admin.gym, password: null });
  await createGymUser({ role: "coach", gym: admin.gym, password: null });
  return { gym: admin.gym, memberEmail: member.email };
}

it("export → offboard → import → export gives identical bundles; offboard leaves zero rows and other gyms untouched", async () => {
  const { gym } = await gymWithPeople();
  const hash = await expectedMigrationHash();
  const first = await mkdtemp(path.join(tmpdir(), "ironclad-export-"));
  const m1 = await exportGym(owner, roles(), gym.slug, first, hash);
  expect(m1.tables["app_public.memberships"]!.rows).toBe(3);
  expect(m1.tables["app_public.users"]!.rows).toBe(3);
  expect(m1.tables["app_public.gyms"]!.rows).toBe(1);
  expect(Object.keys(m1.tables)).not.toContain("app_private.user_secrets");

  const others = await otherGymsChecksum(gym.id);
  await offboardGym(owner, roles(), gym.slug);
  expect(await rowsOfTenant(owner, roles(), gym.id)).toEqual({});
  expect(await rootQuery("select 1 from app_public.gyms where id = $1", [gym.id])).toHaveLength(0);
  expect(await otherGymsChecksum(gym.id)).toBe(others);

  await importGym(owner, roles(), first, hash);
  const second = await mkdtemp(path.join(tmpdir(), "ironclad-export-"));
  const m2 = await exportGym(owner, roles(), gym.slug, second, hash);
  expect(m2.tables).toEqual(m1.tables);
  expect(m2.checksum).toBe(m1.checksum);
  expect(await readFile(path.join(second, "app_public.memberships.jsonl"), "utf8")).toBe(
    await readFile(path.join(first, "app_public.memberships.jsonl"), "utf8"),
  );
  // A second import of the same bundle is refused, not merged.
  await expect(importGym(owner, roles(), first, hash)).rejects.toThrow(/already exists/);
  await offboardGym(owner, roles(), gym.slug);
});

it("a tenant table added by a migration is exported with no code change", async () => {
  const { gym } = await gymWithPeople();
  const ownerDdl = new Client({ connectionString: testDb().ownerUrl });
  await ownerDdl.connect();
  try {
    await ownerDdl.query(`create table app_public.zz_lockers (
      tenant_id uuid not null references app_public.gyms (id) on delete cascade,
      id uuid not null default gen_random_uuid(), label text not null, primary key (tenant_id, id))`);
    await ownerDdl.query("alter table app_public.zz_lockers enable row level security, force row level security");
    await rootQuery("insert into app_public.zz_lockers (tenant_id, label) values ($1, 'L1'), ($1, 'L2')", [gym.id]);
    const dir = await mkdtemp(path.join(tmpdir(), "ironclad-export-"));
    const m = await exportGym(owner, roles(), gym.slug, dir, await expectedMigrationHash());
    expect(m.tables["app_public.zz_lockers"]?.rows).toBe(2);
    await offboardGym(owner, roles(), gym.slug);
    expect(await rootQuery("select 1 from app_public.zz_lockers where tenant_id = $1", [gym.id])).toHaveLength(0);
  } finally {
    await ownerDdl.query("drop table if exists app_public.zz_lockers");
    await ownerDdl.end();
  }
});

it("a suspended gym refuses logins (IC040) and ends its sessions", async () => {
  const admin = await createGymUser({ role: "gym_admin" });
  const [session] = await rootQuery<{ id: string }>("insert into app_private.sessions (user_id) values ($1) returning id", [
    admin.userId,
  ]);
  const valid = async () =>
    (
      await rootQuery<{ ok: boolean }>(
        `select app_hidden.session_is_valid($1, $2, $3, m.id, m.token_version, 'gym_admin') as ok
         from app_public.memberships m where m.tenant_id = $3 and m.user_id = $2`,
        [session!.id, admin.userId, admin.tenantId],
      )
    )[0]!.ok;
  expect(await valid()).toBe(true);
  await suspendGym(owner, roles(), admin.gym.slug);
  expect(await valid()).toBe(false);
  const login = await rootQuery("select app_public.authenticate($1, 'irrelevant-wrong') as t", [admin.email]).catch(
    (e: { code: string }) => e.code,
  );
  expect(login).toBe("IC003"); // a wrong password still says only "invalid"
  const refused = await rootQuery("select app_public.authenticate($1, $2) as t", [admin.email, DEMO_PASSWORD]).catch(
    (e: { code: string }) => e.code,
  );
  expect(refused).toBe("IC040");
  await offboardGym(owner, roles(), admin.gym.slug);
});

it("erasing a person removes them everywhere and keeps the gym's payments, anonymised", async () => {
  const member = await createGymUser({ role: "member", password: null });
  const [plan] = await rootQuery<{ id: string }>("select id from app_public.membership_plans where tenant_id = $1 limit 1", [
    member.tenantId,
  ]).catch(() => []);
  let paymentKept = false;
  if (plan) {
    await rootQuery(
      "insert into app_public.payments (tenant_id, member_id, plan_id, amount_cents, period_start, period_end) values ($1, $2, $3, 1000, current_date, current_date + 30)",
      [member.tenantId, member.membershipId, plan.id],
    ).then(
      () => (paymentKept = true),
      () => undefined,
    );
  }
  await erasePerson(owner, roles(), member.email);
  expect(await rootQuery("select 1 from app_public.users where email = $1", [member.email])).toHaveLength(0);
  const [user] = await rootQuery<{ display_name: string; is_disabled: boolean }>(
    "select display_name, is_disabled from app_public.users where id = $1",
    [member.userId],
  );
  expect(user).toEqual({ display_name: "Erased person", is_disabled: true });
  expect(await rootQuery("select 1 from app_private.user_secrets where user_id = $1", [member.userId])).toHaveLength(0);
  expect(await rootQuery("select 1 from app_private.sessions where user_id = $1", [member.userId])).toHaveLength(0);
  if (paymentKept) {
    expect(await rootQuery("select 1 from app_public.payments where member_id = $1", [member.membershipId])).toHaveLength(1);
  } else {
    expect(await rootQuery("select 1 from app_public.memberships where id = $1", [member.membershipId])).toHaveLength(0);
  }
  await offboardGym(owner, roles(), member.gym.slug);
});
