import { access, constant, context, lambda, list, listen, type Step } from "postgraphile/grafast";
import type { GrafastSubscriber } from "postgraphile/grafast";
import { extendSchema, gql } from "postgraphile/utils";
import type { RealtimeConnection } from "../../realtime/connection";
import { realtimeSubscriber, type RealtimeEvent } from "../../realtime/topics";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- declaration merging into grafast's global Grafast.Context needs the namespace form
  namespace Grafast {
    interface Context {
      /** Set for a websocket operation (src/graphql/preset.ts): the socket's checked identity. */
      ironcladRealtime?: RealtimeConnection | null;
    }
  }
}

type Resource = { get(spec: Record<string, Step>): Step };

/**
 * GraphQL subscriptions (graphql-ws at /graphql). Each event carries ids only (see the
 * migration's `_900_notify` triggers); the row is read with the subscriber's own role and claims, so
 * RLS decides what arrives. The channel comes from the socket's verified claims, never from
 * arguments.
 */
export const RealtimePlugin = extendSchema((build) => {
  const resources = build.input.pgRegistry.pgResources as unknown as Record<string, Resource>;
  const messages = resources.messages!;
  const classSessions = resources.class_sessions!;
  const workouts = resources.workouts!;

  const pubsub = () =>
    lambda(list([context().get("pgSubscriber"), context().get("ironcladRealtime")]), ([pg, connection]) => {
      if (!pg || !connection) return null; // not a websocket: listen() refuses
      return realtimeSubscriber(pg as unknown as GrafastSubscriber<Record<string, string>>, connection as RealtimeConnection);
    });
  const row = (resource: Resource, $event: Step, idKey: keyof RealtimeEvent) =>
    resource.get({ tenant_id: access($event, "tenant_id"), id: access($event, idKey) });

  return {
    typeDefs: gql`
      """
      One event of the network leaderboards: a board changed (a new best, an opt-in change) or a
      full recompute finished. Select the leaderboards you show through \`query\`.
      """
      type NetworkLeaderboardsRefreshed {
        "Which board changed: network_best_all_time or network_best_by_month."
        leaderboard: String!
        "The query root, read as you, for the fresh leaderboards."
        query: Query!
      }

      extend type Subscription {
        "A message was sent to me (my membership is the recipient)."
        messageReceived: Message
        "A class of my gym was booked or a booking cancelled: the class, with its booked count."
        classBookedCount(classId: UUID!): ClassSession
        "A result was logged, changed or removed in my gym: the workout whose leaderboard changed."
        gymLeaderboardChanged: Workout
        "A network leaderboard changed (one event per board per transaction)."
        networkLeaderboardRefreshed: NetworkLeaderboardsRefreshed
      }
    `,
    objects: {
      Subscription: {
        plans: {
          messageReceived: {
            subscribePlan: () => listen(pubsub(), constant("messages")),
            plan: ($event: Step) => row(messages, $event, "id"),
          },
          classBookedCount: {
            subscribePlan: (_$root: Step, fieldArgs: { getRaw(name: string): Step }) =>
              listen(
                pubsub(),
                lambda(fieldArgs.getRaw("classId"), (id) => `class:${String(id)}`),
              ),
            plan: ($event: Step) => row(classSessions, $event, "id"),
          },
          gymLeaderboardChanged: {
            subscribePlan: () => listen(pubsub(), constant("leaderboard")),
            plan: ($event: Step) => row(workouts, $event, "workout_id"),
          },
          networkLeaderboardRefreshed: {
            subscribePlan: () => listen(pubsub(), constant("network")),
            plan: ($event: Step) => $event,
          },
        },
      },
      NetworkLeaderboardsRefreshed: {
        plans: {
          leaderboard: ($event: Step) => access($event, "leaderboard"),
          // The query root: its fields plan from nothing (a subscription has no root value).
          query: () => constant({}),
        },
      },
    },
  };
}, "IroncladRealtimePlugin");
