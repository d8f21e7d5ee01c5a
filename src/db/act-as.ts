import type { Client } from "pg";
import { pgSettingsFor } from "../auth/pg-settings";
import type { AppRole } from "../roles";
import type { RoleNames } from "./roles";

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
  }
  const settings = pgSettingsFor({ role, userId, tenantId, sessionId: null, membershipId }, roles);
  for (const [key, value] of Object.entries(settings)) {
    await client.query("select set_config($1, $2, true)", [key, value]);
  }
}
