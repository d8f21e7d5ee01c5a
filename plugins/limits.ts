import { SafeError } from "postgraphile/grafast";
import {
  GraphQLError,
  Kind,
  getNamedType,
  isInterfaceType,
  isObjectType,
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
} from "postgraphile/graphql";

/**
 * Hostile-input limits, enforced before a query reaches Postgres. Each refusal is a GraphQL
 * error with a stable `extensions.code` a client can switch on.
 */
export interface QueryLimits {
  /** Deepest field nesting allowed (introspection fields are not counted). */
  maxDepth: number;
  /** Largest estimated cost: every field counts once per row its list parents may return. */
  maxCost: number;
  /** Largest `first`/`last` accepted on a connection or list. */
  maxPageSize: number;
  /** `first` used when a connection is asked for without `first`/`last`. 0 disables the default. */
  defaultPageSize: number;
  /** Allow `__schema`/`__type` (`__typename` is always allowed). */
  introspection: boolean;
}

export const DEFAULT_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxCost: 200_000,
  maxPageSize: 100,
  defaultPageSize: 100,
  introspection: true,
};

export type LimitCode = "QUERY_TOO_DEEP" | "QUERY_TOO_COMPLEX" | "PAGE_SIZE_EXCEEDED" | "INTROSPECTION_DISABLED";

function limitError(code: LimitCode, message: string, nodes?: ASTNode | readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, { nodes, extensions: { code } });
}

const PAGE_ARGS = new Set(["first", "last"]);

function fieldDef(type: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (type && (isObjectType(type) || isInterfaceType(type))) return type.getFields()[name];
  return undefined;
}

/** The value of an Int argument: a literal, a variable (if its value is known), else undefined. */
function intValue(node: ValueNode, variables: Record<string, unknown> | undefined): number | undefined | "variable" {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    if (!variables) return "variable";
    const v = variables[node.name.value];
    return typeof v === "number" ? v : undefined;
  }
  return undefined;
}

interface Measure {
  depth: number;
  cost: number;
  pageErrors: GraphQLError[];
  introspectionNodes: FieldNode[];
}

/**
 * Walk one operation: depth, cost and literal page sizes. Fragments are followed (a cycle is
 * left to the standard NoFragmentCycles rule). With `variables`, page sizes given as variables
 * are checked too (used at execution time, when they are known).
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  limits: QueryLimits,
  variables?: Record<string, unknown>,
): Measure {
  const measure: Measure = { depth: 0, cost: 0, pageErrors: [], introspectionNodes: [] };
  const root =
    operation.operation === "query" ? schema.getQueryType()
    : operation.operation === "mutation" ? schema.getMutationType()
    : schema.getSubscriptionType();

  const walk = (set: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, multiplier: number, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith("__")) {
          if (name !== "__typename") measure.introspectionNodes.push(selection);
          continue; // introspection is bounded by the schema; not counted
        }
        const def = fieldDef(parent, name);
        measure.depth = Math.max(measure.depth, depth + 1);
        measure.cost += multiplier;
        let pageSize = 1;
        if (def?.args.some((a) => PAGE_ARGS.has(a.name))) {
          const given = (selection.arguments ?? []).filter((a) => PAGE_ARGS.has(a.name.value));
          if (given.length === 0) pageSize = limits.defaultPageSize > 0 ? limits.defaultPageSize : limits.maxPageSize;
          else {
            pageSize = 0;
            for (const arg of given) {
              const value = intValue(arg.value, variables);
              if (value === "variable" || value === undefined) {
                pageSize = Math.max(pageSize, limits.maxPageSize);
              } else {
                if (value > limits.maxPageSize || value < 0) {
                  measure.pageErrors.push(
                    limitError(
                      "PAGE_SIZE_EXCEEDED",
                      `\`${arg.name.value}\` on \`${name}\` must be between 0 and ${limits.maxPageSize}.`,
                      arg,
                    ),
                  );
                }
                pageSize = Math.max(pageSize, Math.min(Math.max(value, 0), limits.maxPageSize));
              }
            }
            pageSize = Math.max(pageSize, 1);
          }
        }
        if (selection.selectionSet) {
          walk(selection.selectionSet, def ? getNamedType(def.type) : undefined, depth + 1, multiplier * pageSize, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? undefined : parent;
        walk(selection.selectionSet, type, depth, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (!fragment || seen.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) ?? undefined;
        walk(fragment.selectionSet, type, depth, multiplier, new Set([...seen, name]));
      }
    }
  };
  walk(operation.selectionSet, root ?? undefined, 0, 1, new Set());
  return measure;
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  return fragments;
}

/** Validation rule: depth, cost, literal page sizes, introspection switch. */
export function makeLimitsRule(limits: QueryLimits): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const m = measureOperation(context.getSchema(), operation, fragmentsOf(context.getDocument()), limits);
      if (!limits.introspection && m.introspectionNodes.length > 0) {
        context.reportError(
          limitError("INTROSPECTION_DISABLED", "Introspection is disabled on this server.", m.introspectionNodes),
        );
      }
      if (m.depth > limits.maxDepth) {
        context.reportError(
          limitError("QUERY_TOO_DEEP", `Query depth ${m.depth} exceeds the maximum of ${limits.maxDepth}.`, operation),
        );
      }
      if (m.cost > limits.maxCost) {
        context.reportError(
          limitError(
            "QUERY_TOO_COMPLEX",
            `Query cost ${m.cost} exceeds the maximum of ${limits.maxCost}; ask for fewer fields or smaller pages.`,
            operation,
          ),
        );
      }
      for (const e of m.pageErrors) context.reportError(e);
    },
  });
}

