import type { IncomingHttpHeaders } from "node:http";
import type { Pool } from "pg";
import { AuthError } from "../auth/errors";
import { DEFAULT_SESSION_CHECK_MS } from "../config";
import { assertSessionValid, claimsFor } from "../auth/middleware";
import type { TokenClaims, TokenOptions } from "../auth/verify-token";

/** What this module needs of a `ws` socket (the server side of the connection). */
export interface RealtimeSocket {
  /** 1 = OPEN (the WebSocket readyState values). */
  readonly readyState: number;
  close(code: number, reason: string): void;
  once(event: "close", listener: () => void): unknown;
}

/** graphql-ws close codes: 4401 Unauthorized (the token expired, or its session ended). */
export const CLOSE_UNAUTHORIZED = 4401;

export interface RealtimeAuthOptions extends TokenOptions {
  authPool: Pool;
  /** How often an open socket re-checks its session, in ms (default DEFAULT_SESSION_CHECK_MS in src/config.ts). */
  sessionCheckMs?: number;
}

/**
 * One websocket's identity: the claims its `connectionParams.authorization` carried, checked
 * by the same code as an HTTP request's Authorization header, and the watch that ends the
 * socket when they stop being good: at the token's `exp`, when a periodic or per-event
 * session check fails (logout, revocation, membership change), with close code 4401 and the
 * error code (TOKEN_EXPIRED, SESSION_INVALID) as the reason.
 */
export class RealtimeConnection {
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    readonly claims: TokenClaims,
    private readonly socket: RealtimeSocket | undefined,
    private readonly options: RealtimeAuthOptions,
  ) {}

  static async open(socket: RealtimeSocket | undefined, params: IncomingHttpHeaders | undefined, options: RealtimeAuthOptions) {
    const header = params?.authorization;
    const claims = await claimsFor(Array.isArray(header) ? header.join(",") : header, options);
    const connection = new RealtimeConnection(claims, socket, options);
    connection.watch();
    return connection;
  }

  /** Throws (and closes the socket) unless the token is unexpired and its session alive. */
  async assertValid(): Promise<void> {
    if (this.closed) throw new AuthError("SESSION_INVALID", "The connection has ended.");
    if (this.claims.expiresAt !== undefined && this.claims.expiresAt * 1000 <= Date.now()) {
      throw this.end(new AuthError("TOKEN_EXPIRED", "The token has expired; log in again."));
    }
    try {
      await assertSessionValid(this.options.authPool, this.claims);
    } catch (error) {
      throw this.end(error instanceof AuthError ? error : new AuthError("AUTH_UNAVAILABLE", "Could not check the session.", 503));
    }
  }

  private watch() {
    if (!this.socket) return;
    if (this.claims.expiresAt !== undefined) {
      // At exp, assertValid ends the socket (TOKEN_EXPIRED). setTimeout holds at most 2^31-1 ms;
      // a longer-lived token is caught by a later check.
      const ms = Math.min(Math.max(0, this.claims.expiresAt * 1000 - Date.now() + 10), 2 ** 31 - 1);
      this.timers.push(setTimeout(() => void this.assertValid().catch(() => undefined), ms));
    }
    if (this.claims.role !== "anonymous") {
      const every = this.options.sessionCheckMs ?? DEFAULT_SESSION_CHECK_MS;
      this.timers.push(setInterval(() => void this.assertValid().catch(() => undefined), every));
    }
    for (const timer of this.timers) timer.unref();
    this.socket.once("close", () => this.stop());
    if (this.socket.readyState !== 1) this.stop(); // closed while the token was being checked
  }

  private stop() {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
  }

  private end(error: AuthError): AuthError {
    this.stop();
    this.socket?.close(CLOSE_UNAUTHORIZED, error.code);
    return error;
  }
}

/**
 * Connections by socket: graphql-ws asks for a context once per subscription, the socket's
 * token is the same for all of them, so it is checked and watched once.
 */
export function connectionCache(options: RealtimeAuthOptions) {
  const bySocket = new WeakMap<object, Promise<RealtimeConnection>>();
  return (socket: RealtimeSocket | undefined, params: IncomingHttpHeaders | undefined): Promise<RealtimeConnection> => {
    if (!socket) return RealtimeConnection.open(socket, params, options);
    let connection = bySocket.get(socket);
    if (!connection) {
      connection = RealtimeConnection.open(socket, params, options);
      // A refused token is not cached: the client sees the error; the socket is closed.
      connection.catch((error: unknown) => {
        bySocket.delete(socket);
        const code = error instanceof AuthError ? error.code : "AUTH_UNAVAILABLE";
        socket.close(CLOSE_UNAUTHORIZED, code);
      });
      bySocket.set(socket, connection);
    }
    return connection;
  };
}
