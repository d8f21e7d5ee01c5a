import { errorBody, type ErrorBody } from "../graphql/error-body";

/**
 * Why a request was refused at the door. Each becomes HTTP 401 (or 503) with a JSON body
 * `{ "errors": [{ "message", "extensions": { "code" } }] }`, so a client can switch on it.
 */
export type AuthErrorCode =
  | "AUTH_HEADER_INVALID"
  | "TOKEN_INVALID"
  | "TOKEN_EXPIRED"
  | "TOKEN_AUDIENCE"
  | "TOKEN_CLAIMS_INVALID"
  | "SESSION_INVALID"
  | "AUTH_UNAVAILABLE";

export class AuthError extends Error {
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly status = 401,
  ) {
    super(message);
    this.name = "AuthError";
  }

  toJSON(): ErrorBody {
    return errorBody(this.code, this.message);
  }
}
