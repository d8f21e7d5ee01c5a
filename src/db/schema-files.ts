/**
 * The generated schema files on disk (migrations/schema.sql, docs/access/*.md): write them,
 * or say which committed ones differ from a fresh generation and where.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ACCESS_DIR, DUMP_COMMAND } from "./schema-dump";

export const REPO_ROOT = path.resolve(__dirname, "../..");

/** Paths (relative to the root) of the generated files committed today. */
function committedPaths(root: string): string[] {
  const dir = path.join(root, ACCESS_DIR);
  const pages = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".md"))
        .map((f) => `${ACCESS_DIR}/${f}`)
    : [];
  return pages;
}

/** Write every generated file and remove access pages of tables that no longer exist. */
export function writeSchemaFiles(files: Map<string, string>, root = REPO_ROOT): { written: number; removed: string[] } {
  const removed = committedPaths(root).filter((p) => !files.has(p));
  for (const p of removed) rmSync(path.join(root, p));
  for (const [p, content] of files) writeFileSync(path.join(root, p), content);
  return { written: files.size, removed };
}

export interface StaleFile {
  path: string;
  problem: "missing" | "differs" | "no longer generated";
  /** For "differs": the first differing line, committed vs generated. */
  line?: { number: number; committed: string; generated: string };
}

/** Committed files that are not exactly what was just generated. Empty when everything is up to date. */
export function staleSchemaFiles(files: Map<string, string>, root = REPO_ROOT): StaleFile[] {
  const stale: StaleFile[] = [];
  for (const [p, generated] of files) {
    const full = path.join(root, p);
    if (!existsSync(full)) {
      stale.push({ path: p, problem: "missing" });
      continue;
    }
    const committed = readFileSync(full, "utf8");
    if (committed === generated) continue;
    const a = committed.split("\n");
    const b = generated.split("\n");
    let i = 0;
    while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
    stale.push({
      path: p,
      problem: "differs",
      line: { number: i + 1, committed: a[i] ?? "<end of file>", generated: b[i] ?? "<end of file>" },
    });
  }
  for (const p of committedPaths(root)) if (!files.has(p)) stale.push({ path: p, problem: "no longer generated" });
  return stale;
}

/** A report a developer can act on: which files, the first difference in each, and the command to run. */
export function formatStale(stale: StaleFile[]): string {
  const lines = stale.map((s) =>
    s.line
      ? `  ${s.path}: differs from line ${s.line.number}\n      committed: ${s.line.committed}\n      generated: ${s.line.generated}`
      : `  ${s.path}: ${s.problem}`,
  );
  return (
    `The generated schema files are stale (${stale.length} file${stale.length === 1 ? "" : "s"}):\n${lines.join("\n")}\n` +
    `Run \`${DUMP_COMMAND}\` and commit the result (git diff shows what the migrations changed).`
  );
}
