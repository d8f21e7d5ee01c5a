import type { Client } from "pg";
import { pgSettingsFor } from "../auth/pg-settings";
import type { AppRole, RoleNames } from "./roles";

/**
 * Become a visitor for the rest of the transaction with exactly the settings a request gets
 * from src/auth (role, claims, statement timeout), so the seed writes under the real policies.
 */
export async function actAs(client: Client, roles: RoleNames, role: AppRole, userId: string | null, tenantId: string | null) {
  const settings = pgSettingsFor({ role, userId, tenantId, sessionId: null }, roles);
  for (const [key, value] of Object.entries(settings)) {
    await client.query("select set_config($1, $2, true)", [key, value]);
  }
}
