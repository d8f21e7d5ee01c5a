import { GYM_A, GYM_ROLES, asPersona, expectPgError, persona, rootQuery, testDb, userId } from "./support/db";
import { gql, login, startTestApi } from "./support/api";
import { Client } from "pg";
import { createHash, randomUUID } from "node:crypto";
import { redactSecrets } from "../src/auth/audit";

interface Entry {
  operationType: string | null;
  operationName: string | null;
  documentSha256: string | null;
  document: string | null;
  variables: Record<string, unknown>;
  userId: string;
  occurredAt: string;
}

describe("redaction", () => {
  const nested = { password: "p", keep: 1, deep: { apiToken: "t", list: [{ clientSecret: "s", Passphrase: "x", ok: true }] } };
  const redacted = {
    password: "[REDACTED]",
    keep: 1,
    deep: { apiToken: "[REDACTED]", list: [{ clientSecret: "[REDACTED]", Passphrase: "[REDACTED]", ok: true }] },
  };
  it("redacts keys matching /pass|secret|token/i at any depth, in the API and again in SQL", async () => {
    expect(redactSecrets(nested)).toEqual(redacted);
    const [{ v }] = (await rootQuery<{ v: unknown }>("select app_private.redact_secrets($1::jsonb) as v", [
      JSON.stringify(nested),
    ])) as [{ v: unknown }];
    expect(v).toEqual(redacted);
  });
});

describe("platform audit log", () => {
  it("records every platform-owner request (who, when, operation, redacted variables); readable by the platform owner", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, "owner@ironclad.test");
      const marker = `m-${Date.now()}`;
      const first = await gql(
        api,
        `query OwnerLooksAtGyms($marker: String!, $password: String!, $authToken: String!) {
          a: gymBySlug(slug: $marker) { name } b: gymBySlug(slug: $password) { name } c: gymBySlug(slug: $authToken) { name } }`,
        { marker, password: "hunter2", authToken: "abc" },
        token,
      );
      expect(first.errors).toBeUndefined();
      const second = await gql(api, "{ gymDirectory { totalCount } }", {}, token);
      expect(second.errors).toBeUndefined();

      const read = await gql<{ platformAuditEntries: { nodes: Entry[] } }>(
        api,
        "query ReadAudit { platformAuditEntries(first: 50) { nodes { operationName variables userId occurredAt } } }",
        {},
        token,
      );
      expect(read.errors).toBeUndefined();
      const entries = read.data!.platformAuditEntries.nodes;
      const ownerId = await userId("owner@ironclad.test");
      const mine = entries.find((e) => e.variables?.marker === marker);
      expect(mine).toMatchObject({
        operationName: "OwnerLooksAtGyms",
        userId: ownerId,
        variables: { marker, password: "[REDACTED]", authToken: "[REDACTED]" },
      });
      expect(JSON.stringify(entries)).not.toMatch(/hunter2|"abc"/);
      // The anonymous query and the read itself are recorded too.
      const rows = await rootQuery<{ operation_name: string | null }>(
        "select operation_name from app_private.platform_audit_log where user_id = $1 order by id desc limit 10",
        [ownerId],
      );
      expect(rows.map((r) => r.operation_name)).toEqual(expect.arrayContaining(["ReadAudit", "OwnerLooksAtGyms", null]));
    } finally {
      await api.close();
    }
  });

  it("gym roles' requests are not recorded, and no gym role can read the log", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, `admin@${GYM_A}.test`);
      const res = await gql(api, "query AdminTriesAudit { platformAuditEntries { nodes { operationName } } }", {}, token);
      // Not in a gym admin's schema at all (no grant): refused before anything runs.
      expect(res.errors?.map((e) => e.extensions?.code)).toEqual(["GRAPHQL_VALIDATION_FAILED"]);
      const rows = await rootQuery("select 1 from app_private.platform_audit_log where user_id = $1", [
        await userId(`admin@${GYM_A}.test`),
      ]);
      expect(rows).toEqual([]);
    } finally {
      await api.close();
    }
    for (const role of GYM_ROLES) {
      const who = await persona(role, GYM_A);
      expect((await expectPgError(who, "select * from app_private.platform_audit_log")).code).toBe("42501");
      expect((await expectPgError(who, "select * from app_public.platform_audit_entries()")).code).toBe("42501");
    }
    // The platform owner reads it only through the function.
    expect((await expectPgError(await persona("platform_owner"), "select * from app_private.platform_audit_log")).code).toBe(
      "42501",
    );
    const n = await asPersona(
      await persona("platform_owner"),
      async (db) => (await db.query("select * from app_public.platform_audit_entries()")).rowCount,
    );
    expect(n).toBeGreaterThanOrEqual(0);
  });

  it("is append-only, even for the database owner and superusers", async () => {
    await rootQuery(
      "select app_hidden.record_platform_request(s.id, s.user_id, 'query', 'seeded', '{ seeded }', '{}') from app_private.sessions s join app_private.platform_owners p on p.user_id = s.user_id where s.revoked_at is null limit 1",
    ).catch(() => undefined);
    const [{ n }] = (await rootQuery<{ n: string }>("select count(*) as n from app_private.platform_audit_log")) as [
      { n: string },
    ];
    expect(Number(n)).toBeGreaterThan(0);
    for (const sql of [
      "update app_private.platform_audit_log set operation_name = 'forged'",
      "delete from app_private.platform_audit_log",
      "truncate app_private.platform_audit_log",
    ]) {
      await expect(rootQuery(sql)).rejects.toMatchObject({ code: "IC030" });
      const owner = new Client({ connectionString: testDb().ownerUrl });
      await owner.connect();
      try {
        // The owner has no policy on the log: it sees no row to change, or is refused outright.
        const outcome = await owner.query(sql).then(
          (r) => r.rowCount,
          (e: { code: string }) => e.code,
        );
        expect([0, "IC030", "42501"]).toContain(outcome);
      } finally {
        await owner.end();
      }
    }
  });

  it("the authenticator can record only for a live platform-owner session", async () => {
    const auth = new Client({ connectionString: testDb().authUrl });
    await auth.connect();
    try {
      const member = await userId(`member@${GYM_A}.test`);
      await expect(
        auth.query("select app_hidden.record_platform_request(gen_random_uuid(), $1, 'query', 'forged', '{ forged }', '{}')", [
          member,
        ]),
      ).rejects.toMatchObject({ code: "IC002" });
      await expect(
        auth.query("insert into app_private.platform_audit_log (user_id) values ($1)", [member]),
      ).rejects.toMatchObject({ code: "42501" });
    } finally {
      await auth.end();
    }
  });
});

