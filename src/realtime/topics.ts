import type { GrafastSubscriber } from "postgraphile/grafast";
import { SafeError } from "postgraphile/grafast";
import { AuthError } from "../auth/errors";
import type { RealtimeConnection } from "./connection";

/** What a subscription field asks for; the channel it maps to is built from the token, not from this. */
export type RealtimeTopic = "messages" | "leaderboard" | "network" | `class:${string}`;

/** What a subscription's event plan receives: ids only, plus the subscriber's own gym. */
export interface RealtimeEvent {
  tenant_id: string | null;
  id?: string;
  workout_id?: string;
  leaderboard?: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The channels the migration's `_900_notify` triggers notify. */
export function gymChannel(tenantId: string, topic: "messages" | "bookings" | "leaderboard"): string {
  return `ironclad:gym:${tenantId}:${topic}`;
}
export const NETWORK_CHANNEL = "ironclad:network:leaderboards";

function refuse(message: string): never {
  throw new SafeError(message, { code: "SUBSCRIPTION_FORBIDDEN" });
}

interface Route {
  channel: string;
  keep(payload: Record<string, unknown>): boolean;
}

/**
 * topic → channel and filter, from the verified claims only. Gym topics LISTEN to the
 * channel of the token's gym; messages keep only those whose recipient is the token's
 * membership; a class's topic keeps only that class's events. Whatever passes is then read
 * under the subscriber's role and claims (RLS decides), after a fresh session check.
 */
export function routeFor(connection: RealtimeConnection, topic: string): Route {
  const { tenantId, membershipId, role } = connection.claims;
  if (topic === "network") {
    if (role === "anonymous") refuse("Log in to follow the network leaderboards.");
    return { channel: NETWORK_CHANNEL, keep: () => true };
  }
  if (tenantId === null || membershipId === null) refuse("Only people in a gym follow its events.");
  if (topic === "messages") {
    return { channel: gymChannel(tenantId, "messages"), keep: (p) => p.recipient_id === membershipId };
  }
  if (topic === "leaderboard") return { channel: gymChannel(tenantId, "leaderboard"), keep: () => true };
  if (topic.startsWith("class:")) {
    const classId = topic.slice("class:".length).toLowerCase();
    if (!UUID.test(classId)) refuse("classId is not a UUID.");
    return { channel: gymChannel(tenantId, "bookings"), keep: (p) => p.id === classId };
  }
  return refuse("Unknown realtime topic.");
}

/**
 * A GrafastSubscriber for one subscription of one connection, over PostGraphile's shared
 * LISTEN client (context.pgSubscriber).
 */
export function realtimeSubscriber(
  pgSubscriber: GrafastSubscriber<Record<string, string>>,
  connection: RealtimeConnection,
): GrafastSubscriber<Record<string, RealtimeEvent>> {
  return {
    async subscribe(topic) {
      const route = routeFor(connection, String(topic));
      const source = await pgSubscriber.subscribe(route.channel);
      return filtered(source, async (raw) => {
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          return null;
        }
        if (!route.keep(payload)) return null;
        // Logged out, revoked or expired since the last event: the socket closes, nothing is read.
        try {
          await connection.assertValid();
        } catch (error) {
          if (error instanceof AuthError) throw new SafeError(error.message, { code: error.code });
          throw error;
        }
        return { ...payload, tenant_id: connection.claims.tenantId } as RealtimeEvent;
      });
    },
  };
}

/**
 * `source` mapped through `map`, skipping nulls. A hand-written iterator rather than an async
 * generator: `return()` must reach the LISTEN at once when the client unsubscribes, not after
 * the next notification.
 */
function filtered<T>(source: AsyncIterableIterator<string>, map: (raw: string) => Promise<T | null>): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    async next() {
      for (;;) {
        const result = await source.next();
        if (result.done) return { done: true, value: undefined };
        let value: T | null;
        try {
          value = await map(result.value);
        } catch (error) {
          await source.return?.();
          throw error;
        }
        if (value !== null) return { done: false, value };
      }
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await source.return?.();
      throw error;
    },
  };
  return iterator;
}
