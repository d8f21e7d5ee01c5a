import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
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
 *
 * Every count walks each fragment once and remembers its result (a fragment spread twice is
 * counted twice but walked once), so a document of n fragments costs O(n) to measure however
 * its spreads multiply. `__typename` and introspection fields count like any other field.
 */
export interface QueryLimits {
  /** Deepest field nesting allowed, introspection included (the standard introspection query is 15 deep). */
  maxDepth: number;
  /** Largest estimated cost: every field counts once per row its list parents may return. */
  maxCost: number;
  /** Largest `first`/`last` accepted on a connection or list. */
  maxPageSize: number;
  /** `first` used when a connection is asked for without `first`/`last`. 0 disables the default. */
  defaultPageSize: number;
  /** Most aliases in one operation (`__typename` aliases included). */
  maxAliases: number;
  /** Most fields selected at the root of one operation. */
  maxRootFields: number;
  /**
   * Most fields selected at any one level below the root (fragments at that level included):
   * graphql-js compares same-named fields of one level pairwise, so a wide level is quadratic.
   */
  maxSelectionWidth: number;
  /** Most directives in one operation. */
  maxDirectives: number;
  /** Allow `__schema`/`__type` (`__typename` is always allowed). */
  introspection: boolean;
}

export type LimitCode =
  | "QUERY_TOO_DEEP"
  | "QUERY_TOO_COMPLEX"
  | "PAGE_SIZE_EXCEEDED"
  | "INTROSPECTION_DISABLED"
  | "TOO_MANY_ALIASES"
  | "TOO_MANY_ROOT_FIELDS"
  | "SELECTION_TOO_WIDE"
  | "TOO_MANY_DIRECTIVES";

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

/** How many items `__schema`'s lists return in this schema: one row per type (or directive). */
function introspectionSizes(schema: GraphQLSchema): Map<string, number> {
  const cached = INTROSPECTION_SIZES.get(schema);
  if (cached) return cached;
  const types = Object.values(schema.getTypeMap());
  const sizes = new Map<string, number>([
    ["__Schema.types", types.length],
    ["__Schema.directives", schema.getDirectives().length],
  ]);
  INTROSPECTION_SIZES.set(schema, sizes);
  return sizes;
}
const INTROSPECTION_SIZES = new WeakMap<GraphQLSchema, Map<string, number>>();

interface Measure {
  cost: number;
  rootFields: number;
  /** the widest level below the root */
  width: number;
  widest: SelectionSetNode | undefined;
  pageErrors: GraphQLError[];
  introspectionNodes: FieldNode[];
}

