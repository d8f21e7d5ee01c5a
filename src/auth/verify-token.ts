import { createHash } from "node:crypto";
import jwt from "jsonwebtoken";
import { isAppRole, isGymRole, type AppRole } from "../roles";
import { AuthError } from "./errors";

/** The claims Postgres is told about. Nothing else from a token ever reaches the database. */
export interface Claims {
  role: AppRole;
  userId: string | null;
  tenantId: string | null;
  sessionId: string | null;
  /** The membership the token was issued for (gym roles); NULL for anonymous and the platform owner. */
  membershipId: string | null;
}

/** What a verified token says: the claims, plus the membership version the session check compares. */
export interface TokenClaims extends Claims {
  membershipVersion: number | null;
  /** The token's `exp` (seconds since the epoch); a websocket closes then. Unset for anonymous. */
  expiresAt?: number;
}

export const ANONYMOUS: TokenClaims = Object.freeze({
  role: "anonymous",
  userId: null,
  tenantId: null,
  sessionId: null,
  membershipId: null,
  membershipVersion: null,
});

/** `iss` of every token this API issues and accepts. */
export const JWT_ISSUER = "ironclad";

export interface TokenOptions {
  secret: string;
  audience: string;
  issuer: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Verify signature (HS256 only: `alg: none` and algorithm confusion are refused), expiry,
 * audience and issuer, then check the claims have the shape we issue.
 */
export function verifyToken(token: string, options: TokenOptions): TokenClaims {
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, options.secret, {
      algorithms: ["HS256"],
      audience: options.audience,
      issuer: options.issuer,
    });
  } catch (error) {
    if (error instanceof jwt.TokenExpiredError) throw new AuthError("TOKEN_EXPIRED", "The token has expired; log in again.");
    if (error instanceof jwt.JsonWebTokenError && /audience/.test(error.message)) {
      throw new AuthError("TOKEN_AUDIENCE", "The token was not issued for this API.");
    }
    throw new AuthError("TOKEN_INVALID", "The token is malformed or its signature is invalid.");
  }
  if (typeof payload === "string") throw new AuthError("TOKEN_CLAIMS_INVALID", "The token has no claims.");
  if (payload.exp === undefined) throw new AuthError("TOKEN_CLAIMS_INVALID", "The token has no expiry.");

  const {
    role,
    sub,
    sid,
    tenant_id: tenantId,
    membership_id: membershipId,
    membership_version: membershipVersion,
  } = payload as Record<string, unknown>;
  const gymRole = isGymRole(role);
  const absent = (value: unknown) => value === null || value === undefined;
  const valid =
    isAppRole(role) &&
    role !== "anonymous" &&
    typeof sub === "string" &&
    UUID.test(sub) &&
    typeof sid === "string" &&
    UUID.test(sid) &&
    (gymRole
      ? typeof tenantId === "string" &&
        UUID.test(tenantId) &&
        typeof membershipId === "string" &&
        UUID.test(membershipId) &&
        Number.isSafeInteger(membershipVersion)
      : absent(tenantId) && absent(membershipId) && absent(membershipVersion));
  if (!valid) throw new AuthError("TOKEN_CLAIMS_INVALID", "The token's claims are not ones this API issues.");
  return {
    role: role as AppRole,
    userId: sub as string,
    tenantId: (tenantId as string | undefined) ?? null,
    sessionId: sid as string,
    membershipId: (membershipId as string | undefined) ?? null,
    membershipVersion: (membershipVersion as number | undefined) ?? null,
    expiresAt: payload.exp,
  };
}

export type TokenVerifier = (token: string, options: TokenOptions) => TokenClaims;

/**
 * verifyToken behind a bounded cache of tokens that already verified: keyed by the sha256 of
 * the token (and of the options it verified against), kept until the token's `exp`, least
 * recently used evicted beyond `maxEntries`. Only successes are kept; a refused token is
 * verified (and refused) again every time. This caches the signature check only: the session
 * is still checked in Postgres on every request.
 */
export function cachedTokenVerifier(maxEntries: number): TokenVerifier {
  const cache = new Map<string, TokenClaims>();
  return (token, options) => {
    const key = createHash("sha256")
      .update(`${options.secret}\0${options.audience}\0${options.issuer}\0${token}`)
      .digest("base64");
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      if (hit.expiresAt !== undefined && Date.now() / 1000 < hit.expiresAt) {
        cache.set(key, hit); // most recently used last
        return hit;
      }
    }
    const claims = Object.freeze(verifyToken(token, options));
    cache.set(key, claims);
    if (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
    return claims;
  };
}
