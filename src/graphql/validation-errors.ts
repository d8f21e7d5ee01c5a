import { GraphQLError, type ValidationContext, type ValidationRule } from "postgraphile/graphql";

/** The code every document error carries (README "Errors"). */
export const VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED";
export const PARSE_FAILED = "GRAPHQL_PARSE_FAILED";

/** graphql-js's "Did you mean …?" hints name fields, types and enum values. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

export function withoutSuggestions(message: string): string {
  return message.replace(SUGGESTION, "");
}

/**
 * A validation rule that runs no check of its own: it makes every error the other rules report
 * carry `extensions.code` (GRAPHQL_VALIDATION_FAILED unless it has one), and, when the schema
 * is not to be learnt by asking (introspection off), drops graphql-js's name suggestions.
 * All rules of one validation share the context, so wrapping its reportError once covers them.
 */
export function makeErrorCodeRule(options: { suggestions: boolean }): ValidationRule {
  return (context: ValidationContext) => {
    const report = context.reportError.bind(context);
    context.reportError = (error: GraphQLError) => report(codedDocumentError(error, options.suggestions));
    return {};
  };
}

/** A document error (parse or validation) with a code, and without suggestions if asked. */
export function codedDocumentError(error: GraphQLError, suggestions: boolean): GraphQLError {
  const message = suggestions ? error.message : withoutSuggestions(error.message);
  const fallback = error.message.startsWith("Syntax Error:") ? PARSE_FAILED : VALIDATION_FAILED;
  if (message === error.message && typeof error.extensions?.code === "string") return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code: error.extensions?.code ?? fallback },
  });
}
