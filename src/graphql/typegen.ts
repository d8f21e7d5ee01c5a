/**
 * A tiny typed-document generator: for each operation in a .graphql file, the TypeScript types
 * of its result and variables, derived from a committed schema (schema/<role>.graphql), and a
 * `TypedQueryDocumentNode` (graphql-js's own typed document type) carrying them. Enough for the
 * shapes our example client uses (fields, aliases, lists, non-null, enums, inline fragments);
 * a larger client would use @graphql-codegen instead — the committed SDL feeds either.
 */
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  isScalarType,
  Kind,
  parse,
  print,
  typeFromAST,
  validate,
  GraphQLError,
  type GraphQLOutputType,
  type GraphQLInputType,
  type GraphQLSchema,
  type GraphQLObjectType,
  type GraphQLInterfaceType,
  type SelectionSetNode,
  type OperationDefinitionNode,
} from "postgraphile/graphql";

const SCALARS: Record<string, string> = { Int: "number", Float: "number", Boolean: "boolean" };
const scalar = (name: string) => SCALARS[name] ?? "string"; // ID, UUID, Datetime, Date, Cursor, BigInt, BigFloat, JSON-as-string…

function enumOrScalar(type: GraphQLOutputType | GraphQLInputType): string {
  const named = getNamedType(type);
  if (isEnumType(named))
    return named
      .getValues()
      .map((v) => JSON.stringify(v.name))
      .join(" | ");
  if (isScalarType(named)) return named.name === "JSON" ? "unknown" : scalar(named.name);
  throw new Error(`not a leaf: ${named.name}`);
}

function wrap(type: GraphQLOutputType | GraphQLInputType, inner: string): string {
  if (isNonNullType(type)) return wrapNonNull(type.ofType, inner);
  return `${wrapNonNull(type, inner)} | null`;
}
function wrapNonNull(type: GraphQLOutputType | GraphQLInputType, inner: string): string {
  if (isListType(type)) return `Array<${wrap(type.ofType, inner)}>`;
  return inner;
}

function selectionType(
  schema: GraphQLSchema,
  parent: GraphQLObjectType | GraphQLInterfaceType,
  set: SelectionSetNode,
  indent: string,
): string {
  const lines: string[] = [];
  for (const sel of set.selections) {
    if (sel.kind === Kind.INLINE_FRAGMENT) {
      const on = sel.typeCondition ? (schema.getType(sel.typeCondition.name.value) as GraphQLObjectType) : parent;
      const inner = selectionType(schema, on, sel.selectionSet, indent);
      lines.push(`${indent}  // on ${on.name}\n${inner.slice(2, -(indent.length + 2))}`);
      continue;
    }
    if (sel.kind !== Kind.FIELD) throw new Error("named fragments are not supported by this example generator");
    const key = sel.alias?.value ?? sel.name.value;
    if (sel.name.value === "__typename") {
      lines.push(`${indent}  ${key}: ${JSON.stringify(parent.name)};`);
      continue;
    }
    const field = parent.getFields()[sel.name.value];
    if (!field) throw new Error(`${parent.name}.${sel.name.value} is not in the schema`);
    const named = getNamedType(field.type);
    const inner =
      sel.selectionSet && (isObjectType(named) || isInterfaceType(named))
        ? selectionType(schema, named, sel.selectionSet, `${indent}  `)
        : enumOrScalar(field.type);
    lines.push(`${indent}  ${key}: ${wrap(field.type, inner)};`);
  }
  return `{\n${lines.join("\n")}\n${indent}}`;
}

function variablesType(schema: GraphQLSchema, op: OperationDefinitionNode): string {
  const vars = op.variableDefinitions ?? [];
  if (vars.length === 0) return "Record<string, never>";
  return `{ ${vars
    .map((v) => {
      const type = typeFromAST(schema, v.type as never) as GraphQLInputType;
      const named = getNullableType(type);
      const optional = !isNonNullType(type) || v.defaultValue ? "?" : "";
      return `${v.variable.name.value}${optional}: ${wrap(type, isEnumType(getNamedType(named)) || isScalarType(getNamedType(named)) ? enumOrScalar(type) : "Record<string, unknown>")}`;
    })
    .join("; ")} }`;
}

/** TypeScript source for every operation in `source`, checked against `schema` first. */
export function generateOperationTypes(schema: GraphQLSchema, source: string, header: string): string {
  const doc = parse(source);
  const errors = validate(schema, doc);
  if (errors.length) throw new Error(errors.map((e: GraphQLError) => e.message).join("\n"));
  const out = [header, `import type { TypedQueryDocumentNode } from "graphql";`, `import { parse } from "graphql";`, ""];
  for (const op of doc.definitions) {
    if (op.kind !== Kind.OPERATION_DEFINITION || !op.name) throw new Error("every definition must be a named operation");
    const name = op.name.value;
    const root = op.operation === "mutation" ? schema.getMutationType()! : schema.getQueryType()!;
    out.push(`export type ${name}Result = ${selectionType(schema, root, op.selectionSet, "")};`);
    out.push(`export type ${name}Variables = ${variablesType(schema, op)};`);
    out.push(
      `export const ${name}Document = parse(${JSON.stringify(print(op))}) as unknown as TypedQueryDocumentNode<${name}Result, ${name}Variables>;`,
    );
    out.push("");
  }
  return out.join("\n");
}
