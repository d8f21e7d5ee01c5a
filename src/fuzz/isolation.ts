import { randomUUID } from "node:crypto";
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from "postgraphile/graphql";
import {
  discoverTables,
  publishedBySharedLayer,
  forbiddenValues,
  gymChecksum,
  gymTruth,
  isUuid,
  nodeIdFor,
  singularTypeName,
  snake,
  type RootQuery,
  type TableInfo,
} from "./ground-truth";

/**
 * Cross-tenant leak fuzzer. Discovers the API by introspection, then, as every role of gym A,
 * reads everything it can reach, looks up every one of gym B's rows by every lookup field,
 * tries every mutation against gym B's rows and tenant id, and probes filters / conditions /
 * orderBy / aggregates for a difference between "B has this value" and "nobody has it".
 * Every response (data and error messages) is searched for gym B's values (ground truth from
 * a superuser query); every mutation is checked against a checksum of gym B's rows.
 */

export interface FuzzPersona {
  label: string;
  email: string;
  /** log in to this gym (the dual-gym user logs in to gym A) */
  tenantId: string;
  /** personas that are also members of gym B legitimately switch gym etc.; only read with them */
  readOnly?: boolean;
}

export interface FuzzOptions {
  apiUrl: string;
  rootQuery: RootQuery;
  password: string;
  gymA: string;
  gymB: string;
  /** extra rounds of randomised probes after the full sweep (default 1) */
  iterations?: number;
  seed?: number;
  log?: (message: string) => void;
}

export interface Finding {
  kind: "leak" | "write" | "side-channel" | "not-refused" | "server-error";
  persona: string;
  operation: string;
  detail: string;
}

export interface FuzzReport {
  gymA: string;
  gymB: string;
  requests: number;
  findings: Finding[];
  coverage: {
    rootQueryFields: string[];
    connectionFields: string[];
    lookupFields: string[];
    nodeIdsProbed: number;
    mutations: string[];
    filterProbes: number;
    conditionProbes: number;
    orderByProbes: number;
    aggregateFields: string[];
    tables: string[];
    forbiddenValues: number;
    personas: string[];
    iterations: number;
  };
  skipped: string[];
  millis: number;
}

interface GqlResult {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  text: string;
}

/** Small deterministic PRNG (mulberry32), so a failing run can be replayed with its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROLE_LOCALS: Record<string, string> = { gym_admin: "admin", coach: "coach", personal_trainer: "pt", member: "member" };

/** The `role` claim of a token this API issued (read, not verified: the server verifies it). */
function roleOfToken(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { role?: unknown };
  if (typeof payload.role !== "string") throw new Error("fuzz: a token without a role claim");
  return payload.role;
}

