import type { RunningApi } from "../../src/server";
import { DEMO_PASSWORD } from "../../src/db/seed";
import { login } from "./api";
import { rootQuery, userId } from "./db";

/** One logged-in identity and what the API must say about it. */
export interface Identity {
  label: string;
  token: string;
  userId: string;
  tenantId: string | null;
  role: string;
  /** ids of every membership row of its gym (ground truth), or null for the platform owner */
  membershipTenant: string | null;
}

/** Every demo login, in every gym it belongs to (the dual user twice), plus the platform owner. */
export async function demoIdentities(api: RunningApi): Promise<Identity[]> {
  const rows = await rootQuery<{ email: string; tenant_id: string; role: string }>(
    `select u.email::text as email, m.tenant_id, m.role from app_public.memberships m
       join app_public.users u on u.id = m.user_id
       join app_public.gyms g on g.id = m.tenant_id
      where g.slug in ('iron-temple', 'harbor-barbell')
        -- the seed's people only: other suites add (and disable) their own users meanwhile
        and u.email::text ~ '^([a-z]+[0-9]*@(iron-temple|harbor-barbell)\\.test|dual@example\\.test)$'
      order by 1, 2`,
  );
  const identities: Identity[] = [];
  for (const r of rows) {
    identities.push({
      label: `${r.role} ${r.email} @${r.tenant_id.slice(0, 8)}`,
      token: await login(api, r.email, DEMO_PASSWORD, r.tenant_id),
      userId: await userId(r.email),
      tenantId: r.tenant_id,
      role: r.role,
      membershipTenant: r.tenant_id,
    });
  }
  identities.push({
    label: "platform owner",
    token: await login(api, "owner@ironclad.test"),
    userId: await userId("owner@ironclad.test"),
    tenantId: null,
    role: "platform_owner",
    membershipTenant: null,
  });

  return identities;
}

export const WHO_AM_I = `{ me { rowId } currentGym { rowId } myRole memberships(first: 100) { totalCount nodes { tenantId } } }`;

export interface HammerResult {
  requests: number;
  failures: string[];
  errors: number;
  millis: number;
  perSecond: number;
}

/**
 * `clients` concurrent clients, each bound to one identity (round-robin), send `total` requests
 * between them as fast as the API answers; every answer is checked against the identity:
 * its own user, its own gym, its own role, and memberships of its own gym only.
 */
export async function hammer(
  apiUrl: string,
  identities: Identity[],
  options: {
    clients: number;
    total: number;
    allowErrors?: boolean;
    /** stop early after this long (default: no limit) */ maxMillis?: number;
  },
): Promise<HammerResult> {
  const failures: string[] = [];
  let sent = 0;
  let errors = 0;
  const membershipCounts = new Map<string, number>();
  for (const id of identities) {
    if (id.tenantId) {
      const [row] = await rootQuery<{ n: number }>("select count(*)::int as n from app_public.memberships where tenant_id = $1", [
        id.tenantId,
      ]);
      membershipCounts.set(id.tenantId, row!.n);
    }
  }
  const started = Date.now();
  const client = async (index: number) => {
    const who = identities[index % identities.length]!;
    while (sent < options.total && (options.maxMillis === undefined || Date.now() - started < options.maxMillis)) {
      sent++;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answer is compared with the expected JSON as a whole
      let body: any;
      try {
        const res = await fetch(`${apiUrl}/graphql`, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${who.token}` },
          body: JSON.stringify({ query: WHO_AM_I }),
        });
        body = await res.json();
        if (res.status !== 200 || body.errors) {
          errors++;
          if (!options.allowErrors) failures.push(`${who.label}: HTTP ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
          continue;
        }
      } catch (error) {
        errors++;
        if (!options.allowErrors) failures.push(`${who.label}: ${(error as Error).message}`);
        continue;
      }
      const d = body.data;
      const problems: string[] = [];
      if (d.me?.rowId !== who.userId) problems.push(`me=${d.me?.rowId}`);
      if ((d.currentGym?.rowId ?? null) !== who.tenantId) problems.push(`currentGym=${d.currentGym?.rowId}`);
      if (d.myRole !== who.role) problems.push(`myRole=${d.myRole}`);
      if (who.tenantId) {
        const tenants = new Set(d.memberships.nodes.map((n: { tenantId: string }) => n.tenantId));
        if (tenants.size > 1 || (tenants.size === 1 && !tenants.has(who.tenantId)))
          problems.push(`memberships of ${[...tenants].join(",")}`);
        if (d.memberships.totalCount !== membershipCounts.get(who.tenantId))
          problems.push(`totalCount=${d.memberships.totalCount}`);
      }
      if (problems.length) failures.push(`${who.label}: ${problems.join("; ")}`);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  const millis = Date.now() - started;
  return { requests: sent, failures, errors, millis, perSecond: Math.round((sent * 1000) / millis) };
}
