import cors from "cors";
import type { RequestHandler } from "express";

/**
 * Cross-origin access for browser apps (CORS_ORIGINS). Off unless origins are listed: then a
 * listed origin gets `Access-Control-Allow-Origin: <that origin>` (with `Vary: Origin`) and its
 * preflight is answered 204 with the methods and headers a GraphQL client sends. Any other
 * origin gets no CORS headers, so its browser withholds the answer.
 *
 * Credentials: tokens travel in the `Authorization` header, never in cookies, so
 * `Access-Control-Allow-Credentials` is not sent; clients fetch with the default
 * `credentials: "same-origin"` (or "omit") and set the header themselves. A listed origin may
 * therefore be trusted with no more than what the token it holds already grants.
 */
export const CORS_METHODS = ["GET", "POST", "OPTIONS"];
export const CORS_HEADERS = ["Authorization", "Content-Type", "Accept"];
/** How long a browser may cache a preflight answer, in seconds. */
export const CORS_MAX_AGE = 600;

/** `https://app.example.com` → itself; anything that is not a bare origin is a configuration error. */
export function parseCorsOrigins(raw: string | undefined): string[] {
  if (!raw || raw.trim() === "") return [];
  return raw.split(",").map((entry) => {
    const value = entry.trim();
    let origin: string;
    try {
      origin = new URL(value).origin;
    } catch {
      throw new Error(`CORS_ORIGINS: ${JSON.stringify(value)} is not an origin (scheme://host[:port])`);
    }
    if (origin === "null" || origin !== value.replace(/\/$/, "")) {
      throw new Error(`CORS_ORIGINS: ${JSON.stringify(value)} is not an origin (scheme://host[:port], no path)`);
    }
    return origin;
  });
}

/** The middleware, or null when no origin is listed (CORS off). */
export function corsMiddleware(origins: readonly string[]): RequestHandler | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: CORS_METHODS,
    allowedHeaders: CORS_HEADERS,
    credentials: false,
    maxAge: CORS_MAX_AGE,
    optionsSuccessStatus: 204,
  });
}
