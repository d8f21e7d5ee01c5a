import type { NextFunction, Request, Response } from "express";
import type { Pool } from "pg";
import { AuthError } from "./errors";
import { clientAddressKey } from "./client-address";
import { ANONYMOUS, verifyToken, type TokenClaims, type TokenOptions, type TokenVerifier } from "./verify-token";

declare module "http" {
  interface IncomingMessage {
    /** Set by the auth middleware; PostGraphile's context refuses a request without it. */
    ironcladClaims?: TokenClaims;
  }
}

/**
 * The one door. No token → anonymous. Any token that is malformed, forged, expired, for
 * another audience, or whose session Postgres no longer honours (logout, disabled user,
 * removed or changed membership) → 401 with a JSON error. Never a silent downgrade to
 * anonymous. Also tags the request with its client-address key for the login budget.
 */
export function authMiddleware(
  options: TokenOptions & { authPool: Pool; sessionCheckInTransaction?: boolean; verify?: TokenVerifier },
) {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      req.ironcladClientKey = clientAddressKey(req, options.secret);
      req.ironcladClaims = await claimsFor(req.headers.authorization, {
        ...options,
        // Folded into the transaction (session-guard.ts) for gym roles. Platform-owner requests
        // are audited before they run, and the audit needs a live session: checked here.
        skipSessionCheck: options.sessionCheckInTransaction
          ? (claims) => (req.ironcladSessionDeferred = claims.role !== "platform_owner")
          : undefined,
      });
      next();
    } catch (error) {
      const authError =
        error instanceof AuthError ? error : new AuthError("AUTH_UNAVAILABLE", "Could not check the session; try again.", 503);
      if (!(error instanceof AuthError)) console.error("auth: session check failed:", error);
      res.status(authError.status).json(authError.toJSON());
    }
  };
}

/**
 * An Authorization header → verified claims whose session Postgres still honours. The one
 * check for every transport: HTTP requests here, websocket connections (src/realtime) with
 * `connectionParams.authorization`.
 */
export async function claimsFor(
  header: string | undefined,
  options: TokenOptions & { authPool: Pool; verify?: TokenVerifier; skipSessionCheck?: (claims: TokenClaims) => boolean },
): Promise<TokenClaims> {
  if (header === undefined || header === "") return ANONYMOUS;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/.exec(header.trim());
  if (!match) throw new AuthError("AUTH_HEADER_INVALID", "Authorization header must be `Bearer <token>`.");
  const claims = (options.verify ?? verifyToken)(match[1]!, options);
  if (!options.skipSessionCheck?.(claims)) await assertSessionValid(options.authPool, claims);
  return claims;
}

/** Postgres decides whether the session is still alive (see app_hidden.session_is_valid). */
export async function assertSessionValid(authPool: Pool, claims: TokenClaims): Promise<void> {
  if (claims.role === "anonymous") return;
  const { rows } = await authPool.query<{ ok: boolean }>("select app_hidden.session_is_valid($1, $2, $3, $4, $5, $6) as ok", [
    claims.sessionId,
    claims.userId,
    claims.tenantId,
    claims.membershipId,
    claims.membershipVersion,
    claims.role,
  ]);
  if (!rows[0]?.ok) {
    throw new AuthError(
      "SESSION_INVALID",
      "The session has ended (logged out, membership removed or changed, or user disabled).",
    );
  }
}
