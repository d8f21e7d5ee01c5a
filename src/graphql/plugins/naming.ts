/**
 * Ironclad's naming rule for the GraphQL API (README "Names", docs/DOMAIN.md "Names"):
 *
 * - `@graphile/simplify-inflection` gives the short names: `workouts` (not `allWorkouts`),
 *   `workout(rowId:)`, `updateWorkout(input: { rowId, patch })`, relations named for the
 *   column they follow (`result.workout`, `workout.workoutResults`).
 * - The tenant key never shapes a name. Every tenant table's keys start with `tenant_id` (that is
 *   what makes cross-gym references impossible in Postgres), but the client never names it:
 *   * relations: `tenant_id` is left out of a composite foreign key when naming it, so
 *     (tenant_id, workout_id) names `workout`, and a lone `tenant_id` names `gym`;
 *   * by-key lookups, updates and deletes take the row's own key only: `tenant_id` is dropped
 *     from each primary key, so `workoutResult(rowId:)` reads `where id = $1` and the table's
 *     restrictive tenant policy adds `tenant_id = app_hidden.current_tenant_id()` (the gym in
 *     the token), which is also what lets the planner use the (tenant_id, id) primary key index.
 *     Primary keys left are server-generated uuids or foreign keys to them, so they identify one
 *     row even for the platform owner, who sees every gym;
 *   * other unique constraints that include `tenant_id` (e.g. one booking per member and class)
 *     get no by-key fields: for the platform owner their remaining columns are not unique, and an
 *     update by them could touch several gyms' rows. Clients reach those rows by relation,
 *     `condition`/`filter`, or the row's `rowId`/`id`.
 * - `tenantId` itself stays a readable column on every tenant row.
 * - A few relations get a name for what they are rather than for their column (RELATION_NAMES).
 * - Postgres enum values are CONSTANT_CASE in GraphQL, as every other enum value is
 *   (`role: COACH`, `status: PAID`); the database keeps its lower-case labels.
 */
import { PgSimplifyInflectionPreset } from "@graphile/simplify-inflection";

const TENANT_KEY = "tenant_id";

/**
 * Relations whose column name does not say what the related rows are. Keyed by
 * `<referencing table>.<foreign key columns without tenant_id>`: `forward` names the field on
 * the referencing row, `backward` the list on the referenced row.
 */
export const RELATION_NAMES: Record<string, { forward?: string; backward?: string }> = {
  "memberships.": { backward: "members" },
  "gyms.plan": { forward: "planDetails", backward: "gyms" },
  "workout_results.workout_id": { backward: "results" },
  "workout_results.member_id": { backward: "workoutResults" },
  "bookings.member_id": { backward: "bookings" },
  "class_sessions.coach_id": { backward: "coachedClassSessions" },
  "messages.sender_id": { backward: "sentMessages" },
  "messages.recipient_id": { backward: "receivedMessages" },
  "payments.member_id": { backward: "payments" },
  "progress_metrics.member_id": { backward: "progressMetrics" },
  "progress_metrics.recorded_by": { forward: "recorder", backward: "recordedProgressMetrics" },
  "workout_results.recorded_by": { forward: "recorder", backward: "recordedWorkoutResults" },
  "trainer_assignments.client_id": { backward: "trainerAssignments" },
  "trainer_assignments.trainer_id": { backward: "clientAssignments" },
};

/** The part of a PgRelation this inflector reads (the registry's own type is generic over every codec). */
type PgRelationShape = {
  isReferencee?: boolean;
  remoteResource: { codec: unknown };
  remoteAttributes: readonly string[];
  localAttributes: readonly string[];
};

type RelationDetails = {
  registry: { pgRelations: Record<string, Record<string, PgRelationShape>> };
  codec: { name: string };
  relationName: string;
};

/** The RELATION_NAMES entry for a relation, looked up from the referencing side. */
function relationName(details: unknown, direction: "forward" | "backward"): string | undefined {
  const { registry, codec, relationName: name } = details as RelationDetails;
  const relation = registry.pgRelations[codec.name]?.[name];
  if (!relation) return undefined;
  const [table, columns] = relation.isReferencee
    ? [relation.remoteResource.codec, [...relation.remoteAttributes]]
    : [codec as { extensions?: { pg?: { name?: string } } }, [...relation.localAttributes]];
  const pgName = (table as { extensions?: { pg?: { name?: string } } }).extensions?.pg?.name;
  const key = `${pgName}.${columns.filter((c) => c !== TENANT_KEY).join(",")}`;
  return RELATION_NAMES[key]?.[direction];
}

type DetailedKey = { codec: { name: string; attributes?: Record<string, unknown> }; attributeName: string };

export const IroncladNamingPlugin: GraphileConfig.Plugin = {
  name: "IroncladNamingPlugin",
  version: "0.1.0",
  description: "Names never built from the tenant key; by-key fields take the row's own key only",
  after: ["PgSimplifyInflectionPlugin"],
  gather: {
    hooks: {
      pgTables_unique(_info, event) {
        const { pgClass, unique } = event;
        const attributes = unique.attributes as string[];
        if (!attributes.includes(TENANT_KEY) || attributes.length < 2) return;
        if (!pgClass.getAttributes().some((a) => a.attname === TENANT_KEY)) return;
        if (unique.isPrimary) {
          (unique as { attributes: string[] }).attributes = attributes.filter((a) => a !== TENANT_KEY);
        } else {
          const u = unique as { extensions?: { tags?: Record<string, unknown> } };
          u.extensions = { ...u.extensions, tags: { ...u.extensions?.tags, behavior: "-single -update -delete" } };
        }
      },
    },
  },
  inflection: {
    replace: {
      enumValue(previous, _preset, value, codec) {
        return this.constantCase(previous!(value, codec));
      },
      _getBaseNameFromKeys(previous, _preset, detailedKeys) {
        const keys = detailedKeys as DetailedKey[];
        const own = keys.filter((k) => k.attributeName !== TENANT_KEY);
        if (own.length === 0) return "gym";
        return previous!(own as typeof detailedKeys);
      },
      singleRelation(previous, _preset, details) {
        return relationName(details, "forward") ?? previous!(details);
      },
      singleRelationBackwards(previous, _preset, details) {
        return relationName(details, "backward") ?? previous!(details);
      },
      _manyRelation(previous, _preset, details) {
        return relationName(details, "backward") ?? previous!(details);
      },
    },
  },
};

export const IroncladNamingPreset: GraphileConfig.Preset = {
  extends: [PgSimplifyInflectionPreset],
  plugins: [IroncladNamingPlugin],
};
