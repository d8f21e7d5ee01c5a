import {
  Kind,
  TypeInfo,
  getNullableType,
  isInputObjectType,
  isListType,
  print,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
  type ValueNode,
} from "postgraphile/graphql";
import type { Pool } from "pg";
import { SECRET_NAME, selectedOperation } from "./secret-arguments";
import type { Claims } from "./verify-token";

export const REDACTED = "[REDACTED]";

const SECRET_KEY = /pass|secret|token/i;

/**
 * Variables with the value of every key matching /pass|secret|token/i replaced, at any depth.
 * A second layer only (app_private.redact_secrets does the same in SQL): what counts is
 * redactBySchema, which finds secrets by the argument they fill, not by the variable's name.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, v]) => [
        key,
        SECRET_KEY.test(key) ? REDACTED : redactSecrets(v),
      ]),
    );
  }
  return value;
}

/** How a variable must be redacted: entirely (it fills a secret), or inside (an input object with secret fields). */
type VariablePlan = "all" | GraphQLInputType;

/** A JSON value of `type` with every secret-named input field replaced. */
function redactJson(value: unknown, type: GraphQLInputType): unknown {
  const nullable = getNullableType(type);
  if (value === null || value === undefined) return value;
  if (isListType(nullable)) {
    return Array.isArray(value)
      ? value.map((v) => redactJson(v, nullable.ofType as GraphQLInputType))
      : redactJson(value, nullable.ofType as GraphQLInputType);
  }
  if (isInputObjectType(nullable) && typeof value === "object" && !Array.isArray(value)) {
    const fields = nullable.getFields();
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, v]) => {
        const field = fields[key];
        if (SECRET_NAME.test(key)) return [key, REDACTED];
        return [key, field ? redactJson(v, field.type) : v];
      }),
    );
  }
  return value;
}

const REDACTED_LITERAL: ValueNode = { kind: Kind.STRING, value: REDACTED };

/**
 * The document and variables of a request with every value that fills a secret-named
 * argument or input field (by the SCHEMA: see SECRET_NAME) redacted: inline literals are
 * replaced in the document, variables in the variables, whatever they are called, and
 * secret variables' default values too.
 */
export function redactBySchema(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
): { document: string; variables: Record<string, unknown> } {
  const plans = new Map<string, VariablePlan>();
  const plan = (name: string, how: VariablePlan) => {
    if (plans.get(name) !== "all") plans.set(name, how);
  };

  // A value node filling `type`; `secret`: the argument/field it fills is secret-named.
  const redactValue = (node: ValueNode, type: GraphQLInputType | null | undefined, secret: boolean): ValueNode => {
    if (node.kind === Kind.VARIABLE) {
      if (secret) plan(node.name.value, "all");
      else if (type) plan(node.name.value, type);
      return node;
    }
    if (secret) return node.kind === Kind.NULL ? node : REDACTED_LITERAL;
    const nullable = type ? getNullableType(type) : undefined;
    if (node.kind === Kind.LIST) {
      const item = nullable && isListType(nullable) ? (nullable.ofType as GraphQLInputType) : undefined;
      return { ...node, values: node.values.map((v) => redactValue(v, item, false)) };
    }
    if (node.kind === Kind.OBJECT) {
      const fields = nullable && isInputObjectType(nullable) ? nullable.getFields() : {};
      return {
        ...node,
        fields: node.fields.map((f) => ({
          ...f,
          value: redactValue(f.value, fields[f.name.value]?.type, SECRET_NAME.test(f.name.value)),
        })),
      };
    }
    return node;
  };

  const typeInfo = new TypeInfo(schema);
  const redactedArgs = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const arg = typeInfo.getArgument();
        const value = redactValue(node.value, arg?.type, SECRET_NAME.test(node.name.value));
        return value === node.value ? undefined : { ...node, value };
      },
    }),
  );
  // Default values of variables that fill secrets are literals in the document too.
  const redactedDoc = visit(redactedArgs, {
    VariableDefinition(node) {
      const how = plans.get(node.variable.name.value);
      if (!node.defaultValue || !how) return undefined;
      return { ...node, defaultValue: how === "all" ? REDACTED_LITERAL : redactValue(node.defaultValue, how, false) };
    },
  }) as DocumentNode;

  const outVars: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(variables)) {
    const how = plans.get(name);
    outVars[name] = how === undefined ? value : how === "all" ? (value === null ? null : REDACTED) : redactJson(value, how);
  }
  return { document: print(redactedDoc), variables: outVars };
}

/**
 * Record a platform-owner request in app_private.platform_audit_log (through the SECURITY
 * DEFINER function the authenticator may call): the operation's type and name as the
 * document defines them, the document (secret literals redacted) and the variables
 * (redacted by the schema, then by key name). Runs before the request executes, outside its
 * transaction, so failed requests are recorded too; if recording fails the request is
 * refused (fail closed).
 */
export async function auditPlatformRequest(
  authPool: Pool,
  claims: Claims,
  request: { schema: GraphQLSchema; document: DocumentNode; operationName: string | null | undefined; variables: unknown },
): Promise<void> {
  if (claims.role !== "platform_owner") return;
  const operation = selectedOperation(request.document, request.operationName);
  const variables =
    request.variables && typeof request.variables === "object" && !Array.isArray(request.variables)
      ? (request.variables as Record<string, unknown>)
      : {};
  const redacted = redactBySchema(request.schema, request.document, variables);
  await authPool.query("select app_hidden.record_platform_request($1, $2, $3, $4, $5, $6)", [
    claims.sessionId,
    claims.userId,
    operation?.operation ?? null,
    operation?.name?.value ?? null,
    redacted.document,
    JSON.stringify(redactSecrets(redacted.variables)),
  ]);
}
