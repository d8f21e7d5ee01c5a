import { getIntrospectionQuery } from "postgraphile/graphql";

/**
 * Documents built to be cheap to send and expensive to serve. Each stays under the default
 * 100 kB body limit. Shared by test/limits.test.ts (outcomes) and bench/hostile-documents.ts
 * (timings).
 */
export interface HostileDocument {
  name: string;
  query: string;
  /** codes the refusal must include */
  refusedWith: string[];
  /**
   * Its cost grows with the schema it runs against (introspection): refused against a large
   * role's schema (send it with a gym admin's token), while the anonymous schema is small
   * enough to answer it within the cost limit.
   */
  costGrowsWithSchema?: true;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** F0 spreads F1 twice, F1 spreads F2 twice, …: 2^n paths through n tiny fragments. */
export function doublingFragments(n: number): string {
  const fragments = range(n).map((i) =>
    i === n - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }`,
  );
  return `query { ...F0 }\n${fragments.join("\n")}`;
}

/** The same, with the fragments listed before the operation that uses them. */
export function doublingFragmentsFirst(n: number): string {
  const fragments = range(n).map((i) =>
    i === n - 1 ? `fragment F${i} on Query { __typename }` : `fragment F${i} on Query { __typename ...F${i + 1} ...F${i + 1} }`,
  );
  return `${fragments.reverse().join("\n")}\nquery { ...F0 }`;
}

/** graphql-js's standard introspection query with its `__schema` selection repeated n times under aliases. */
export function aliasedIntrospection(n: number): string {
  const intro = getIntrospectionQuery();
  const fragments = intro.slice(intro.indexOf("fragment FullType"));
  const schema = intro.slice(intro.indexOf("__schema"), intro.indexOf("fragment FullType")).trim().replace(/}\s*$/, "");
  return `query { ${range(n)
    .map((i) => `s${i}: ${schema}`)
    .join("\n")} }\n${fragments}`;
}

export const HOSTILE_DOCUMENTS: HostileDocument[] = [
  {
    name: "18 doubling fragments (issue 10)",
    query: doublingFragments(18),
    refusedWith: ["TOO_MANY_ROOT_FIELDS", "QUERY_TOO_COMPLEX"],
  },
  {
    name: "40 doubling fragments, fragments first",
    query: doublingFragmentsFirst(40),
    refusedWith: ["TOO_MANY_ROOT_FIELDS", "QUERY_TOO_COMPLEX"],
  },
  {
    name: "40 aliased full __schema (issue 10)",
    query: aliasedIntrospection(40),
    refusedWith: ["TOO_MANY_ALIASES", "TOO_MANY_ROOT_FIELDS", "QUERY_TOO_COMPLEX"],
  },
  {
    name: "5000 aliased __typename",
    query: `{ ${range(5000)
      .map((i) => `a${i}: __typename`)
      .join(" ")} }`,
    refusedWith: ["TOO_MANY_ALIASES"],
  },
  {
    name: "9000 unaliased __typename (field merging)",
    query: `{ ${range(9000)
      .map(() => "__typename")
      .join(" ")} }`,
    refusedWith: ["TOO_MANY_ROOT_FIELDS"],
  },
  {
    name: "9000 same-name fields under a list",
    query: `{ plans { nodes { ${range(9000)
      .map(() => "name")
      .join(" ")} } } }`,
    refusedWith: ["SELECTION_TOO_WIDE", "QUERY_TOO_COMPLEX"],
  },
  {
    name: "9000 same-name fields under one object",
    query: `{ currentGym { ${range(9000)
      .map(() => "name")
      .join(" ")} } }`,
    refusedWith: ["SELECTION_TOO_WIDE"],
  },
  {
    name: "5 aliased full __schema",
    query: aliasedIntrospection(5),
    refusedWith: ["QUERY_TOO_COMPLEX"],
    costGrowsWithSchema: true,
  },
  {
    name: "3000 directives on one field",
    query: `{ __typename ${range(3000)
      .map(() => "@include(if: true)")
      .join(" ")} }`,
    refusedWith: ["TOO_MANY_DIRECTIVES"],
  },
  {
    name: "300 aliased __type(name:) lookups",
    query: `{ ${range(300)
      .map((i) => `t${i}: __type(name: "Query") { fields { name args { name type { name } } } }`)
      .join(" ")} }`,
    refusedWith: ["TOO_MANY_ALIASES"],
  },
  {
    name: "fields nested 240 deep",
    query: `{ ${"currentGym { members { nodes { gym { ".repeat(60)} name ${"} } } }".repeat(60)} }`,
    refusedWith: ["QUERY_TOO_DEEP"],
  },
  {
    name: "2000 inline fragments in one selection",
    query: `{ ${range(2000)
      .map((i) => `... on Query { a${i % 10}: __typename }`)
      .join(" ")} }`,
    refusedWith: ["TOO_MANY_ALIASES"],
  },
];