export async function runIsolationFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const random = rng(options.seed ?? 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const iterations = options.iterations ?? 1;
  let requests = 0;
  const findings: Finding[] = [];
  const skipped: string[] = [];
  const coverage = {
    rootQueryFields: new Set<string>(),
    connectionFields: new Set<string>(),
    lookupFields: new Set<string>(),
    nodeIdsProbed: 0,
    mutations: new Set<string>(),
    filterProbes: 0,
    conditionProbes: 0,
    orderByProbes: 0,
    aggregateFields: new Set<string>(),
  };

  async function post(query: string, variables: Record<string, unknown>, token?: string): Promise<GqlResult> {
    requests++;
    const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${options.apiUrl}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    const text = await res.text();
    let body: GqlResult["body"];
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ message: `non-JSON response: ${text.slice(0, 200)}` }] };
    }
    return { status: res.status, body, text };
  }

  async function login(email: string, tenantId: string): Promise<string> {
    const r = await post(
      `mutation ($email: String!, $password: String!, $tenantId: UUID) {
         authenticate(input: { email: $email, password: $password, tenantId: $tenantId }) { jwtToken } }`,
      { email, password: options.password, tenantId },
    );
    const token = (r.body.data?.authenticate as { jwtToken?: string } | null)?.jwtToken;
    if (!token) throw new Error(`fuzz: login failed for ${email}: ${r.text.slice(0, 300)}`);
    return token;
  }

  // ---------------------------------------------------------------- ground truth
  const tables = await discoverTables(options.rootQuery);
  const truthA = await gymTruth(options.rootQuery, tables, options.gymA);
  const truthB = await gymTruth(options.rootQuery, tables, options.gymB);
  const forbidden = forbiddenValues(truthB, truthA);
  const forbiddenList = [...forbidden];
  const shared = await publishedBySharedLayer(options.rootQuery);
  const checksum = () => gymChecksum(options.rootQuery, tables, truthB.gymId);

  // ---------------------------------------------------------------- personas of gym A
  const personas: FuzzPersona[] = Object.entries(ROLE_LOCALS).map(([role, local]) => ({
    label: `${role}@${options.gymA}`,
    email: `${local}@${options.gymA}.test`,
    tenantId: truthA.gymId,
  }));
  // Each gym's logins in a query of its own (on Citus, one shard each: the two-gym semi-join
  // would need a repartition), intersected here.
  const emailsOf = async (gym: string) =>
    (
      await options.rootQuery<{ email: string }>(
        `select u.email::text as email from app_public.users u join app_public.memberships m on m.user_id = u.id
          where m.tenant_id = $1`,
        [gym],
      )
    ).map((r) => r.email);
  const inB = new Set(await emailsOf(truthB.gymId));
  const bothGyms = (await emailsOf(truthA.gymId))
    .filter((email) => inB.has(email))
    .sort()
    .slice(0, 1)
    .map((email) => ({ email }));
  if (bothGyms[0]) {
    personas.push({
      label: `${bothGyms[0].email} (in both gyms) @${options.gymA}`,
      email: bothGyms[0].email,
      tenantId: truthA.gymId,
      readOnly: true,
    });
  }
  const tokens = new Map<string, string>();
  for (const p of personas) tokens.set(p.label, await login(p.email, p.tenantId));

  // ---------------------------------------------------------------- schemas, one per role
  // The server answers each token from its own role's schema: introspect as each persona's
  // role, and probe each persona only with what its schema offers.
  const groups = new Map<string, { schema: GraphQLSchema; personas: FuzzPersona[] }>();
  for (const p of personas) {
    const token = tokens.get(p.label)!;
    const role = roleOfToken(token);
    let group = groups.get(role);
    if (!group) {
      const intro = await post(getIntrospectionQuery(), {}, token);
      if (!intro.body.data) throw new Error(`fuzz: introspection as ${role} failed: ${intro.text.slice(0, 300)}`);
      group = { schema: buildClientSchema(intro.body.data as unknown as IntrospectionQuery), personas: [] };
      groups.set(role, group);
      log(
        `${role}: ${Object.keys(group.schema.getQueryType()!.getFields()).length} root fields, ${Object.keys(group.schema.getMutationType()?.getFields() ?? {}).length} mutations`,
      );
    }
    group.personas.push(p);
  }
  const schemas = [...groups.values()].map((g) => g.schema);
  const nodeTypes = new Set<string>();
  for (const schema of schemas) {
    const nodeInterface = schema.getType("Node");
    if (nodeInterface && isInterfaceType(nodeInterface))
      for (const t of schema.getPossibleTypes(nodeInterface)) nodeTypes.add(t.name);
  }

  // GraphQL type ↔ table, by PostGraphile's inflection (memberships → Membership).
  const tableOfType = new Map<string, TableInfo>();
  for (const t of tables) {
    const typeName = singularTypeName(t.name);
    if (schemas.some((schema) => schema.getType(typeName))) tableOfType.set(typeName, t);
  }

  // Gym B's node ids and rows, per GraphQL type.
  const bRowsByType = new Map<string, Record<string, unknown>[]>();
  const bNodeIds: { typeName: string; id: string }[] = [];
  for (const [typeName, t] of tableOfType) {
    let rows = truthB.rows.get(t.name) ?? [];
    const aRows = truthA.rows.get(t.name) ?? [];
    // A row both gyms can see (the dual user's login identity) is not B's secret.
    if (t.scope === "members") rows = rows.filter((r) => !aRows.some((x) => x.id === r.id));
    bRowsByType.set(typeName, rows);
    if (!nodeTypes.has(typeName) || t.pk.length === 0) continue;
    for (const r of rows) {
      const id = nodeIdFor(
        typeName,
        t.pk.map((c) => r[c]),
      );
      bNodeIds.push({ typeName, id });
      forbidden.add(id);
      forbiddenList.push(id);
    }
  }
  const bUuids = forbiddenList.filter(isUuid);
  const bStrings = forbiddenList.filter((v) => !isUuid(v) && !bNodeIds.some((n) => n.id === v));

  // ---------------------------------------------------------------- checks
  /** Every string inside a request's variables (what the caller itself sent). */
  function sentStrings(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach((v) => sentStrings(v, out));
    else if (value && typeof value === "object") Object.values(value).forEach((v) => sentStrings(v, out));
    return out;
  }

  function scan(persona: string, operation: string, r: GqlResult, sent: string[] = []) {
    if (r.status >= 500) {
      findings.push({ kind: "server-error", persona, operation, detail: r.text.slice(0, 300) });
    }
    if (/\n\s+at .+\(.+:\d+:\d+\)/.test(r.text)) {
      findings.push({ kind: "server-error", persona, operation, detail: `stack trace in response: ${r.text.slice(0, 300)}` });
    }
    // The shared layer's own root fields may carry what it publishes (opted-in gym cards,
    // leaderboard lines); anything else of gym B is still a leak there too.
    const sharedField = /^query (\w+)$/.exec(operation)?.[1];
    const published = sharedField && shared.fields.has(sharedField) ? shared.values : undefined;
    for (const v of forbiddenList) {
      if (published?.has(v)) continue;
      // A mutation may echo its own input (e.g. a display name the fuzzer copied from gym B's
      // rows into the caller's own row): the caller sent that value, it learnt nothing.
      if (sent.some((x) => x.includes(v))) continue;
      if (r.text.includes(v)) {
        const where = r.body.errors?.some((e) => JSON.stringify(e).includes(v)) ? "error message" : "data";
        findings.push({
          kind: "leak",
          persona,
          operation,
          detail: `gym ${options.gymB}'s value ${JSON.stringify(v)} appeared in the ${where}`,
        });
      }
    }
  }

  /** The personas of the role whose schema is being probed (see the rounds below). */
  let active: FuzzPersona[] = [];
  async function asEveryone(operation: string, query: string, variables: Record<string, unknown>, { write = false } = {}) {
    const results: { persona: FuzzPersona; r: GqlResult }[] = [];
    for (const p of active) {
      if (write && p.readOnly) continue;
      const r = await post(query, variables, tokens.get(p.label));
      if (r.status === 401) {
        // e.g. `logout` ended this persona's session: log in again and carry on
        tokens.set(p.label, await login(p.email, p.tenantId));
      }
      scan(p.label, operation, r);
      results.push({ persona: p, r });
    }
    return results;
  }

  // ---------------------------------------------------------------- selection sets
  const NESTED_FIRST = 3;
  const ROOT_FIRST = 20;
  function hasRequiredArgs(f: GraphQLField<unknown, unknown>) {
    return f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  }
  function isConnection(t: GraphQLNamedType): t is GraphQLObjectType {
    return isObjectType(t) && t.name.endsWith("Connection") && "nodes" in t.getFields();
  }
  function selection(type: GraphQLNamedType, hops: number, path: string): string {
    if (isLeafType(type)) return "";
    if (isUnionType(type)) return "{ __typename }";
    if (!isObjectType(type) && !isInterfaceType(type)) return "";
    const parts: string[] = ["__typename"];
    for (const f of Object.values(type.getFields())) {
      if (f.name === "query" || f.name === "edges") continue;
      if (hasRequiredArgs(f)) continue;
      const named = getNamedType(f.type);
      if (isLeafType(named)) {
        parts.push(f.name);
        continue;
      }
      const exempt =
        f.name === "nodes" ||
        f.name === "pageInfo" ||
        /Aggregates$|AggregateFilter/.test(named.name) ||
        type.name.endsWith("Aggregates");
      if (!exempt && hops <= 0) continue;
      const args = f.args.some((a) => a.name === "first") ? `(first: ${NESTED_FIRST})` : "";
      if (isConnection(named)) coverage.connectionFields.add(`${type.name}.${f.name}`);
      if (named.name.endsWith("Aggregates")) coverage.aggregateFields.add(`${type.name}.${f.name}`);
      const sub = selection(named, exempt ? hops : hops - 1, `${path}.${f.name}`);
      if (sub) parts.push(`${f.name}${args} ${sub}`);
    }
    return `{ ${parts.join(" ")} }`;
  }

  // ---------------------------------------------------------------- values for arguments/inputs
  let counter = 0;
  function typeRowFor(typeName: string | undefined): Record<string, unknown> | undefined {
    const rows = typeName ? bRowsByType.get(typeName) : undefined;
    return rows && rows.length ? pick(rows) : undefined;
  }
  function valueFor(
    name: string,
    type: GraphQLInputType,
    row: Record<string, unknown> | undefined,
    typeName: string | undefined,
    depth = 0,
  ): unknown {
    if (isNonNullType(type)) return valueFor(name, type.ofType, row, typeName, depth);
    if (isListType(type)) {
      const v = valueFor(name, type.ofType, row, typeName, depth);
      return v === undefined ? [] : [v];
    }
    if (isEnumType(type)) return type.getValues()[0]?.name;
    if (isInputObjectType(type)) {
      if (depth > 2) return undefined;
      const out: Record<string, unknown> = {};
      const patchLike = /Patch$|Input$/.test(type.name);
      for (const f of Object.values(type.getFields())) {
        if (f.name === "clientMutationId") continue;
        if (!isNonNullType(f.type) && !patchLike) continue;
        const v = valueFor(f.name, f.type, row, typeName, depth + 1);
        if (v !== undefined) out[f.name] = v;
      }
      return out;
    }
    if (!isScalarType(type)) return undefined;
    const column = snake(name);
    if (name === "tenantId") return truthB.gymId;
    if (type.name === "ID") {
      const own = bNodeIds.filter((n) => n.typeName === typeName);
      return (own.length ? pick(own) : pick(bNodeIds))?.id;
    }
    if (row && row[column] !== undefined && row[column] !== null && typeof row[column] !== "object") return row[column];
    if (name === "rowId" && row && row.id !== undefined) return row.id;
    switch (type.name) {
      case "UUID":
        return bUuids.length ? pick(bUuids) : randomUUID();
      case "String":
        if (/email/i.test(name)) return `fuzz-${++counter}@fuzz.invalid`;
        if (/slug/i.test(name)) return `fuzz-${++counter}`;
        if (name === "role") return "member";
        return bStrings.length && random() < 0.5 ? pick(bStrings) : `fuzz-${++counter}`;
      case "Int":
        return 1;
      case "Float":
        return 1.5;
      case "Boolean":
        return true;
      case "Datetime":
        return new Date().toISOString();
      case "Date":
        return new Date().toISOString().slice(0, 10);
      case "JSON":
        return {};
      case "BigInt":
      case "BigFloat":
        return "1";
      case "Cursor":
        return undefined;
      default:
        return `fuzz-${++counter}`;
    }
  }
  /** The same shape of value that matches nothing anywhere: the "B does not have it" twin. */
  function absentTwin(v: unknown): unknown {
    if (isUuid(v)) return randomUUID();
    if (typeof v === "string") return `zz-absent-${v.length}-${++counter}`;
    return v;
  }
  const argDefs = (args: readonly GraphQLArgument[]) =>
    args.length ? `(${args.map((a, i) => `$v${i}: ${String(a.type)}`).join(", ")})` : "";
  const argUse = (args: readonly GraphQLArgument[]) =>
    args.length ? `(${args.map((a, i) => `${a.name}: $v${i}`).join(", ")})` : "";

  const stripValues = (text: string, values: unknown[]) =>
    values.reduce<string>((acc, v) => (typeof v === "string" && v ? acc.split(v).join("<v>") : acc), text);

  const initialChecksum = await checksum();

  for (let round = 0; round < Math.max(1, iterations); round++) {
    const sweep = round === 0;
    log(`round ${round + 1}/${Math.max(1, iterations)}${sweep ? " (full sweep)" : " (random probes)"}`);

    for (const [role, group] of groups) {
      active = group.personas;
      const queryType = group.schema.getQueryType()!;
      const mutationType = group.schema.getMutationType();
      const rootFields = Object.values(queryType.getFields()).filter((f) => f.name !== "query");
      log(`  ${role}: ${group.personas.map((p) => p.label).join(", ")}`);

      // ------------------------------------------------ 1. every root field without required args
      for (const f of rootFields) {
        if (hasRequiredArgs(f)) continue;
        if (!sweep && random() < 0.5) continue;
        const named = getNamedType(f.type);
        const args = f.args.some((a) => a.name === "first") ? `(first: ${ROOT_FIRST})` : "";
        const sel = selection(named, sweep ? 2 : 1 + Math.floor(random() * 2), f.name);
        const q = `{ ${f.name}${args} ${sel} }`;
        coverage.rootQueryFields.add(f.name);
        if (isConnection(named)) coverage.connectionFields.add(`Query.${f.name}`);
        const results = await asEveryone(`query ${f.name}`, q, {});
        for (const { persona, r } of results) {
          if (r.body.errors?.some((e) => e.extensions?.code === "QUERY_TOO_COMPLEX" || e.extensions?.code === "QUERY_TOO_DEEP")) {
            skipped.push(`${f.name} as ${persona.label}: ${r.body.errors[0]!.message}`);
          }
        }
      }

      // ------------------------------------------------ 2. node(id:) and every lookup field, for B's ids
      const idFields = rootFields.filter(
        (f) => f.args.length > 0 && f.args.every((a) => getNamedType(a.type).name === "ID") && hasRequiredArgs(f),
      );
      const idsThisRound = sweep ? bNodeIds : bNodeIds.filter(() => random() < 0.3);
      for (const f of idFields) {
        coverage.lookupFields.add(f.name);
        for (let i = 0; i < idsThisRound.length; i += 25) {
          const batch = idsThisRound.slice(i, i + 25);
          const q = `query (${batch.map((_, j) => `$i${j}: ID!`).join(", ")}) { ${batch
            .map((_, j) => `q${j}: ${f.name}(${f.args[0]!.name}: $i${j}) { __typename }`)
            .join(" ")} }`;
          const vars = Object.fromEntries(batch.map((n, j) => [`i${j}`, n.id]));
          coverage.nodeIdsProbed += batch.length;
          for (const { persona, r } of await asEveryone(`${f.name}(id: B)`, q, vars)) {
            const data = r.body.data ?? {};
            for (const [alias, v] of Object.entries(data)) {
              if (v !== null)
                findings.push({
                  kind: "leak",
                  persona: persona.label,
                  operation: `${f.name}`,
                  detail: `${alias} returned ${JSON.stringify(v)} for gym B's node id`,
                });
            }
          }
        }
      }
      // A lookup keyed by an enum (plan(rowId: FREE)) reads global reference data: its keys are
      // the schema's own values, not gym B's, and an enum has no absent twin to compare with.
      const lookupFields = rootFields.filter(
        (f) => hasRequiredArgs(f) && !idFields.includes(f) && !f.args.some((a) => isEnumType(getNamedType(a.type))),
      );
      for (const f of lookupFields) {
        coverage.lookupFields.add(f.name);
        const named = getNamedType(f.type);
        const typeName = named.name;
        const rows = bRowsByType.get(typeName) ?? [];
        const sampleRows = sweep ? rows : rows.filter(() => random() < 0.3);
        const sel = selection(named, 1, f.name);
        for (const row of sampleRows.length ? sampleRows : [undefined]) {
          const vars: Record<string, unknown> = {};
          f.args.forEach((a, i) => (vars[`v${i}`] = valueFor(a.name, a.type, row, typeName)));
          const q = `query ${argDefs(f.args)} { ${f.name}${argUse(f.args)} ${sel} }`;
          const twinVars = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, absentTwin(v)]));
          const results = await asEveryone(`${f.name}(B's key)`, q, vars);
          const twins = await asEveryone(`${f.name}(absent key)`, q, twinVars);
          results.forEach(({ persona, r }, i) => {
            if (r.body.data?.[f.name] != null) {
              findings.push({
                kind: "leak",
                persona: persona.label,
                operation: f.name,
                detail: `returned a row for gym B's key ${JSON.stringify(vars)}`,
              });
            }
            const twin = twins[i]!.r;
            const a = stripValues(JSON.stringify({ s: r.status, ...r.body }), Object.values(vars));
            const b = stripValues(JSON.stringify({ s: twin.status, ...twin.body }), Object.values(twinVars));
            if (a !== b) {
              findings.push({
                kind: "side-channel",
                persona: persona.label,
                operation: f.name,
                detail: `answer for B's key differs from an absent key: ${a.slice(0, 200)} vs ${b.slice(0, 200)}`,
              });
            }
          });
        }
      }

      // ------------------------------------------------ 3. filters, conditions, orderBy, aggregates on root connections
      for (const f of rootFields) {
        const named = getNamedType(f.type);
        if (!isConnection(named) || hasRequiredArgs(f)) continue;
        const nodeType = getNamedType(named.getFields().nodes!.type);
        const rows = bRowsByType.get(nodeType.name) ?? [];
        const agg = named.getFields().aggregates
          ? ` aggregates ${selection(getNamedType(named.getFields().aggregates!.type), 0, "agg")}`
          : "";
        const probeSel = `{ totalCount nodes { __typename } pageInfo { hasNextPage hasPreviousPage }${agg} }`;
        for (const argName of ["filter", "condition"] as const) {
          const arg = f.args.find((a) => a.name === argName);
          if (!arg) continue;
          const inputType = getNamedType(arg.type);
          if (!isInputObjectType(inputType)) continue;
          for (const field of Object.values(inputType.getFields())) {
            if (["and", "or", "not"].includes(field.name)) continue;
            if (!sweep && random() < 0.6) continue;
            const fieldType = getNamedType(field.type);
            // A B value for this column (or any B value of the right kind).
            const row = rows.length ? pick(rows) : undefined;
            let bValue: unknown = row?.[snake(field.name)] ?? (field.name === "rowId" ? row?.id : undefined);
            if (isInputObjectType(fieldType) && !fieldType.getFields().equalTo) continue; // relation filters: not probed
            const leafName = isInputObjectType(fieldType)
              ? getNamedType(fieldType.getFields().equalTo!.type).name
              : fieldType.name;
            // Only values that are gym B's alone: a value A also holds (a person in both gyms)
            // legitimately matches A's own rows.
            if (typeof bValue === "string" && !forbidden.has(bValue) && !forbidden.has(bValue.toLowerCase())) bValue = undefined;
            if (typeof bValue === "number" || typeof bValue === "boolean") bValue = undefined;
            if (bValue === undefined || bValue === null || typeof bValue === "object") {
              bValue = leafName === "UUID" ? pick(bUuids) : leafName === "String" ? pick(bStrings) : undefined;
            }
            if (bValue === undefined || (typeof bValue !== "string" && typeof bValue !== "number" && typeof bValue !== "boolean"))
              continue;
            const ops: [string, (v: unknown) => unknown][] = [];
            if (argName === "condition") ops.push(["", (v) => v]);
            else if (isInputObjectType(fieldType)) {
              const fs = fieldType.getFields();
              if (fs.equalTo) ops.push(["equalTo", (v) => v]);
              if (fs.in) ops.push(["in", (v) => [v]]);
              if (fs.greaterThanOrEqualTo && typeof bValue !== "boolean") ops.push(["greaterThanOrEqualTo", (v) => v]);
              if (fs.startsWith && typeof bValue === "string")
                ops.push(["startsWith", (v) => String(v).slice(0, Math.max(3, String(v).length - 2))]);
              if (fs.includesInsensitive && typeof bValue === "string")
                ops.push(["includesInsensitive", (v) => String(v).slice(1)]);
            }
            for (const [op, make] of ops) {
              if (!sweep && random() < 0.5) continue;
              const build = (v: unknown) =>
                argName === "condition" ? { [field.name]: make(v) } : { [field.name]: { [op]: make(v) } };
              const q = `query ($p: ${String(arg.type)}) { r: ${f.name}(${argName}: $p, first: ${ROOT_FIRST}) ${probeSel} }`;
              const withB = await asEveryone(`${f.name}(${argName}: ${field.name} ${op})`, q, { p: build(bValue) });
              const twinValue = op === "greaterThanOrEqualTo" ? bValue : absentTwin(bValue);
              if (op === "greaterThanOrEqualTo") continue; // range probes: leak scan only
              const without = await asEveryone(`${f.name}(${argName}: ${field.name} ${op}, absent)`, q, { p: build(twinValue) });
              if (argName === "filter") coverage.filterProbes++;
              else coverage.conditionProbes++;
              withB.forEach(({ persona, r }, i) => {
                const twin = without[i]!.r;
                const strip = (x: GqlResult, v: unknown) =>
                  stripValues(JSON.stringify({ s: x.status, ...x.body }), [String(make(v))]);
                if (strip(r, bValue) !== strip(twin, twinValue)) {
                  findings.push({
                    kind: "side-channel",
                    persona: persona.label,
                    operation: `${f.name}(${argName}: {${field.name}: ${op || "="}})`,
                    detail: `answer differs when the value exists in gym B: ${strip(r, bValue).slice(0, 200)} vs ${strip(twin, twinValue).slice(0, 200)}`,
                  });
                }
              });
            }
          }
        }
        const orderBy = f.args.find((a) => a.name === "orderBy");
        const orderEnum = orderBy ? getNamedType(orderBy.type) : undefined;
        if (orderEnum && isEnumType(orderEnum)) {
          const counts = new Map<string, string>();
          for (const v of orderEnum.getValues()) {
            if (!sweep && random() < 0.7) continue;
            coverage.orderByProbes++;
            const q = `{ r: ${f.name}(orderBy: [${v.name}], first: ${ROOT_FIRST}) { totalCount nodes { __typename } } }`;
            for (const { persona, r } of await asEveryone(`${f.name}(orderBy: ${v.name})`, q, {})) {
              const code = r.body.errors?.[0]?.extensions?.code;
              // Ordering by a count over a table this role may not read is refused outright
              // (42501), the same whatever gym B holds: a refusal, not a side channel.
              if (code === "42501") continue;
              const summary = JSON.stringify((r.body.data?.r as { totalCount?: number } | undefined)?.totalCount ?? code);
              const prev = counts.get(persona.label);
              if (prev !== undefined && prev !== summary) {
                findings.push({
                  kind: "side-channel",
                  persona: persona.label,
                  operation: `${f.name}(orderBy: ${v.name})`,
                  detail: `totalCount changes with the ordering: ${prev} vs ${summary}`,
                });
              }
              counts.set(persona.label, summary);
            }
          }
        }
        const grouped = named.getFields().groupedAggregates;
        const groupBy = grouped?.args.find((a) => a.name === "groupBy");
        const groupEnum = groupBy ? getNamedType(groupBy.type) : undefined;
        if (grouped && groupEnum && isEnumType(groupEnum)) {
          coverage.aggregateFields.add(`${named.name}.groupedAggregates`);
          for (const v of groupEnum.getValues()) {
            if (!sweep && random() < 0.7) continue;
            const q = `{ r: ${f.name} { groupedAggregates(groupBy: [${v.name}]) { keys } } }`;
            await asEveryone(`${f.name}.groupedAggregates(${v.name})`, q, {});
          }
        }
      }

      // ------------------------------------------------ 4. every mutation, against B's ids and tenant id
      if (mutationType) {
        for (const m of Object.values(mutationType.getFields())) {
          if (!sweep && random() < 0.5) continue;
          coverage.mutations.add(m.name);
          const typeName = [...tableOfType.keys()].find((t) => m.name.endsWith(t) || m.name.includes(`${t}By`));
          const row = typeRowFor(typeName);
          const vars: Record<string, unknown> = {};
          m.args.forEach((a, i) => (vars[`v${i}`] = valueFor(a.name, a.type, row, typeName)));
          const payload = getNamedType(m.type);
          const sel = selection(payload, 1, m.name) || "";
          const q = `mutation ${argDefs(m.args)} { ${m.name}${argUse(m.args)} ${sel} }`;
          for (const p of active) {
            if (p.readOnly) continue;
            const before = await checksum();
            const r = await post(q, vars, tokens.get(p.label));
            scan(p.label, `mutation ${m.name}`, r, sentStrings(vars));
            const after = await checksum();
            const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
            if (changed.length) {
              findings.push({
                kind: "write",
                persona: p.label,
                operation: `mutation ${m.name}`,
                detail: `gym ${options.gymB}'s rows changed in ${changed.join(", ")} with input ${JSON.stringify(vars).slice(0, 300)}`,
              });
            }
            const result = r.body.data?.[m.name];
            // Refused: an error, a null payload, or a payload whose record is null (an update or
            // delete that RLS let match no row).
            const refused =
              (r.body.errors?.length ?? 0) > 0 ||
              result === null ||
              result === undefined ||
              (typeof result === "object" &&
                Object.entries(result as Record<string, unknown>).every(
                  ([k, v]) => k === "__typename" || k === "clientMutationId" || v === null,
                ));
            if (!refused && /^(update|delete)/.test(m.name)) {
              findings.push({
                kind: "not-refused",
                persona: p.label,
                operation: `mutation ${m.name}`,
                detail: `succeeded against gym B's row: ${r.text.slice(0, 300)}`,
              });
            }
            // `logout` and friends may end the session; keep the persona logged in.
            const probe = await post("{ __typename }", {}, tokens.get(p.label));
            if (probe.status === 401) tokens.set(p.label, await login(p.email, p.tenantId));
          }
        }
      }
    }
  }

  const finalChecksum = await checksum();
  const drift = Object.keys(finalChecksum).filter((k) => finalChecksum[k] !== initialChecksum[k]);
  if (drift.length) {
    findings.push({
      kind: "write",
      persona: "(all)",
      operation: "whole run",
      detail: `gym ${options.gymB}'s rows changed during the run: ${drift.join(", ")}`,
    });
  }

  return {
    gymA: options.gymA,
    gymB: options.gymB,
    requests,
    findings: dedupe(findings),
    coverage: {
      rootQueryFields: [...coverage.rootQueryFields].sort(),
      connectionFields: [...coverage.connectionFields].sort(),
      lookupFields: [...coverage.lookupFields].sort(),
      nodeIdsProbed: coverage.nodeIdsProbed,
      mutations: [...coverage.mutations].sort(),
      filterProbes: coverage.filterProbes,
      conditionProbes: coverage.conditionProbes,
      orderByProbes: coverage.orderByProbes,
      aggregateFields: [...coverage.aggregateFields].sort(),
      tables: tables.map((t) => t.name),
      forbiddenValues: forbiddenList.length,
      personas: personas.map((p) => p.label),
      iterations: Math.max(1, iterations),
    },
    skipped: [...new Set(skipped)],
    millis: Date.now() - started,
  };
}

