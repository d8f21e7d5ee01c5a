import {
  pgDeleteSingle,
  pgUpdateSingle,
  type PgCodecWithAttributes,
  type PgResource,
  type PgSelectStep,
} from "postgraphile/@dataplan/pg";
import { access, context, lambda, object, specFromNodeId, type FieldArgs, type Maybe, type Step } from "postgraphile/grafast";
import { sql, type SQL } from "postgraphile/pg-sql2";
import { isGymRole, type AppRole } from "../../roles";

/**
 * Single-shard routing for Citus mode: every read of a tenant table that PostGraphile builds
 * carries `<alias>.tenant_id = $n` (`id` on gyms), $n being the token's gym, as a query
 * parameter.
 *
 * Why: Citus picks the shards of a query from its WHERE clause, and only a literal or a
 * parameter on the distribution column narrows it to one. RLS's `tenant_id =
 * app_hidden.current_tenant_id()` reads a setting, which Citus cannot evaluate while planning,
 * so without this every GraphQL read runs on every shard of the table (docs/CITUS.md).
 *
 * It changes no answer: for a gym role every policy on a tenant table already requires
 * `tenant_id = current_tenant_id()` (test/citus/worker-policies.test.ts checks each one), so
 * the condition only repeats what RLS enforces, in a form the planner can route on. It adds
 * nothing for the platform owner (every gym) or anonymous visitors (no gym), nor to functions
 * returning table rows (the shared layer's cross-gym functions return other gyms' rows on
 * purpose). The guarantee stays in Postgres; this is a hint, not a check.
 *
 * How: @dataplan/pg calls a resource's `selectAuth` on every PgSelectStep of it once the field
 * is planned, before steps are merged or inlined into a parent query, so lists, connections,
 * aggregates, by-key lookups and relations all get it. The condition is deferred SQL: the plan
 * is shared by every visitor of an operation, and whether to add it depends on the token.
 *
 * Writes: PostGraphile's update and delete mutations (`updateX(input: { rowId })`, the `…ById`
 * node-id ones, `updateGymBySlug`) find their row by its key alone, `where id = $1` (the naming
 * plugin drops `tenant_id` from every key), and @dataplan/pg has no hook on a mutation's WHERE.
 * So in a gym role's schema their plans are re-stated with the same steps PostGraphile uses
 * (pgUpdateSingle / pgDeleteSingle, the input applied, `{ result }` returned) and one more key
 * in the spec: `tenant_id` (`id` on gyms) = the token's gym, a query parameter. A key that
 * already is the distribution column (`updateGym(rowId:)`) is left as it is. Each role has its
 * own schema and a request is only ever answered from its role's (src/graphql/preset.ts), so
 * the role is known when the schema is built; the platform owner's mutations (every gym) keep
 * PostGraphile's plans. Creates need nothing: the row's `tenant_id` (given, or the column
 * default `current_tenant_id()`, which Citus evaluates on the coordinator before routing an
 * INSERT) already picks one shard (test/citus/api.test.ts EXPLAINs them too).
 */

/** Claim → the setting PostGraphile's context carries it in (src/auth/pg-settings.ts). */
const TENANT_SETTING = "jwt.claims.tenant_id";
const ROLE_SETTING = "jwt.claims.role";

/** The column naming the gym of a row of this table, or null for a table that is not a tenant's. */
export function tenantColumnOf(
  schema: string,
  table: string,
  attributes: { attname: string; attnotnull: boolean | null }[],
): string | null {
  if (schema !== "app_public") return null;
  if (table === "gyms") return "id";
  return attributes.some((a) => a.attname === "tenant_id" && a.attnotnull === true) ? "tenant_id" : null;
}

/** `<alias>.<column> = $n::uuid` for a gym role's token, nothing otherwise. */
export function tenantCondition(
  alias: SQL,
  column: string,
  settings: Record<string, string | undefined> | null | undefined,
): SQL {
  const tenant = settings?.[TENANT_SETTING];
  if (!tenant || !isGymRole(settings?.[ROLE_SETTING])) return sql.true;
  return sql`${alias}.${sql.identifier(column)} = ${sql.value(tenant)}::uuid`;
}

function routeToTenant(column: string) {
  return ($select: PgSelectStep) => {
    // Rows of a function (the resource is a function returning table rows): left alone.
    if ($select.resource.parameters) return;
    const alias = $select.alias;
    const $settings = access<Record<string, string | undefined> | null>(context(), ["pgSettings"]);
    $select.where($select.deferredSQL(lambda($settings, (settings) => tenantCondition(alias, column, settings), true)));
  };
}

/** A codec of a tenant table (gyms, or a table of app_public with `tenant_id not null`)? */
function isTenantCodec(codec: { extensions?: { pg?: { schemaName?: string; name?: string } }; attributes?: unknown }): boolean {
  const pg = codec.extensions?.pg;
  if (pg?.schemaName !== "app_public" || !pg.name) return false;
  const attributes = (codec.attributes ?? {}) as Record<string, { notNull?: boolean }>;
  return pg.name === "gyms" || attributes.tenant_id?.notNull === true;
}

