/**
 * A person at Ruru (GraphiQL) in headless Chromium, driven by puppeteer-core: log in with the
 * `authenticate` mutation typed into the operation editor, read the token off the result pane,
 * put `{"Authorization": "Bearer …"}` into the headers editor, run a query, and report what
 * the screen showed.
 *
 * Runs as its own Node process (`browse` in ./graphiql-session.ts spawns it): puppeteer-core is
 * an ES module, which jest's module sandbox cannot load. The input is one JSON `SessionInput`
 * argument; the answer is one stdout line, `IRONCLAD_GRAPHIQL_REPORT <json SessionReport>`. A
 * step that does not happen in time fails the process with what the result pane showed and a
 * screenshot of the page at that moment.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import puppeteer, { type Page } from "puppeteer-core";
import {
  REPORT_PREFIX,
  VIEWPORT,
  squeeze,
  type GraphqlExchange,
  type SessionInput,
  type SessionReport,
} from "./graphiql-session";

/** Ruru's Monaco editors are told apart by their model's URI: `…-operation.graphql` and so on. */
const EDITOR = {
  operation: '.monaco-editor[data-uri$="-operation.graphql"]',
  headers: '.monaco-editor[data-uri$="-request-headers.json"]',
  response: '.monaco-editor[data-uri$="-response.json"]',
};

/** The text an editor shows: its rendered lines in screen order (Monaco reuses line nodes out of order). */
async function shownText(page: Page, editor: string): Promise<string> {
  return page.$eval(editor, (root) =>
    [...root.querySelectorAll(".view-line")]
      .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
      .map((line) => (line.textContent ?? "").replace(/\u00a0/g, " "))
      .join("\n"),
  );
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Click into an editor, select everything, and type `text` over it as one input event. */
async function typeInto(page: Page, editor: string, text: string, timeoutMs: number): Promise<void> {
  const lines = await page.waitForSelector(`${editor} .view-lines`, { visible: true, timeout: timeoutMs });
  await lines!.click();
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  // One insertText event, not keystrokes: Monaco's auto-closing brackets and quotes apply to
  // single typed characters only, so the editor ends up holding exactly `text`.
  await page.keyboard.sendCharacter(text);
  await until(`the editor to show ${JSON.stringify(text)}`, timeoutMs, async () =>
    squeeze(await shownText(page, editor)) === squeeze(text) ? true : undefined,
  );
}

/** Press the run button and wait for the result pane to show a new answer containing `expected`. */
async function run(page: Page, expected: string, timeoutMs: number): Promise<string> {
  const before = await shownText(page, EDITOR.response);
  await page.click(".graphiql-execute-button");
  return until(`the result pane to show ${JSON.stringify(expected)}`, timeoutMs, async () => {
    const now = await shownText(page, EDITOR.response);
    return now !== before && squeeze(now).includes(squeeze(expected)) ? now : undefined;
  });
}

export async function memberSession(input: SessionInput): Promise<SessionReport> {
  const timeout = input.stepTimeoutMs;
  mkdirSync(input.screenshotDir, { recursive: true });
  const browser = await puppeteer.launch({
    executablePath: input.chromium,
    headless: true,
    // Chromium refuses to start as root with its sandbox on (CI containers run as root); the
    // page is this API's own GraphiQL. /dev/shm is small in many containers.
    args: [...(process.getuid?.() === 0 ? ["--no-sandbox"] : []), "--disable-dev-shm-usage"],
  });
  const pageErrors: string[] = [];
  const exchanges: GraphqlExchange[] = [];
  const page = await browser.newPage();
  try {
    page.setDefaultTimeout(timeout);
    page.on("pageerror", (error) => pageErrors.push(error instanceof Error ? error.message : String(error)));
    page.on("response", (response) => {
      const request = response.request();
      if (request.method() !== "POST" || new URL(response.url()).pathname !== "/graphql") return;
      let query = "";
      try {
        query = String((JSON.parse(request.postData() ?? "{}") as { query?: unknown }).query ?? "");
      } catch {
        query = `(not JSON) ${request.postData() ?? ""}`;
      }
      exchanges.push({
        status: response.status(),
        authorization: request.headers().authorization ?? null,
        query: query.slice(0, 200),
      });
    });
    await page.setViewport(VIEWPORT);
    const loaded = await page.goto(input.graphiqlUrl, { waitUntil: "load" });
    if (!loaded?.ok()) throw new Error(`GET ${input.graphiqlUrl} answered ${loaded?.status()}`);
    const title = await page.title();

    // Log in as the person would: the mutation from the README, typed into the operation editor.
    const login = `mutation { authenticate(input: { email: ${JSON.stringify(input.email)}, password: ${JSON.stringify(input.password)} }) { jwtToken } }`;
    await typeInto(page, EDITOR.operation, login, timeout);
    const loginResponse = await run(page, '"jwtToken": "ey', timeout);
    const token = /"jwtToken":"([\w-]+\.[\w-]+\.[\w-]+)"/.exec(squeeze(loginResponse))?.[1];
    if (!token) throw new Error(`no token in the result pane:\n${loginResponse}`);

    // The query without a header first: the same editor, answered from the anonymous visitor's
    // schema, which has no gyms or results: a validation error, nothing runs.
    await typeInto(page, EDITOR.operation, input.query, timeout);
    const anonymousResponse = await run(page, '"GRAPHQL_VALIDATION_FAILED"', timeout);

    // The headers tab, then the header, then the same query again.
    await page.click('.graphiql-editor-tools button[data-name="headers"]');
    await until("the headers editor to open", timeout, async () => {
      const box = await (await page.$(EDITOR.headers))?.boundingBox();
      return box && box.height > 30 && box.x >= 0 ? true : undefined;
    });
    await typeInto(page, EDITOR.headers, JSON.stringify({ Authorization: `Bearer ${token}` }), timeout);
    const headers = await shownText(page, EDITOR.headers);
    const memberResponse = await run(page, '"myRole": "member"', timeout);

    const screenshot = path.join(input.screenshotDir, `graphiql-member-${Date.now()}.png`);
    await page.screenshot({ path: screenshot as `${string}.png` });
    return { title, loginResponse, token, anonymousResponse, headers, memberResponse, screenshot, exchanges, pageErrors };
  } catch (error) {
    const screenshot = path.join(input.screenshotDir, `graphiql-failure-${Date.now()}.png`);
    await page.screenshot({ path: screenshot as `${string}.png` }).catch(() => undefined);
    const shown = await shownText(page, EDITOR.response).catch(() => "(no result pane)");
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\nresult pane:\n${shown}\npage errors: ${JSON.stringify(pageErrors)}\nscreenshot: ${screenshot}`,
    );
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  memberSession(JSON.parse(process.argv[2] ?? "{}") as SessionInput).then(
    (report) => {
      process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
