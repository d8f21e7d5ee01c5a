/**
 * The typed-client example, a member's app: a few lines of fetch, typed end to end by the
 * documents generated from the member's committed schema, schema/member.graphql
 * (`npm run graphql:types`). A misspelt field or a wrong
 * variable type is a compile error here, not a runtime one. The suite compiles and runs it
 * against the live API (test/contract.test.ts).
 */
import { print, type TypedQueryDocumentNode } from "graphql";
import { LogInDocument, WorkoutBoardDocument, type WorkoutBoardResult } from "./operations.generated";

export async function request<R, V>(
  url: string,
  document: TypedQueryDocumentNode<R, V>,
  variables: V,
  token?: string,
): Promise<R> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await res.json()) as { data?: R; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length || !body.data) {
    throw new Error(`GraphQL error: ${body.errors?.map((e) => `${e.extensions?.code ?? ""} ${e.message}`).join("; ")}`);
  }
  return body.data;
}

/** Log in and read the gym's workout board: each workout's latest results with who did them. */
export async function workoutBoard(url: string, email: string, password: string): Promise<WorkoutBoardResult> {
  const { authenticate } = await request(url, LogInDocument, { email, password });
  if (!authenticate?.jwtToken) throw new Error("login failed");
  return request(url, WorkoutBoardDocument, { first: 5 }, authenticate.jwtToken);
}
