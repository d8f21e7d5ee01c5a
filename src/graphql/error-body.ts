/**
 * The JSON body of every refusal outside GraphQL execution (the auth door, body-size and
 * express errors, grafserv's HTTP-level refusals): the GraphQL error shape, so a client reads
 * `errors[].extensions.code` the same way whichever layer refused.
 */
export interface ErrorBody {
  errors: [{ message: string; extensions: { code: string } & Record<string, unknown> }];
}

export function errorBody(code: string, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { errors: [{ message, extensions: { code, ...extra } }] };
}
