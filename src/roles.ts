/**
 * Ironclad's one vocabulary of roles. A visitor's role is the JWT `role` claim; per request
 * the API runs as the Postgres role of the same key (src/db/roles.ts names those per
 * database, and gives the migrations the placeholders below). Auth, lint, the permission
 * matrix, the seed, the bench and the tests read the keys from here.
 */

/** The roles a membership holds inside one gym, in increasing order of power. */
export const GYM_ROLES = ["member", "personal_trainer", "coach", "gym_admin"] as const;
export type GymRole = (typeof GYM_ROLES)[number];

/** Every visitor role (JWT `role` claim): no token, the gym roles, the platform's own staff. */
export const APP_ROLES = ["anonymous", ...GYM_ROLES, "platform_owner"] as const;
export type AppRole = (typeof APP_ROLES)[number];

/** How docs and tables name each visitor role. */
export const ROLE_LABELS: Record<AppRole, string> = {
  anonymous: "anonymous",
  member: "member",
  personal_trainer: "personal trainer",
  coach: "coach",
  gym_admin: "gym admin",
  platform_owner: "platform owner",
};

export function isAppRole(value: unknown): value is AppRole {
  return typeof value === "string" && (APP_ROLES as readonly string[]).includes(value);
}

export function isGymRole(value: unknown): value is GymRole {
  return typeof value === "string" && (GYM_ROLES as readonly string[]).includes(value);
}
