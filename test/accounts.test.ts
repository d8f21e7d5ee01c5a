/**
 * Accounts no gym can hijack (issue 8, items 1-4 and the account half of 7), end to end over
 * HTTP: the real API, real mail through the outbox and the real `send_mail` worker task (the
 * development transport writes JSON files; the tests read them back and follow the link's
 * token), real logins.
 */
import { createHash, randomUUID } from "node:crypto";
import { runOnce } from "graphile-worker";
import type { RunningApi } from "../src/server";
import { taskList } from "../src/worker";
import { gql, login, startTestApi, type GraphQLResponse } from "./support/api";
import { createGym, createGymUser, GYM_A, rootQuery, testDb, type FreshGym } from "./support/db";
import { deliverMail, latestToken, mailsTo, quietLogger } from "./support/mail";

let api: RunningApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

const email = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@mail.test`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

const INVITE = `mutation ($email: String!, $role: MembershipRole!, $name: String!, $gym: UUID) {
  inviteToGym(input: { email: $email, role: $role, displayName: $name, tenantId: $gym }) {
    result { rowId tenantId email role displayName expiresAt acceptedAt revokedAt membershipId }
  }
}`;
const ACCEPT = `mutation ($token: String!, $password: String) {
  acceptInvitation(input: { token: $token, password: $password }) { result { tenantId gymName role } }
}`;
const RESEND = `mutation ($id: UUID!) { resendInvitation(input: { invitationId: $id }) { result { rowId expiresAt } } }`;
const REVOKE = `mutation ($id: UUID!) { revokeInvitation(input: { invitationId: $id }) { result { rowId revokedAt } } }`;
const REQUEST_RESET = `mutation ($email: String!) { requestPasswordReset(input: { email: $email }) { result } }`;
const RESET = `mutation ($token: String!, $newPassword: String!) { resetPassword(input: { token: $token, newPassword: $newPassword }) { result } }`;
const CHANGE = `mutation ($currentPassword: String!, $newPassword: String!) {
  changePassword(input: { currentPassword: $currentPassword, newPassword: $newPassword }) { result }
}`;
const ME = `{ me { email } myRole currentGym { rowId } }`;

type Invitation = { rowId: string; tenantId: string; email: string; role: string; displayName: string; expiresAt: string };

async function invite(token: string, address: string, role: string, name: string, gym?: string): Promise<Invitation> {
  const res = await gql<{ inviteToGym: { result: Invitation } }>(api, INVITE, { email: address, role, name, gym }, token);
  expect(res.errors).toBeUndefined();
  return res.data!.inviteToGym.result;
}

function code(res: GraphQLResponse): string | undefined {
  return res.errors?.[0]?.extensions?.code;
}

/** A fresh gym with its admin (an already-accepted account), logged in over HTTP. */
async function gymWithAdmin(): Promise<{ gym: FreshGym; adminToken: string; adminEmail: string }> {
  const gym = await createGym();
  const admin = await createGymUser({ role: "gym_admin", gym, email: email("admin") });
  return { gym, adminToken: await login(api, admin.email), adminEmail: admin.email };
}

describe("invitations, end to end over HTTP", () => {
  it("admin invites → mail through the outbox → the person accepts with their own password → logs in", async () => {
    const { gym, adminToken } = await gymWithAdmin();
    const address = email("newbie");
    const inv = await invite(adminToken, address, "COACH", "Coach Newbie");
    expect(inv).toMatchObject({ tenantId: gym.id, email: address, role: "COACH", displayName: "Coach Newbie" });
    // No login and no membership exist before acceptance.
    expect(await rootQuery("select 1 from app_public.users where email = $1", [address])).toEqual([]);

    const token = await latestToken(address);
    const [mail] = await mailsTo(address);
    expect(mail!.subject).toContain(`Test gym ${gym.slug}`);
    // Only the hash is stored; the outbox forgot the raw token once the mail was sent.
    const [stored] = await rootQuery<{ token_hash: string }>(
      "select encode(token_hash, 'hex') as token_hash from app_public.invitations where id = $1",
      [inv.rowId],
    );
    expect(stored!.token_hash).toBe(sha256(token));
    expect(await rootQuery("select 1 from app_private.mail_outbox where secret = $1", [token])).toEqual([]);
    expect(await rootQuery("select 1 from app_private.mail_outbox where sent_at is null and recipient = $1", [address])).toEqual(
      [],
    );

    const accepted = await gql(api, ACCEPT, { token, password: "my-own-password" });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.acceptInvitation.result).toEqual({ tenantId: gym.id, gymName: `Test gym ${gym.slug}`, role: "COACH" });
    // Single use.
    expect(code(await gql(api, ACCEPT, { token, password: "my-own-password" }))).toBe("IC020");

    const mine = await login(api, address, "my-own-password", gym.id);
    const me = await gql(api, ME, {}, mine);
    expect(me.data).toEqual({ me: { email: address }, myRole: "coach", currentGym: { rowId: gym.id } });
    const names = await gql(api, "{ memberships { nodes { role displayName } } }", {}, mine);
    expect(names.data!.memberships.nodes).toContainEqual({ role: "COACH", displayName: "Coach Newbie" });
  });

  it("a new person must choose a valid password (IC022); nothing is created", async () => {
    const { adminToken } = await gymWithAdmin();
    const address = email("short");
    await invite(adminToken, address, "MEMBER", "Short");
    const token = await latestToken(address);
    expect(code(await gql(api, ACCEPT, { token, password: "short" }))).toBe("IC022");
    expect(code(await gql(api, ACCEPT, { token }))).toBe("IC022");
    expect(await rootQuery("select 1 from app_public.users where email = $1", [address])).toEqual([]);
    expect((await gql(api, ACCEPT, { token, password: "long-enough" })).errors).toBeUndefined();
  });

  it("resend kills the old link; revoke kills the link; an expired link is refused and cleaned up by the worker", async () => {
    const { adminToken } = await gymWithAdmin();
    const address = email("resend");
    const inv = await invite(adminToken, address, "MEMBER", "Resent");
    const first = await latestToken(address);
    expect((await gql(api, RESEND, { id: inv.rowId }, adminToken)).errors).toBeUndefined();
    const second = await latestToken(address);
    expect(second).not.toBe(first);
    expect(code(await gql(api, ACCEPT, { token: first, password: "password-one" }))).toBe("IC020");
    expect((await gql(api, REVOKE, { id: inv.rowId }, adminToken)).errors).toBeUndefined();
    expect(code(await gql(api, ACCEPT, { token: second, password: "password-one" }))).toBe("IC020");
    expect(code(await gql(api, REVOKE, { id: inv.rowId }, adminToken))).toBe("IC020");

    const late = email("late");
    const lateInv = await invite(adminToken, late, "MEMBER", "Late");
    const lateToken = await latestToken(late);
    await rootQuery("update app_public.invitations set expires_at = now() - interval '2 days' where id = $1", [lateInv.rowId]);
    expect(code(await gql(api, ACCEPT, { token: lateToken, password: "password-one" }))).toBe("IC020");
    await rootQuery("select graphile_worker.add_job('prune_accounts')");
    await runOnce({
      connectionString: testDb().ownerUrl,
      taskList: { prune_accounts: taskList.prune_accounts! },
      logger: quietLogger,
    });
    expect(await rootQuery("select 1 from app_public.invitations where id = $1", [lateInv.rowId])).toEqual([]);
  });

  it("only the gym's admin (or the platform owner) invites; another gym's invitations cannot be resent or revoked", async () => {
    const a = await gymWithAdmin();
    const b = await gymWithAdmin();
    const coach = await createGymUser({ role: "coach", gym: a.gym });
    const coachToken = await login(api, coach.email);
    // A coach's schema has no inviteToGym (no EXECUTE grant): a validation error, nothing runs.
    expect(code(await gql(api, INVITE, { email: email("x"), role: "MEMBER", name: "X" }, coachToken))).toBe(
      "GRAPHQL_VALIDATION_FAILED",
    );
    expect(code(await gql(api, INVITE, { email: email("x"), role: "MEMBER", name: "X", gym: b.gym.id }, a.adminToken))).toBe(
      "IC002",
    );
    const invB = await invite(b.adminToken, email("b-person"), "MEMBER", "B person");
    expect(code(await gql(api, RESEND, { id: invB.rowId }, a.adminToken))).toBe("IC020");
    expect(code(await gql(api, REVOKE, { id: invB.rowId }, a.adminToken))).toBe("IC020");
    const listA = await gql(api, "{ invitations { nodes { rowId } } }", {}, a.adminToken);
    expect(listA.data!.invitations.nodes).toEqual([]);
    const listB = await gql(api, "{ invitations { nodes { rowId email } } }", {}, b.adminToken);
    expect(listB.data!.invitations.nodes).toEqual([{ rowId: invB.rowId, email: invB.email }]);
  });
});

describe("the cross-gym takeover story, step by step (issue 8)", () => {
  it("A invites x; B invites x as coach; A learns nothing of B, and nothing A knows logs in to B", async () => {
    const a = await gymWithAdmin();
    const b = await gymWithAdmin();
    const x = email("x");

    // 1. Gym A's admin invites x. A never chooses x's password: x does, on acceptance.
    await invite(a.adminToken, x, "MEMBER", "X at A");
    const tokenA = await latestToken(x);
    expect((await gql(api, ACCEPT, { token: tokenA, password: "x-secret-password" })).errors).toBeUndefined();

    // 2. Gym B's admin invites the same email as coach. The answer has exactly the shape and
    //    content of an invitation for a brand-new email: no user id, A's name for x, membership.
    const brandNew = await invite(b.adminToken, email("fresh"), "COACH", "Someone");
    const forX = await invite(b.adminToken, x, "COACH", "Coach X");
    expect(Object.keys(forX).sort()).toEqual(Object.keys(brandNew).sort());
    expect(forX).toMatchObject({ displayName: "Coach X", email: x, acceptedAt: null, membershipId: null });
    expect(JSON.stringify(forX)).not.toContain("X at A");
    // No membership in B until x accepts.
    expect(
      await rootQuery(
        "select 1 from app_public.memberships m join app_public.users u on u.id = m.user_id where u.email = $1 and m.tenant_id = $2",
        [x, b.gym.id],
      ),
    ).toEqual([]);

    // 3. The link alone is not enough for an existing login: x must be logged in as x.
    const tokenB = await latestToken(x);
    expect(code(await gql(api, ACCEPT, { token: tokenB }))).toBe("IC021");
    expect(code(await gql(api, ACCEPT, { token: tokenB, password: "attacker-password" }, a.adminToken))).toBe("IC021");
    const xToken = await login(api, x, "x-secret-password");
    const accepted = await gql(api, ACCEPT, { token: tokenB }, xToken);
    expect(accepted.data?.acceptInvitation.result).toMatchObject({ tenantId: b.gym.id, role: "COACH" });

    // 4. A removes its own membership of x, then tries every password A ever used for B.
    const removed = await gql(api, "{ m: memberships { nodes { id email } } }", {}, a.adminToken);
    const mine = removed.data!.m.nodes.find((n: { email: string }) => n.email === x);
    expect(
      (
        await gql(
          api,
          "mutation ($id: ID!) { deleteMembershipById(input: { id: $id }) { deletedMembershipId } }",
          { id: mine.id },
          a.adminToken,
        )
      ).errors,
    ).toBeUndefined();
    for (const guess of ["attacker-password", "demo-password", "x-secret-passwor", ""]) {
      const res = await gql(
        api,
        "mutation ($e: String!, $p: String!, $t: UUID) { authenticate(input: { email: $e, password: $p, tenantId: $t }) { jwtToken } }",
        { e: x, p: guess, t: b.gym.id },
      );
      expect(res.data?.authenticate?.jwtToken ?? null).toBeNull();
    }

    // 5. A never learns B exists: not in its invitations, memberships, audit trail or names.
    const seen = JSON.stringify(
      (
        await gql(
          api,
          `{
      invitations { nodes { email tenantId displayName } }
      memberships { nodes { tenantId displayName } }
      accountEvents { nodes { tenantId action email } }
    }`,
          {},
          a.adminToken,
        )
      ).data,
    );
    expect(seen).not.toContain(b.gym.id);
    expect(seen).not.toContain("Coach X");
    // And B's view of x is B's own name, never A's.
    const bSees = JSON.stringify((await gql(api, "{ memberships { nodes { displayName tenantId } } }", {}, b.adminToken)).data);
    expect(bSees).toContain("Coach X");
    expect(bSees).not.toContain("X at A");
    expect(bSees).not.toContain(a.gym.id);
  });

  it("no mutation lets anyone set or learn another person's password, in any role's schema", async () => {
    // Each role is served its own schema: look at every one of them.
    const logins = [
      null,
      `member@${GYM_A}.test`,
      `pt@${GYM_A}.test`,
      `coach@${GYM_A}.test`,
      `admin@${GYM_A}.test`,
      "owner@ironclad.test",
    ];
    const withPassword = new Set<string>();
    const all = new Set<string>();
    for (const email of logins) {
      const token = email ? await login(api, email) : undefined;
      const res = await gql(
        api,
        `{ __schema { mutationType { fields { name args { name type { name ofType { name } } } } } } }`,
        {},
        token,
      );
      const passwordy = (res.data!.__schema.mutationType.fields as { name: string; args: { name: string }[] }[])
        .filter((f) => f.args.some((a) => a.name === "input"))
        .map((f) => f.name);
      // Every root mutation whose input mentions a password is one of the person's own.
      for (const name of passwordy) {
        all.add(name);
        const t = await gql(
          api,
          `{ __type(name: "${name[0]!.toUpperCase()}${name.slice(1)}Input") { inputFields { name } } }`,
          {},
          token,
        );
        if ((t.data?.__type?.inputFields ?? []).some((f: { name: string }) => /password/i.test(f.name))) withPassword.add(name);
      }
    }
    expect([...withPassword].sort()).toEqual(["acceptInvitation", "authenticate", "changePassword", "resetPassword"]);
    expect([...all]).not.toContain("addGymUser");
  });

  it("an admin cannot get into a member's account to read their messages", async () => {
    const { gym, adminToken } = await gymWithAdmin();
    const member = await createGymUser({ role: "member", gym, email: email("private"), password: "members-own-password" });
    // Re-inviting the member is refused (already in the gym) and sets nothing.
    expect(code(await gql(api, INVITE, { email: member.email, role: "MEMBER", name: "Again" }, adminToken))).toBe("IC023");
    // A reset goes to the member's mailbox, never to the admin; the admin's request answers true like any other.
    const r = await gql(api, REQUEST_RESET, { email: member.email }, adminToken);
    expect(r.data).toEqual({ requestPasswordReset: { result: true } });
    // Without the mail the admin has no token; guessing one fails.
    expect(code(await gql(api, RESET, { token: "0".repeat(64), newPassword: "admin-chosen-pw" }, adminToken))).toBe("IC020");
    expect(code(await gql(api, RESET, { token: sha256("guess"), newPassword: "admin-chosen-pw" }, adminToken))).toBe("IC020");
    // The member's own password still works, and nothing the admin could set does.
    await login(api, member.email, "members-own-password");
    await expect(login(api, member.email, "admin-chosen-pw")).rejects.toThrow(/IC003/);
  });
});

describe("self-service credentials", () => {
  it("a reset link goes only to the address the login was made with, never to a look-alike that matches it", async () => {
    const { gym } = await gymWithAdmin();
    const victimEmail = `irene-${Date.now()}@mail.test`;
    await createGymUser({ role: "gym_admin", gym, email: victimEmail, password: "victims-own-password" });
    // "İ" (U+0130) lower-cases to "i" under the database's collation on some servers, so this
    // typed address can match the victim's login; the attacker controls its (look-alike) mailbox.
    const typed = victimEmail.replace(/^i/, "\u0130");
    const before = (await mailsTo(victimEmail)).length;
    expect((await gql(api, REQUEST_RESET, { email: typed })).data).toEqual({ requestPasswordReset: { result: true } });
    await deliverMail();
    // Nothing is ever sent to the typed look-alike …
    expect((await mailsTo(typed)).map((m) => m.file)).toEqual([]);
    // … and where the server folds it onto the victim's login, the link goes to the victim.
    const [{ folds }] = await rootQuery<{ folds: boolean }>("select $1::citext = $2::citext as folds", [typed, victimEmail]);
    expect((await mailsTo(victimEmail)).length).toBe(before + (folds ? 1 : 0));
  });

  it("password reset over HTTP: same answer for known, unknown, disabled and password-less; mail only for the known one", async () => {
    const { gym } = await gymWithAdmin();
    const known = await createGymUser({ role: "member", gym, email: email("known"), password: "old-password-1" });
    const disabled = await createGymUser({ role: "member", gym, email: email("disabled") });
    await rootQuery("update app_public.users set is_disabled = true where id = $1", [disabled.userId]);
    const passwordless = await createGymUser({ role: "member", gym, email: email("nopw"), password: null });
    const unknown = email("unknown");

    const answers = [];
    for (const address of [known.email, unknown, disabled.email]) {
      answers.push(await gql(api, REQUEST_RESET, { email: address }));
    }
    for (const a of answers)
      expect({ data: a.data, errors: a.errors, status: a.status }).toEqual({
        data: { requestPasswordReset: { result: true } },
        errors: undefined,
        status: 200,
      });
    await deliverMail();
    expect(await mailsTo(unknown)).toEqual([]);
    expect(await mailsTo(disabled.email)).toEqual([]);
    expect((await gql(api, REQUEST_RESET, { email: passwordless.email })).data).toEqual({
      requestPasswordReset: { result: true },
    });

    // Two live sessions; the reset ends both.
    const s1 = await login(api, known.email, "old-password-1");
    const s2 = await login(api, known.email, "old-password-1");
    const token = await latestToken(known.email);
    expect((await gql(api, RESET, { token, newPassword: "new-password-1" })).data).toEqual({ resetPassword: { result: true } });
    for (const s of [s1, s2]) expect((await gql(api, ME, {}, s)).status).toBe(401);
    await expect(login(api, known.email, "old-password-1")).rejects.toThrow(/IC003/);
    await login(api, known.email, "new-password-1");
    expect(code(await gql(api, RESET, { token, newPassword: "another-password" }))).toBe("IC020");
    // The reset table holds only hashes.
    expect(
      await rootQuery("select 1 from app_private.password_resets where encode(token_hash, 'hex') = $1", [sha256(token)]),
    ).toHaveLength(1);
  });

  it("requestPasswordReset takes comparable time for known and unknown addresses (median printed, not asserted)", async () => {
    const { gym } = await gymWithAdmin();
    const known = await createGymUser({ role: "member", gym, email: email("timing") });
    const time = async (address: string) => {
      const t0 = process.hrtime.bigint();
      await gql(api, REQUEST_RESET, { email: address });
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const k: number[] = [];
    const u: number[] = [];
    for (let i = 0; i < 15; i++) {
      k.push(await time(known.email));
      u.push(await time(email("nobody")));
    }
    const median = (xs: number[]) => xs.sort((p, q) => p - q)[Math.floor(xs.length / 2)]!;
    console.log(
      `requestPasswordReset median: known ${median(k).toFixed(2)} ms, unknown ${median(u).toFixed(2)} ms, ratio ${(median(k) / median(u)).toFixed(2)}`,
    );
  });

  it("changePassword needs the current password and ends every other session; logoutEverywhere ends them all", async () => {
    const person = await createGymUser({ role: "coach", email: email("change"), password: "first-password" });
    const here = await login(api, person.email, "first-password");
    const elsewhere = await login(api, person.email, "first-password");
    expect(code(await gql(api, CHANGE, { currentPassword: "wrong-password", newPassword: "second-password" }, here))).toBe(
      "IC003",
    );
    expect(code(await gql(api, CHANGE, { currentPassword: "first-password", newPassword: "short" }, here))).toBe("IC022");
    expect((await gql(api, CHANGE, { currentPassword: "first-password", newPassword: "second-password" }, here)).data).toEqual({
      changePassword: { result: true },
    });
    expect((await gql(api, ME, {}, here)).status).toBe(200);
    expect((await gql(api, ME, {}, elsewhere)).status).toBe(401);
    await expect(login(api, person.email, "first-password")).rejects.toThrow(/IC003/);
    const third = await login(api, person.email, "second-password");
    expect((await gql(api, "mutation { logoutEverywhere(input: {}) { result } }", {}, third)).data).toEqual({
      logoutEverywhere: { result: true },
    });
    for (const s of [here, third]) expect((await gql(api, ME, {}, s)).status).toBe(401);
    // Anonymous visitors have no password of their own to change: their schema has no changePassword.
    expect(code(await gql(api, CHANGE, { currentPassword: "x", newPassword: "second-password" }))).toBe(
      "GRAPHQL_VALIDATION_FAILED",
    );
  });
});

describe("account audit trail", () => {
  it("invite, accept, resend, revoke, role change and removal are recorded for the gym's admin only", async () => {
    const a = await gymWithAdmin();
    const b = await gymWithAdmin();
    const address = email("audited");
    const inv = await invite(a.adminToken, address, "MEMBER", "Audited");
    const token = await latestToken(address);
    await gql(api, ACCEPT, { token, password: "audited-password" });
    const other = await invite(a.adminToken, email("revoked"), "MEMBER", "Revoked");
    await gql(api, RESEND, { id: other.rowId }, a.adminToken);
    await gql(api, REVOKE, { id: other.rowId }, a.adminToken);
    const m = await rootQuery<{ id: string }>(
      "select id from app_public.memberships where tenant_id = $1 and display_name = 'Audited'",
      [a.gym.id],
    );
    const nodeId = (
      await gql(api, "{ memberships { nodes { id displayName } } }", {}, a.adminToken)
    ).data!.memberships.nodes.find((n: { displayName: string }) => n.displayName === "Audited").id;
    expect(
      (
        await gql(
          api,
          "mutation ($id: ID!) { updateMembershipById(input: { id: $id, patch: { role: COACH } }) { clientMutationId } }",
          { id: nodeId },
          a.adminToken,
        )
      ).errors,
    ).toBeUndefined();
    expect(
      (
        await gql(
          api,
          "mutation ($id: ID!) { deleteMembershipById(input: { id: $id }) { clientMutationId } }",
          { id: nodeId },
          a.adminToken,
        )
      ).errors,
    ).toBeUndefined();

    const events = await gql(
      api,
      "{ accountEvents(orderBy: OCCURRED_AT_ASC) { nodes { action actorRole membershipId invitationId email role previousRole } } }",
      {},
      a.adminToken,
    );
    const actions = (events.data!.accountEvents.nodes as { action: string; invitationId: string | null }[]).map((e) => e.action);
    expect(actions).toEqual([
      "membership_created", // the admin, bootstrapped
      "invitation_created",
      "membership_created",
      "invitation_accepted",
      "invitation_created",
      "invitation_resent",
      "invitation_revoked",
      "role_changed",
      "membership_removed",
    ]);
    expect(events.data!.accountEvents.nodes).toContainEqual(
      expect.objectContaining({
        action: "role_changed",
        actorRole: "gym_admin",
        membershipId: m[0]!.id,
        role: "COACH",
        previousRole: "MEMBER",
      }),
    );
    expect(events.data!.accountEvents.nodes).toContainEqual(
      expect.objectContaining({ action: "invitation_created", invitationId: inv.rowId }),
    );
    // Gym B sees none of it; a coach of A sees nothing at all; the trail cannot be rewritten.
    expect((await gql(api, "{ accountEvents { totalCount } }", {}, b.adminToken)).data!.accountEvents.totalCount).toBe(1);
    const coach = await createGymUser({ role: "coach", gym: a.gym });
    expect(code(await gql(api, "{ accountEvents { totalCount } }", {}, await login(api, coach.email)))).toBe(
      "GRAPHQL_VALIDATION_FAILED",
    );
    await expect(
      rootQuery("update app_public.account_events set role = 'gym_admin' where tenant_id = $1", [a.gym.id]),
    ).rejects.toMatchObject({ code: "IC030" });
    await expect(rootQuery("delete from app_public.account_events where tenant_id = $1", [a.gym.id])).rejects.toMatchObject({
      code: "IC030",
    });
  });
});
