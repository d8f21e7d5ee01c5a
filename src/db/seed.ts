import type { Client } from "pg";
import type { RoleNames } from "./roles";
import { seedNetworkDemo } from "./seed-network";

export const DEMO_PASSWORD = "demo-password";

interface DemoGym {
  name: string;
  slug: string;
  plan: "free" | "basic" | "pro";
}

export const DEMO_GYMS: DemoGym[] = [
  { name: "Iron Temple", slug: "iron-temple", plan: "pro" },
  { name: "Harbor Barbell", slug: "harbor-barbell", plan: "basic" },
];

const PEOPLE: { local: string; name: (gym: string) => string; role: string }[] = [
  { local: "admin", name: (g) => `${g} Admin`, role: "gym_admin" },
  { local: "coach", name: (g) => `${g} Coach`, role: "coach" },
  { local: "pt", name: (g) => `${g} Trainer`, role: "personal_trainer" },
  { local: "member", name: (g) => `${g} Member`, role: "member" },
  { local: "member2", name: (g) => `${g} Member Two`, role: "member" },
];

/** The demo logins, for the README and the start banner. */
export function demoLogins(): { email: string; role: string; gym: string }[] {
  const logins = [{ email: "owner@ironclad.test", role: "platform_owner", gym: "(all gyms)" }];
  for (const gym of DEMO_GYMS) {
    for (const p of PEOPLE) logins.push({ email: `${p.local}@${gym.slug}.test`, role: p.role, gym: gym.slug });
  }
  logins.push({ email: "dual@example.test", role: "coach / member", gym: "iron-temple / harbor-barbell" });
  return logins;
}

/**
 * Load the demo data, through the same functions the API offers: the seed becomes the
 * platform owner (a real visitor role, under RLS) to provision gyms and people.
 * Returns false if the database already has gyms.
 */
export async function seedDemoData(client: Client, roles: RoleNames): Promise<boolean> {
  await client.query("begin");
  try {
    await client.query("select app_private.create_platform_owner($1, $2, $3)", [
      "owner@ironclad.test", "Olivia Owner", DEMO_PASSWORD,
    ]);
    await client.query(`set local role "${roles.visitor.platform_owner}"`);
    await client.query("select set_config('jwt.claims.role', 'platform_owner', true)");
    const { rows: existing } = await client.query("select 1 from app_public.gyms limit 1");
    if (existing.length > 0) {
      await client.query("rollback");
      return false;
    }
    const gymIds: Record<string, string> = {};
    for (const gym of DEMO_GYMS) {
      const { rows } = await client.query<{ id: string }>("select id from app_public.provision_gym($1, $2, $3)", [
        gym.name, gym.slug, gym.plan,
      ]);
      gymIds[gym.slug] = rows[0]!.id;
      for (const p of PEOPLE) {
        await addUser(client, `${p.local}@${gym.slug}.test`, p.name(gym.name), p.role, gymIds[gym.slug]!);
      }
    }
    await addUser(client, "dual@example.test", "Dana Dual", "coach", gymIds["iron-temple"]!);
    await addUser(client, "dual@example.test", "Dana Dual", "member", gymIds["harbor-barbell"]!);
    await client.query("commit");
    await seedNetworkDemo(client, roles);
    return true;
  } catch (error) {
    await client.query("rollback");
    throw error;
  }
}

async function addUser(client: Client, email: string, name: string, role: string, tenantId: string) {
  await client.query("select app_public.add_gym_user($1, $2, $3, $4, $5)", [email, name, role, DEMO_PASSWORD, tenantId]);
}