/**
 * Cost, root fields and literal page sizes of one operation. A selection set's cost is
 * Σ over its fields of (1 + rows × cost of the field's own selection), where rows is the page
 * size a list may return; a fragment's cost is computed once and reused at every spread
 * (a cycle counts 0: the standard NoFragmentCycles rule refuses it). With `variables`, page
 * sizes given as variables are checked too (used at execution time, when they are known).
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  limits: QueryLimits,
  variables?: Record<string, unknown>,
  memo: Map<string, { cost: number; rootFields: number }> = new Map(),
  pageErrors: GraphQLError[] = [],
  introspectionNodes: FieldNode[] = [],
): Measure {
  const sizes = introspectionSizes(schema);
  const inProgress = new Set<string>();
  let width = 0;
  let widest: SelectionSetNode | undefined;

  const pageSizeOf = (
    selection: FieldNode,
    parent: GraphQLNamedType | undefined,
    def: GraphQLField<unknown, unknown> | undefined,
  ) => {
    if (selection.name.value.startsWith("__") || parent?.name.startsWith("__")) {
      // Only `__schema { types }` multiplies: the lists below it are bounded by the schema,
      // and counting them at their size would price one standard introspection at ~850 000.
      return sizes.get(`${parent?.name}.${selection.name.value}`) ?? 1;
    }
    if (!def?.args.some((a) => PAGE_ARGS.has(a.name))) return 1;
    const given = (selection.arguments ?? []).filter((a) => PAGE_ARGS.has(a.name.value));
    if (given.length === 0) return limits.defaultPageSize > 0 ? limits.defaultPageSize : limits.maxPageSize;
    let pageSize = 0;
    for (const arg of given) {
      const value = intValue(arg.value, variables);
      if (value === "variable" || value === undefined) {
        pageSize = Math.max(pageSize, limits.maxPageSize);
      } else {
        if (value > limits.maxPageSize || value < 0) {
          pageErrors.push(
            limitError(
              "PAGE_SIZE_EXCEEDED",
              `\`${arg.name.value}\` on \`${selection.name.value}\` must be between 0 and ${limits.maxPageSize}.`,
              arg,
            ),
          );
        }
        pageSize = Math.max(pageSize, Math.min(Math.max(value, 0), limits.maxPageSize));
      }
    }
    return Math.max(pageSize, 1);
  };

  /** cost of a selection set, and how many fields it selects at its own level */
  const walk = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): { cost: number; rootFields: number } => {
    let cost = 0;
    let rootFields = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === "__schema" || name === "__type") introspectionNodes.push(selection);
        const def = name === "__schema" ? undefined : name === "__type" ? undefined : fieldDef(parent, name);
        const childType: GraphQLNamedType | undefined =
          name === "__schema"
            ? (schema.getType("__Schema") ?? undefined)
            : name === "__type"
              ? (schema.getType("__Type") ?? undefined)
              : def
                ? getNamedType(def.type)
                : undefined;
        rootFields += 1;
        cost += 1;
        const rows = pageSizeOf(selection, parent, def);
        if (selection.selectionSet) {
          const inner = walk(selection.selectionSet, childType);
          cost += rows * inner.cost;
          if (inner.rootFields > width) {
            width = inner.rootFields;
            widest = selection.selectionSet;
          }
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? undefined) : parent;
        const inner = walk(selection.selectionSet, type);
        cost += inner.cost;
        rootFields += inner.rootFields;
      } else {
        const inner = spread(selection.name.value);
        cost += inner.cost;
        rootFields += inner.rootFields;
      }
    }
    return { cost, rootFields };
  };

  const spread = (name: string): { cost: number; rootFields: number } => {
    const known = memo.get(name);
    if (known) return known;
    const fragment = fragments[name];
    if (!fragment || inProgress.has(name)) return { cost: 0, rootFields: 0 };
    inProgress.add(name);
    const result = walk(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
    inProgress.delete(name);
    memo.set(name, result);
    return result;
  };

  const root =
    operation.operation === "query"
      ? schema.getQueryType()
      : operation.operation === "mutation"
        ? schema.getMutationType()
        : schema.getSubscriptionType();
  const { cost, rootFields } = walk(operation.selectionSet, root ?? undefined);
  for (const { rootFields: w } of memo.values()) width = Math.max(width, w); // a fragment is a level too
  return { cost, rootFields, width, widest, pageErrors, introspectionNodes };
}

function fragmentsOf(document: DocumentNode): Record<string, FragmentDefinitionNode> {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  return fragments;
}

/**
 * Thrown out of validation when a document exceeds a limit: graphql-js's other rules (field
 * merging is quadratic in the worst case) never see it. grafserv answers it as HTTP 400 with
 * the code; over websockets it becomes the subscription's error.
 */
export class LimitExceeded extends SafeError {
  constructor(errors: readonly GraphQLError[]) {
    const first = errors[0]!;
    super(first.message, {
      statusCode: 400,
      code: first.extensions.code,
      limitErrors: errors.map((e) => ({ message: e.message, locations: e.locations, code: e.extensions.code })),
    });
  }
}

interface WireError {
  message?: unknown;
  locations?: unknown;
  extensions?: Record<string, unknown>;
}

/** grafserv answers a LimitExceeded as one error; list each limit the document broke instead. */
export function expandLimitErrors(errors: WireError[]): WireError[] {
  return errors.flatMap((error) => {
    const list = error.extensions?.limitErrors;
    if (!Array.isArray(list)) return [error];
    return (list as { message: string; locations?: unknown; code: string }[]).map((e) => ({
      message: e.message,
      ...(e.locations ? { locations: e.locations } : {}),
      extensions: { code: e.code },
    }));
  });
}