describe("platform audit redacts by the schema, and keeps the document", () => {
  it("a password passed as $pw (any variable name), inside an input variable, or inline, is never stored; the document and operation are", async () => {
    const api = await startTestApi();
    try {
      const token = await login(api, "owner@ironclad.test");
      const email = `nobody-${randomUUID()}@example.test`;
      const secrets = [`pw-${randomUUID()}`, `in-${randomUUID()}`, `lit-${randomUUID()}`, `dflt-${randomUUID()}`];
      const named = `Probe${Date.now()}`;
      // 1. a variable with an innocent name fills authenticate's password argument
      const one = await gql(
        api,
        `mutation ${named}A($e: String!, $pw: String!) {
          authenticate(input: { email: $e, password: $pw }) { jwtToken } }`,
        { e: email, pw: secrets[0] },
        token,
      );
      expect(one.errors?.[0]?.extensions?.code).toBe("IC003");
      // 2. the whole input object as one variable
      await gql(
        api,
        `mutation ${named}B($x: AuthenticateInput!) { authenticate(input: $x) { jwtToken } }`,
        { x: { email, password: secrets[1] } },
        token,
      );
      // 3. an inline literal, and 4. a variable default value
      await gql(
        api,
        `mutation ${named}C { authenticate(input: { email: "${email}", password: "${secrets[2]}" }) { jwtToken } }`,
        {},
        token,
      );
      await gql(
        api,
        `mutation ${named}D($p: String = "${secrets[3]}") { authenticate(input: { email: "${email}", password: $p }) { jwtToken } }`,
        {},
        token,
      );

      const entries = (
        await gql<{ platformAuditEntries: { nodes: Entry[] } }>(
          api,
          `{ platformAuditEntries(first: 20) { nodes { operationType operationName documentSha256 document variables userId occurredAt } } }`,
          {},
          token,
        )
      ).data!.platformAuditEntries.nodes;
      const mine = (suffix: string) => entries.find((e) => e.operationName === `${named}${suffix}`)!;
      expect(mine("A")).toMatchObject({ operationType: "mutation", variables: { e: email, pw: "[REDACTED]" } });
      expect(mine("B").variables).toEqual({ x: { email, password: "[REDACTED]" } });
      for (const suffix of ["A", "B", "C", "D"]) {
        const entry = mine(suffix);
        expect(entry.document).toContain("authenticate");
        expect(entry.documentSha256).toBe(createHash("sha256").update(entry.document!, "utf8").digest("hex"));
      }
      expect(mine("C").document).toContain('"[REDACTED]"');

      // Nowhere in the log, its documents, or anything the owner can read.
      const everything = JSON.stringify(
        await rootQuery(
          "select l.*, d.document from app_private.platform_audit_log l left join app_private.platform_audit_documents d on d.sha256 = l.document_sha256",
        ),
      );
      for (const secret of secrets) {
        expect(everything).not.toContain(secret);
        expect(JSON.stringify(entries)).not.toContain(secret);
      }
      // A document sent twice is stored once.
      const [{ n }] = (await rootQuery<{ n: string }>(
        "select count(*) as n from app_private.platform_audit_documents where document like $1",
        [`%${named}A%`],
      )) as [{ n: string }];
      expect(Number(n)).toBe(1);
    } finally {
      await api.close();
    }
  });

  it("the documents table is append-only too", async () => {
    await expect(rootQuery("update app_private.platform_audit_documents set document = 'forged'")).rejects.toMatchObject({
      code: "IC030",
    });
    await expect(rootQuery("delete from app_private.platform_audit_documents")).rejects.toMatchObject({ code: "IC030" });
  });
});