/** The tenant column of a table resource (as tenantColumnOf), from what the schema build sees. */
function tenantColumnOfResource(resource: PgResource): string | null {
  const pg = resource.extensions?.pg;
  const attributes = resource.codec.attributes;
  if (!pg || !attributes || resource.parameters) return null;
  return tenantColumnOf(
    pg.schemaName,
    pg.name,
    Object.entries(attributes).map(([attname, a]) => ({ attname, attnotnull: a.notNull ?? false })),
  );
}

type Spec = Record<string, Step>;

/**
 * `tenantRoutingPlugin(role)`: reads of tenant tables for every role (the condition itself
 * checks the token), and, for a gym role's schema, its update and delete mutations too.
 */
export function tenantRoutingPlugin(role: AppRole): GraphileConfig.Plugin {
  return {
    name: "IroncladTenantRoutingPlugin",
    version: "0.2.0",
    description:
      "Every read and by-key write of a tenant table names the token's gym as a parameter (Citus single-shard routing)",
    gather: {
      hooks: {
        pgTables_PgResourceOptions(_info, event) {
          const { pgClass, resourceOptions } = event;
          if (pgClass.relkind !== "r" && pgClass.relkind !== "p") return;
          const column = tenantColumnOf(pgClass.getNamespace()!.nspname, pgClass.relname, pgClass.getAttributes());
          if (column) resourceOptions.selectAuth = routeToTenant(column);
        },
      },
    },
    schema: {
      entityBehavior: {
        // Ordering a global table's rows by a count of a tenant table's (`plans(orderBy:
        // GYMS_COUNT_ASC)`, `users(orderBy: MEMBERSHIPS_COUNT_ASC)`) is a correlated subquery on a
        // distributed table under a reference table, which Citus refuses ("correlated subqueries
        // are not supported when the FROM clause contains a reference table"): not offered.
        pgCodecRelation: {
          override(behavior, relation) {
            return relation.isReferencee && !isTenantCodec(relation.localCodec) && isTenantCodec(relation.remoteResource.codec)
              ? // pg-aggregates' behavior (registered by its plugin, not in the types this file sees)
                [behavior, "-manyRelation:aggregates:orderBy" as GraphileBuild.BehaviorString]
              : behavior;
          },
        },
      },
      hooks: {
        GraphQLObjectType_fields_field(field, build, ctx) {
          const { isPgUpdateMutation, isPgDeleteMutation, pgFieldResource, fieldName, fieldBehaviorScope } = ctx.scope;
          if (!isGymRole(role) || !(isPgUpdateMutation || isPgDeleteMutation) || !pgFieldResource) return field;
          const resource = pgFieldResource as PgResource;
          const column = tenantColumnOfResource(resource);
          if (!column) return field;
          // A table's codec (tenantColumnOfResource found its attributes).
          const codec = resource.codec as PgCodecWithAttributes;
          const { inflection } = build;
          // The row's own key, exactly as PostGraphile reads it from the input.
          let specOf: (args: FieldArgs) => Spec;
          if (fieldBehaviorScope?.startsWith("nodeId:")) {
            const handler = build.getNodeIdHandler?.(inflection.tableType(codec));
            if (!handler) throw new Error(`tenant routing: no node id handler for ${fieldName}`);
            const nodeIdField = inflection.nodeIdFieldName();
            // The node id argument is a string (an ID) at runtime, as PostGraphile's own plan treats it.
            specOf = (args) => specFromNodeId(handler, args.getRaw(["input", nodeIdField]) as Step<Maybe<string>>) as Spec;
          } else {
            const unique = resource.uniques.find(
              (u) =>
                fieldName ===
                (isPgUpdateMutation
                  ? inflection.updateByKeysField({ resource, unique: u })
                  : inflection.deleteByKeysField({ resource, unique: u })),
            );
            if (!unique) throw new Error(`tenant routing: no unique key of ${resource.name} names ${fieldName}`);
            const keys = unique.attributes.map((attributeName) => [
              attributeName,
              inflection.attribute({ attributeName, codec }),
            ]);
            specOf = (args) =>
              Object.fromEntries(keys.map(([attributeName, name]) => [attributeName, args.getRaw(["input", name!])]));
          }
          return {
            ...field,
            plan(_$root, args) {
              const spec = specOf(args);
              // The token's gym (null without one: then no row matches, as RLS would have it).
              if (!(column in spec)) spec[column] = access(context(), ["pgSettings", TENANT_SETTING]);
              const $mutation = isPgUpdateMutation ? pgUpdateSingle(resource, spec) : pgDeleteSingle(resource, spec);
              args.apply($mutation);
              return object({ result: $mutation });
            },
          };
        },
      },
    },
  };
}
