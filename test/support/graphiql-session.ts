import { spawn } from "node:child_process";
import path from "node:path";

/**
 * The contract between test/graphiql-browser.test.ts and its browser driver
 * (test/support/graphiql-browser.ts), and the spawning of that driver. Nothing here loads
 * puppeteer-core: it is an ES module, which jest's module sandbox cannot load, so the driver
 * runs in its own Node process and answers with one report line.
 */

export interface SessionInput {
  /** the API's /graphiql URL */
  graphiqlUrl: string;
  /** the Chromium binary (test/support/chromium.ts) */
  chromium: string;
  email: string;
  password: string;
  /** typed into the operation editor, run once before and once after the header is set */
  query: string;
  /** where the screenshots go */
  screenshotDir: string;
  /** per step, for a loaded machine */
  stepTimeoutMs: number;
}

export interface GraphqlExchange {
  status: number;
  /** the Authorization header GraphiQL sent, or null */
  authorization: string | null;
  /** the operation text it sent (its first 200 characters) */
  query: string;
}

export interface SessionReport {
  title: string;
  /** the result pane after the login mutation */
  loginResponse: string;
  /** the token read off that pane */
  token: string;
  /** the result pane after running `query` before any header was set */
  anonymousResponse: string;
  /** the headers editor as shown */
  headers: string;
  /** the result pane after running `query` with the header */
  memberResponse: string;
  /** the page once the member's answer is shown (a PNG of VIEWPORT's size) */
  screenshot: string;
  /** every POST to /graphql the page made, in order (introspection included) */
  exchanges: GraphqlExchange[];
  /** uncaught exceptions in the page */
  pageErrors: string[];
}

export const REPORT_PREFIX = "IRONCLAD_GRAPHIQL_REPORT ";

/** Tall enough that every line of the answers is rendered (Monaco renders the visible lines only). */
export const VIEWPORT = { width: 1400, height: 900 };

/** Wrapped lines and indentation aside: what is left to compare of an editor's text. */
export function squeeze(text: string): string {
  return text.replace(/\s+/g, "");
}

/** Run the browser session in its own process: its report, or its error with what the page showed. */
export async function browse(input: SessionInput, timeoutMs: number): Promise<SessionReport> {
  const driver = path.join(__dirname, "graphiql-browser.ts");
  const child = spawn(process.execPath, ["--import", "tsx", driver, JSON.stringify(input)], {
    cwd: path.resolve(__dirname, "../.."),
    env: process.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // SIGTERM first: puppeteer closes its Chromium on it; a driver that hangs on is killed outright.
  let killer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    child.kill("SIGTERM");
    killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  clearTimeout(killer);
  const line = stdout.split("\n").find((l) => l.startsWith(REPORT_PREFIX));
  if (code !== 0 || !line)
    throw new Error(`browser session failed (exit ${code ?? `killed after ${timeoutMs} ms`}):\n${stderr}${stdout}`);
  return JSON.parse(line.slice(REPORT_PREFIX.length)) as SessionReport;
}