type ArmorRule = (options: Record<string, unknown>) => ValidationRule;

/**
 * Run an operation-level graphql-armor rule by hand, collecting its refusal as our coded
 * error (armor's own error says "Syntax Error" and carries no code).
 */
function armorCheck(rule: ArmorRule, options: Record<string, unknown>, code: LimitCode, label: string) {
  return (context: ValidationContext, operation: OperationDefinitionNode, errors: GraphQLError[]) => {
    let found: number | undefined;
    const visitor = rule({
      ...options,
      exposeLimits: true,
      propagateOnRejection: false,
      onReject: [(_ctx: unknown, error: Error) => (found = Number(/found (\d+)/.exec(error.message)?.[1]))],
    })(context) as { OperationDefinition: { enter(node: OperationDefinitionNode): void } };
    visitor.OperationDefinition.enter.call(visitor, operation); // max-depth leaves `enter` unbound
    if (found !== undefined) {
      errors.push(limitError(code, `${label} ${found} exceeds the maximum of ${options.n}.`, operation));
    }
  };
}

/**
 * The limits, as one validation rule placed FIRST: on entering the document it measures every
 * operation (aliases, directives, depth through graphql-armor's rules; root fields, cost and
 * page sizes through our own walk) and throws LimitExceeded before any other rule runs.
 */
export function makeLimitsRule(limits: QueryLimits): ValidationRule {
  const checks = [
    armorCheck(maxAliasesRule as ArmorRule, { n: limits.maxAliases, allowList: [] }, "TOO_MANY_ALIASES", "Alias count"),
    armorCheck(maxDirectivesRule as ArmorRule, { n: limits.maxDirectives }, "TOO_MANY_DIRECTIVES", "Directive count"),
    armorCheck(
      maxDepthRule as ArmorRule,
      { n: limits.maxDepth, ignoreIntrospection: false, flattenFragments: true },
      "QUERY_TOO_DEEP",
      "Query depth",
    ),
  ];
  return (context: ValidationContext) => ({
    Document(document) {
      const errors: GraphQLError[] = [];
      const fragments = fragmentsOf(document);
      const memo = new Map<string, { cost: number; rootFields: number }>();
      for (const operation of document.definitions) {
        if (operation.kind !== Kind.OPERATION_DEFINITION) continue;
        for (const check of checks) check(context, operation, errors);
        const m = measureOperation(context.getSchema(), operation, fragments, limits, undefined, memo);
        if (!limits.introspection && m.introspectionNodes.length > 0) {
          errors.push(limitError("INTROSPECTION_DISABLED", "Introspection is disabled on this server.", m.introspectionNodes));
        }
        if (m.rootFields > limits.maxRootFields) {
          errors.push(
            limitError(
              "TOO_MANY_ROOT_FIELDS",
              `Root field count ${m.rootFields} exceeds the maximum of ${limits.maxRootFields}.`,
              operation,
            ),
          );
        }
        if (m.cost > limits.maxCost) {
          errors.push(
            limitError(
              "QUERY_TOO_COMPLEX",
              `Query cost ${m.cost} exceeds the maximum of ${limits.maxCost}; ask for fewer fields or smaller pages.`,
              operation,
            ),
          );
        }
        if (m.width > limits.maxSelectionWidth) {
          errors.push(
            limitError(
              "SELECTION_TOO_WIDE",
              `A selection of ${m.width} fields at one level exceeds the maximum of ${limits.maxSelectionWidth}.`,
              m.widest ?? operation,
            ),
          );
        }
        errors.push(...m.pageErrors);
      }
      if (errors.length > 0) throw new LimitExceeded(errors);
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
          const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) ?? undefined) : parent;
          return { ...selection, selectionSet: rewriteSet(selection.selectionSet, type) };
        }
        return selection;
      });
      return { ...set, selections };
    };
    const definitions = document.definitions.map((def) => {
      if (def.kind === Kind.OPERATION_DEFINITION) {
        const root =
          def.operation === "query"
            ? schema.getQueryType()
            : def.operation === "mutation"
              ? schema.getMutationType()
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
