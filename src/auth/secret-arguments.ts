import {
  Kind,
  getNamedType,
  isInputObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "postgraphile/graphql";

/**
 * What counts as a secret is decided by the SCHEMA: an argument or input field whose name
 * matches this pattern carries a credential (authenticate's `password`, refreshToken's
 * `token`, `currentPassword`, `newPassword`, …), whatever the client named its variables.
 */
export const SECRET_NAME = /password|token|secret/i;

/**
 * Root mutations that check credentials without a secret-named argument: a password-reset
 * request probes whether an email can receive mail, so it shares the login budget.
 */
export const EXTRA_CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(["requestPasswordReset"]);

/** True if the input type (through lists and non-null) has a secret-named field at any depth. */
function inputHasSecret(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((f) => SECRET_NAME.test(f.name) || inputHasSecret(f.type, seen));
}

function argumentHasSecret(arg: GraphQLArgument): boolean {
  return SECRET_NAME.test(arg.name) || inputHasSecret(arg.type);
}

/** A root mutation field that checks a credential: any secret-named argument (or input field), or the extra list. */
export function isCredentialField(field: GraphQLField<unknown, unknown>): boolean {
  return EXTRA_CREDENTIAL_FIELDS.has(field.name) || field.args.some(argumentHasSecret);
}

/** The root fields an operation selects, through inline fragments and fragment spreads. */
function rootFields(
  selectionSet: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): FieldNode[] {
  const out: FieldNode[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) out.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) out.push(...rootFields(selection.selectionSet, fragments, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) out.push(...rootFields(fragment.selectionSet, fragments, seen));
    }
  }
  return out;
}

/** How many credential-checking fields (aliases counted one by one) an operation contains. */
export function countCredentialFields(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): number {
  if (operation.operation !== "mutation") return 0;
  const mutationType = schema.getMutationType();
  if (!mutationType) return 0;
  const fields = mutationType.getFields();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  return rootFields(operation.selectionSet, fragments).filter((node) => {
    const field = fields[node.name.value];
    return field !== undefined && isCredentialField(field);
  }).length;
}

/** The operation a request runs: the named one, or the document's only one. */
export function selectedOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): OperationDefinitionNode | undefined {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return operations.find((o) => o.name?.value === operationName);
  return operations.length === 1 ? operations[0] : undefined;
}
