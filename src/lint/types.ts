import type { RoleNames } from "../db/roles";

export type Level = "error" | "warning";

/**
 * One lint: a readable catalog query plus the words a developer needs when it fires.
 *
 * The query returns one row per offending object: `object` (e.g. `app_public.things`,
 * `app_public.things policy things_select`) and optionally `detail` (what exactly is wrong).
 * It may use these named parameters (see params.ts):
 *   :exposed          text[]  schemas exposed to visitors (app_public, app_shared)
 *   :internal         text[]  internal schemas only (app_hidden, app_private)
 *   :schemas          text[]  exposed + internal schemas
 *   :visitor_roles    text[]  anonymous … platform_owner
 *   :gym_roles        text[]  member, personal_trainer, coach, gym_admin
 *   :true_ok_roles    text[]  roles allowed `using (true)` policies: system, platform_owner
 *   :anonymous :authenticator :system :owner   text  single role names
 *   :tenant_root      text    the tenant table, e.g. app_public.gyms
 * Citus mode (rules/citus.ts) also:
 *   :coordinator_schemas       text[]  our schemas whose tables stay on the coordinator (app_shared)
 *   :coordinator_tables        text[]  other tables kept on the coordinator (src/db/citus.ts COORDINATOR_ONLY)
 *   :coordinator_only_schemas  text[]  schemas that exist on the coordinator only (graphile_worker, graphile_migrate)
 */
export interface Rule {
  id: string;
  level: Level;
  title: string;
  /** Why it matters, one or two sentences. */
  why: string;
  /** How to fix it, one or two sentences. */
  fix: string;
  sql: string;
}

export interface Finding {
  rule: string;
  level: Level;
  title: string;
  object: string;
  detail: string | null;
  why: string;
  fix: string;
}

export interface LintOptions {
  roles: RoleNames;
  /** Schemas visitors reach (tables, views, policies, tenancy). Default: app_public, app_shared. */
  schemas?: readonly string[];
  /**
   * Internal schemas whose tables, policies and functions are also checked by the rules that
   * concern every schema (RLS forced, definer functions, helpers, FK indexes).
   * Default: app_hidden, app_private.
   */
  internalSchemas?: readonly string[];
  /** The tenant table every tenant_id references. Default: app_public.gyms. */
  tenantRoot?: string;
  /**
   * Citus mode: also run the Citus rules (rules/citus.ts), and not the rules Citus-mode setup
   * deliberately replaces (CITUS_REPLACED). Lint a database set up in Citus mode.
   */
  citus?: boolean;
  /** Only run these rule ids (default: all of the mode's). */
  only?: readonly string[];
}