function dedupe(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.kind}|${f.persona}|${f.operation}|${f.detail}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function formatReport(report: FuzzReport): string {
  const c = report.coverage;
  const lines = [
    `isolation fuzz: ${report.gymA} (A) vs ${report.gymB} (B): ${report.requests} requests in ${(report.millis / 1000).toFixed(1)} s, ${c.iterations} round(s)`,
    `  personas (${c.personas.length}): ${c.personas.join(", ")}`,
    `  tables with ground truth (${c.tables.length}): ${c.tables.join(", ")}; ${c.forbiddenValues} gym-B values searched for`,
    `  root query fields (${c.rootQueryFields.length}): ${c.rootQueryFields.join(", ")}`,
    `  connections (${c.connectionFields.length}): ${c.connectionFields.join(", ")}`,
    `  lookup fields (${c.lookupFields.length}): ${c.lookupFields.join(", ")}; ${c.nodeIdsProbed} node-id probes`,
    `  mutations (${c.mutations.length}): ${c.mutations.join(", ")}`,
    `  side channels: ${c.filterProbes} filter, ${c.conditionProbes} condition, ${c.orderByProbes} orderBy probes; aggregates: ${c.aggregateFields.join(", ") || "none"}`,
  ];
  if (report.skipped.length) lines.push(`  skipped (${report.skipped.length}): ${report.skipped.slice(0, 5).join("; ")}`);
  lines.push(`  findings: ${report.findings.length}`);
  for (const f of report.findings.slice(0, 50)) lines.push(`    [${f.kind}] ${f.persona} ${f.operation}: ${f.detail}`);
  return lines.join("\n");
}
