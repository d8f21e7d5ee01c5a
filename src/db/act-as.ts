import type { Client } from "pg";
import { pgSettingsFor } from "../auth/pg-settings";
import type { AppRole } from "../roles";
import { citusMode } from "./citus";
import type { RoleNames } from "./roles";

type Queryable = { query(sql: string, params?: unknown[]): Promise<unknown> };

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const identifier = (value: string) => `"${value.replace(/"/g, '""')}"`;

/**
 * Apply a request's settings (pgSettingsFor) to the open transaction, transaction-locally.
 * One node: `set_config(k, v, true)`. Citus mode: set_config is not sent on to the workers, so
 * the role goes first in a statement of its own (not propagated: a SECURITY DEFINER function's
 * worker connection would replay SET ROLE as its owner, 42501), then
 * `citus.propagate_set_commands = 'local'` and every other setting with SET LOCAL, which Citus
 * replays on its worker connections (the API adaptor's "set_local" style, src/db/pg-adaptor.ts).
 */
export async function applySettings(client: Queryable, settings: Record<string, string>, citus = citusMode()) {
  if (!citus) {
    for (const [key, value] of Object.entries(settings)) await client.query("select set_config($1, $2, true)", [key, value]);
    return;
  }
  if (settings.role !== undefined) await client.query(`set local role ${identifier(settings.role)}`);
  await client.query("set local citus.propagate_set_commands = 'local'");
  for (const [key, value] of Object.entries(settings)) {
    if (key !== "role") await client.query(`set local ${identifier(key)} = ${literal(value)}`);
  }
}

/**
 * Become a visitor for the rest of the transaction with exactly the settings a request gets
 * from src/auth (role, claims including the membership a token would name, statement
 * timeout), so the seed writes under the real policies. The client must log in as the
 * database owner (it briefly becomes the system role to read the membership a login would
 * put in the token).
 */
export async function actAs(client: Client, roles: RoleNames, role: AppRole, userId: string | null, tenantId: string | null) {
  let membershipId: string | null = null;
  if (userId && tenantId && role !== "platform_owner" && role !== "anonymous") {
    // The membership a login would put in the token. As the connection's own role (the
    // seed connects as the database owner), through the system role's read policy.
    await client.query("reset role");
    await client.query(`set local role ${JSON.stringify(roles.system)}`);
    const { rows } = await client.query<{ id: string }>(
      "select id from app_public.memberships where tenant_id = $1 and user_id = $2",
      [tenantId, userId],
    );
    membershipId = rows[0]?.id ?? null;
    await client.query("reset role");
  }
  await applySettings(client, pgSettingsFor({ role, userId, tenantId, sessionId: null, membershipId }, roles));
}
