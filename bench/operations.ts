/**
 * The HTTP workload: each operation as the GraphQL document the API gets and as the SQL the
 * floor server runs for the same answer. Variables are built per person (see http.ts).
 */
import type { GymRole } from "../src/roles";

export interface Operation {
  name: "list" | "detail" | "aggregate" | "write";
  role: GymRole;
  document: string;
  /** SQL for the floor; its parameters are `floorParams(variables)`. */
  sql: string;
  floorParams: (variables: Record<string, unknown>) => unknown[];
}

export const OPERATIONS: Operation[] = [
  {
    name: "list",
    role: "member",
    document: `query List { workoutResults(first: 50) { nodes { rowId score performedOn isRx } } }`,
    sql: `select id as "rowId", score, performed_on as "performedOn", is_rx as "isRx"
          from app_public.workout_results order by tenant_id, id limit 50`,
    floorParams: () => [],
  },
  {
    name: "detail",
    role: "coach",
    // The API takes the row's own key (the tenant comes from the token); the floor, which has
    // no RLS to lean on, names the tenant explicitly.
    document: `query Detail($c: UUID!) {
      classSession(rowId: $c) {
        title startsAt capacity bookedCount
        coach { displayName }
        bookings(first: 20) { nodes { rowId checkedInAt member { displayName } } }
      }
    }`,
    sql: `select c.title, c.starts_at as "startsAt", c.capacity, c.booked_count as "bookedCount",
            (select json_build_object('displayName', m.display_name) from app_public.memberships m
              where m.tenant_id = c.tenant_id and m.id = c.coach_id) as "coach",
            (select json_agg(x) from (
               select b.id as "rowId", b.checked_in_at as "checkedInAt",
                      (select json_build_object('displayName', m.display_name) from app_public.memberships m
                        where m.tenant_id = b.tenant_id and m.id = b.member_id) as "member"
               from app_public.bookings b where b.tenant_id = c.tenant_id and b.class_session_id = c.id
               order by b.tenant_id, b.id limit 20) x) as "bookings"
          from app_public.class_sessions c where c.tenant_id = $1 and c.id = $2`,
    floorParams: (v) => [v.t, v.c],
  },
  {
    name: "aggregate",
    role: "coach",
    document: `query Aggregate { workoutResults { groupedAggregates(groupBy: WORKOUT_ID) { keys average { score } } } }`,
    sql: `select workout_id, avg(score) as score from app_public.workout_results group by workout_id`,
    floorParams: () => [],
  },
  {
    name: "write",
    role: "member",
    document: `mutation Log($w: UUID!) { createWorkoutResult(input: { workoutResult: { workoutId: $w, score: "300" } }) { workoutResult { rowId } } }`,
    sql: `insert into app_public.workout_results (workout_id, score) values ($1, 300) returning id as "rowId"`,
    floorParams: (v) => [v.w],
  },
];
