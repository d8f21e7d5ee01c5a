import { readFile } from "node:fs/promises";
import path from "node:path";
import { APP_ROLES, GYM_ROLES, type AppRole } from "../roles";

export const MIGRATIONS_DIR = path.resolve(__dirname, "../../migrations");

/**
 * Postgres role names for one database. They are derived from the database name so that two
 * Ironclad databases (say, dev and test) on one server never share a role.
 */
export interface RoleNames {
  owner: string;
  authenticator: string;
  system: string;
  /** Owns the cross-gym layer (app_shared); NOLOGIN, never granted to the authenticator. */
  shared: string;
  /** NOLOGIN BYPASSRLS role for the operator's CLI (export, offboard, backup); granted to the owner only. */
  maintenance: string;
  visitor: Record<AppRole, string>;
}

export function roleNamesFor(databaseName: string, owner?: string): RoleNames {
  const prefix = databaseName
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 40);
  const visitor = Object.fromEntries(APP_ROLES.map((r) => [r, `${prefix}_${r}`])) as Record<AppRole, string>;
  return {
    owner: owner ?? `${prefix}_owner`,
    authenticator: `${prefix}_authenticator`,
    system: `${prefix}_system`,
    shared: `${prefix}_shared`,
    maintenance: `${prefix}_maintenance`,
    visitor,
  };
}

/**
 * graphile-migrate placeholders: how migrations name our roles. One per role (`":ROLE_MEMBER"`,
 * quoted in the SQL), and the groups policies and grants name again and again, already quoted
 * (`to :GYM_ROLES`): every gym role, and every visitor role.
 */
export function placeholdersFor(roles: RoleNames): Record<string, string> {
  const list = (keys: readonly AppRole[]) => keys.map((k) => `"${roles.visitor[k]}"`).join(", ");
  return {
    ":GYM_ROLES": list(GYM_ROLES),
    ":VISITOR_ROLES": list(APP_ROLES),
    ":DATABASE_AUTHENTICATOR": roles.authenticator,
    ":ROLE_SYSTEM": roles.system,
    ":ROLE_SHARED": roles.shared,
    ":ROLE_MAINTENANCE": roles.maintenance,
    ":ROLE_ANONYMOUS": roles.visitor.anonymous,
    ":ROLE_MEMBER": roles.visitor.member,
    ":ROLE_PERSONAL_TRAINER": roles.visitor.personal_trainer,
    ":ROLE_COACH": roles.visitor.coach,
    ":ROLE_GYM_ADMIN": roles.visitor.gym_admin,
    ":ROLE_PLATFORM_OWNER": roles.visitor.platform_owner,
  };
}

/** Replace :PLACEHOLDERS the way graphile-migrate does (whole words only). */
export function fillPlaceholders(sql: string, values: Record<string, string>): string {
  const keys = Object.keys(values).sort((a, b) => b.length - a.length);
  const pattern = new RegExp(`(?:${keys.map((k) => k.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&")).join("|")})\\b`, "g");
  return sql.replace(pattern, (key) => values[key] ?? key);
}

export async function readMigrationFile(name: string): Promise<string> {
  return readFile(path.join(MIGRATIONS_DIR, name), "utf8");
}
