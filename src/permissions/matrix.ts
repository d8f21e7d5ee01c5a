/**
 * Ironclad's in-gym permission matrix, written down once.
 *
 * Every cell says what one role may do with one table through the API (as that Postgres
 * role, under the real RLS policies and grants). docs/PERMISSIONS.md is generated from this
 * file (`npm run docs:permissions`) and test/permissions.test.ts proves every cell against
 * the database, so the policies of the committed migration and this file cannot drift apart.
 */
import { GYM_ROLES, type AppRole } from "../roles";

/** The matrix's columns: the gym roles, then the platform owner and anonymous visitors. */
export const ROLES = [...GYM_ROLES, "platform_owner", "anonymous"] as const satisfies readonly AppRole[];
export type Role = (typeof ROLES)[number];

export const OPERATIONS = ["select", "insert", "update", "delete"] as const;
export type Operation = (typeof OPERATIONS)[number];

/**
 * - `all`       every row of the caller's gym (for the platform owner: of every gym).
 * - `own`       only rows that are the caller's own (the table's `scopes.own` says which).
 * - `assigned`  only rows of members the caller is an assigned personal trainer of.
 * - `published` only published rows (workouts).
 * - `deny`      nothing: the statement fails (permission denied / row-level security) or
 *               sees and touches no row.
 * Gym roles never reach another gym's rows, whatever the cell says.
 */
export const ACCESS = ["all", "own", "assigned", "published", "deny"] as const;
export type Access = (typeof ACCESS)[number];

export type Cells = Record<Operation, Access>;

export interface TableRule {
  /** Table in app_public. */
  table: string;
  /** One line: what the table holds. */
  about: string;
  /** What `own` / `assigned` / `published` mean for this table, where used. */
  scopes?: Partial<Record<Exclude<Access, "all" | "deny">, string>>;
  access: Record<Role, Cells>;
}

/** select / insert / update / delete, in that order. */
function c(select: Access, insert: Access, update: Access, del: Access): Cells {
  return { select, insert, update, delete: del };
}
const NONE = c("deny", "deny", "deny", "deny");

/** The community feed (posts and comments): everyone in the gym reads, writes their own; the admin moderates. */
const FEED_ACCESS = {
  member: c("all", "own", "own", "own"),
  personal_trainer: c("all", "own", "own", "own"),
  coach: c("all", "own", "own", "own"),
  gym_admin: c("all", "own", "own", "all"),
  platform_owner: c("all", "deny", "deny", "deny"),
  anonymous: NONE,
};

