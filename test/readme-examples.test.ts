import { readFileSync } from "node:fs";
import path from "node:path";
import type { RunningApi } from "../src/server";
import { gql, login, startTestApi } from "./support/api";

/**
 * The README's per-role examples are a promise to a new user: each `# as <login>: …` segment
 * of its graphql blocks must run as that login without errors and return data.
 */
function readmeExamples(): { runAs: string; title: string; document: string }[] {
  const readme = readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
  const examples: { runAs: string; title: string; document: string }[] = [];
  for (const block of readme.matchAll(/```graphql\n([\s\S]*?)```/g)) {
    const segments = block[1]!.split(/^(?=# as )/m).filter((s) => s.startsWith("# as "));
    for (const segment of segments) {
      const header = /^# as (\S+): (.*)$/m.exec(segment)!;
      examples.push({ runAs: header[1]!, title: header[2]!, document: segment.replace(/^#.*$/gm, "").trim() });
    }
  }
  return examples;
}

describe("README examples run as the login they name", () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  const examples = readmeExamples();
  it("the README has per-role examples", () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(examples.map((e) => [e.runAs, e.title, e]))("as %s: %s", async (runAs, _title, example) => {
    const token = runAs === "anonymous" ? undefined : await login(api, runAs as string);
    const res = await gql(api, (example as { document: string }).document, {}, token);
    expect(res.errors).toBeUndefined();
    expect(res.data).toBeTruthy();
    for (const value of Object.values(res.data!)) expect(value).not.toBeNull();
  });
});