/** Page sizes given as variables are only known at execution time. */
export function checkVariablePageSizes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  limits: QueryLimits,
): GraphQLError[] {
  const fragments = fragmentsOf(document);
  const operations = document.definitions.filter(
    (d): d is OperationDefinitionNode =>
      d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  const errors: GraphQLError[] = [];
  for (const operation of operations) {
    // Fill in defaults of variable definitions so `$n: Int = 1000` is caught too.
    const values: Record<string, unknown> = {};
    for (const v of operation.variableDefinitions ?? []) {
      const given = variables?.[v.variable.name.value];
      if (given !== undefined) values[v.variable.name.value] = given;
      else if (v.defaultValue?.kind === Kind.INT) values[v.variable.name.value] = Number(v.defaultValue.value);
    }
    errors.push(...measureOperation(schema, operation, fragments, limits, values).pageErrors);
  }
  return errors;
}

/**
 * Add `first: defaultPageSize` to every connection/list field asked for without `first` or
 * `last`. Memoised per parsed document (grafserv caches parsed documents), so Grafast's plan
 * cache keeps working.
 */
export function makeDefaultPageSizer(limits: QueryLimits) {
  const cache = new WeakMap<DocumentNode, DocumentNode>();
  return (schema: GraphQLSchema, document: DocumentNode): DocumentNode => {
    if (limits.defaultPageSize <= 0) return document;
    const cached = cache.get(document);
    if (cached) return cached;
    let changed = false;
    const rewriteSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): SelectionSetNode => {
      const selections = set.selections.map((selection) => {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith("__")) return selection;
          const def = fieldDef(parent, selection.name.value);
          let out: FieldNode = selection;
          if (def && def.args.some((a) => a.name === "first")) {
            const args = selection.arguments ?? [];
            if (!args.some((a) => PAGE_ARGS.has(a.name.value))) {
              changed = true;
              out = {
                ...selection,
                arguments: [
                  ...args,
                  {
                    kind: Kind.ARGUMENT,
                    name: { kind: Kind.NAME, value: "first" },
                    value: { kind: Kind.INT, value: String(limits.defaultPageSize) },
                  },
                ],
              };
            }
          }
          if (out.selectionSet) {
            out = { ...out, selectionSet: rewriteSet(out.selectionSet, def ? getNamedType(def.type) : undefined) };
          }
          return out;
        }
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) ?? undefined : parent;
          return { ...selection, selectionSet: rewriteSet(selection.selectionSet, type) };
        }
        return selection;
      });
      return { ...set, selections };
    };
    const definitions = document.definitions.map((def) => {
      if (def.kind === Kind.OPERATION_DEFINITION) {
        const root =
          def.operation === "query" ? schema.getQueryType()
          : def.operation === "mutation" ? schema.getMutationType()
          : schema.getSubscriptionType();
        return { ...def, selectionSet: rewriteSet(def.selectionSet, root ?? undefined) };
      }
      if (def.kind === Kind.FRAGMENT_DEFINITION) {
        const type = schema.getType(def.typeCondition.name.value) ?? undefined;
        return { ...def, selectionSet: rewriteSet(def.selectionSet, type) };
      }
      return def;
    });
    const result: DocumentNode = changed ? { ...document, definitions } : document;
    cache.set(document, result);
    return result;
  };
}

/** An HTTP-level refusal: grafserv turns a SafeError's statusCode into the response status. */
export function httpRefusal(statusCode: number, code: string, message: string): SafeError {
  return new SafeError(message, { statusCode, code });
}