export const MATRIX: TableRule[] = [
  {
    table: "plans",
    about: "Ironclad's plans and their limits (global reference data; changed only by migrations).",
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: c("all", "deny", "deny", "deny"),
    },
  },
  {
    table: "gyms",
    about: "The tenant. Created by provision_gym (platform owner); the admin renames it, the platform owner changes its plan.",
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "all", "deny"),
      platform_owner: c("all", "deny", "all", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "users",
    about: "Login identities (global: one per person across gyms). You see and edit your own; the platform owner sees everyone.",
    scopes: { own: "your own user" },
    access: {
      member: c("own", "deny", "own", "deny"),
      personal_trainer: c("own", "deny", "own", "deny"),
      coach: c("own", "deny", "own", "deny"),
      gym_admin: c("own", "deny", "own", "deny"),
      platform_owner: c("all", "deny", "all", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "memberships",
    about:
      "Who belongs to the gym with which role, and the name the gym shows for them. Created only when a person accepts an invitation; the admin changes roles and names and removes people (each change lands in account_events).",
    scopes: { own: "your own membership" },
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "all", "all"),
      platform_owner: c("all", "deny", "deny", "all"),
      anonymous: NONE,
    },
  },
  {
    table: "invitations",
    about:
      "Open and past invitations to join the gym (email, role, name shown, expiry; never the token). Written only through inviteToGym / resendInvitation / revokeInvitation / acceptInvitation.",
    access: {
      member: NONE,
      personal_trainer: NONE,
      coach: NONE,
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "account_events",
    about:
      "Audit trail of account changes (invitation created/resent/revoked/accepted, membership created, role changed, removed), written by the database whoever made the change. Append-only.",
    access: {
      member: NONE,
      personal_trainer: NONE,
      coach: NONE,
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "network_preferences",
    about:
      "Your choice to appear on network (cross-gym) leaderboards, and the name shown there. Created through setNetworkPreferences.",
    scopes: { own: "your own preference" },
    access: {
      member: c("own", "deny", "own", "own"),
      personal_trainer: c("own", "deny", "own", "own"),
      coach: c("own", "deny", "own", "own"),
      gym_admin: c("own", "deny", "own", "own"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "benchmarks",
    about: "The network's benchmark workouts (Fran, Grace…; global catalog, managed by the platform owner).",
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "all", "all", "deny"),
      anonymous: c("all", "deny", "deny", "deny"),
    },
  },
  {
    table: "profiles",
    about: "Staff and member profiles (1:1 with memberships, created with them).",
    scopes: { own: "your own profile" },
    access: {
      member: c("all", "deny", "own", "deny"),
      personal_trainer: c("all", "deny", "own", "deny"),
      coach: c("all", "deny", "own", "deny"),
      gym_admin: c("all", "deny", "all", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "trainer_assignments",
    about: "Which personal trainer manages which member.",
    scopes: { own: "assignments where you are the trainer or the client" },
    access: {
      member: c("own", "deny", "deny", "deny"),
      personal_trainer: c("own", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "workouts",
    about:
      "Programming authored by coaches (the author is the caller, never an input); drafts are hidden from members and trainers.",
    scopes: { published: "published workouts (is_published)" },
    access: {
      member: c("published", "deny", "deny", "deny"),
      personal_trainer: c("published", "deny", "deny", "deny"),
      coach: c("all", "all", "all", "all"),
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "class_sessions",
    about: "The class schedule: time, coach, workout, capacity (booked_count kept by triggers).",
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "all", "all", "all"),
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "bookings",
    about: "A member's seat in a class; capacity enforced race-safely in the database (IC011).",
    scopes: { own: "your own bookings", assigned: "bookings of your assigned clients" },
    access: {
      member: c("own", "own", "deny", "own"),
      personal_trainer: c("assigned", "deny", "deny", "deny"),
      coach: c("all", "all", "all", "all"),
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "workout_bests",
    about:
      "Each member's best result per workout (scores and dates, no notes), kept by triggers; what workouts_leaderboard ranks. Read as the leaderboard is; written only by the system role's triggers.",
    scopes: { published: "bests of published workouts (is_published, copied from the workout)" },
    access: {
      member: c("published", "deny", "deny", "deny"),
      personal_trainer: c("published", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: NONE,
      anonymous: NONE,
    },
  },
  {
    table: "workout_results",
    about:
      "A member's score for a workout (value, Rx or scaled, notes, date; recorded_by is the caller, never an input). Everyone sees the leaderboard (workouts_leaderboard).",
    scopes: { own: "your own results", assigned: "results of your assigned clients" },
    access: {
      member: c("own", "own", "own", "own"),
      personal_trainer: c("assigned", "assigned", "assigned", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "progress_metrics",
    about:
      "Body weight, body fat, personal records (recorded_by is the caller, never an input): private to the member, their assigned trainers and the gym admin.",
    scopes: { own: "your own metrics", assigned: "metrics of your assigned clients" },
    access: {
      member: c("own", "own", "own", "own"),
      personal_trainer: c("assigned", "assigned", "assigned", "assigned"),
      coach: NONE,
      gym_admin: c("all", "deny", "deny", "deny"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "membership_plans",
    about: "The gym's price list (what a membership costs).",
    access: {
      member: c("all", "deny", "deny", "deny"),
      personal_trainer: c("all", "deny", "deny", "deny"),
      coach: c("all", "deny", "deny", "deny"),
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "payments",
    about: "What each member pays: visible to the gym admin and the member themself only.",
    scopes: { own: "your own payments" },
    access: {
      member: c("own", "deny", "deny", "deny"),
      personal_trainer: NONE,
      coach: NONE,
      gym_admin: c("all", "all", "all", "all"),
      platform_owner: c("all", "deny", "deny", "deny"),
      anonymous: NONE,
    },
  },
  {
    table: "messages",
    about: "Direct messages: only the sender and the recipient ever see them (not the gym admin, not the platform owner).",
    scopes: {
      own: "read: messages you sent or received; send: as yourself; update: mark a message you received as read",
    },
    access: {
      member: c("own", "own", "own", "deny"),
      personal_trainer: c("own", "own", "own", "deny"),
      coach: c("own", "own", "own", "deny"),
      gym_admin: c("own", "own", "own", "deny"),
      platform_owner: NONE,
      anonymous: NONE,
    },
  },
  {
    table: "posts",
    about: "Community feed posts, visible to everyone in the gym; the admin moderates.",
    scopes: { own: "posts you wrote" },
    access: FEED_ACCESS,
  },
  {
    table: "comments",
    about: "Comments on feed posts, visible to everyone in the gym; the admin moderates.",
    scopes: { own: "comments you wrote" },
    access: FEED_ACCESS,
  },
];

/** Functions whose EXECUTE right is part of the matrix: role → may call it (for its own gym). */
export interface FunctionRule {
  fn: string;
  about: string;
  allowed: Record<Role, boolean>;
}

function roles(...allowed: Role[]): Record<Role, boolean> {
  return Object.fromEntries(ROLES.map((r) => [r, allowed.includes(r)])) as Record<Role, boolean>;
}

export const FUNCTIONS: FunctionRule[] = [
  { fn: "provision_gym", about: "Create a gym.", allowed: roles("platform_owner") },
  {
    fn: "invite_to_gym",
    about:
      "Invite an email to join the gym with a role (plan limits apply; nothing is created for the person until they accept).",
    allowed: roles("gym_admin", "platform_owner"),
  },
  {
    fn: "resend_invitation",
    about: "Mail an open invitation again with a new link (the old link dies).",
    allowed: roles("gym_admin", "platform_owner"),
  },
  { fn: "revoke_invitation", about: "Withdraw an open invitation.", allowed: roles("gym_admin", "platform_owner") },
  {
    fn: "change_password",
    about:
      "Change your own password (needs the current one; ends your other sessions). Nobody can set another person's password.",
    allowed: roles(...GYM_ROLES, "platform_owner"),
  },
  {
    fn: "logout_everywhere",
    about: "End every session of yours.",
    allowed: roles(...GYM_ROLES, "platform_owner"),
  },
  {
    fn: "workouts_leaderboard",
    about: "The gym's leaderboard for a workout (best score per member, no notes).",
    allowed: roles(...GYM_ROLES),
  },
];
