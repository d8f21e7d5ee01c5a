import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * What the docs say about the repository's files, read from their Markdown: every path in an
 * inline code span (`src/auth/`) or a link target, and the README's layout table. Used by
 * test/docs.test.ts to hold the docs to the tree.
 */

export const REPO_ROOT = path.resolve(__dirname, "../..");

export interface RepoTree {
  /** Every file, repo-relative with `/` separators. */
  files: Set<string>;
  /** Every directory, repo-relative, without a trailing `/`. */
  dirs: Set<string>;
  /** Names of the top-level files and directories. */
  topLevel: Set<string>;
}

/** The tree as a fresh clone has it: no `.git`, and nothing .gitignore names (node_modules, .data …). */
export function readTree(root = REPO_ROOT): RepoTree {
  const ignored = new Set([".git"]);
  for (const line of readFileSync(path.join(root, ".gitignore"), "utf8").split("\n")) {
    const name = line.trim().replace(/\/$/, "");
    if (name && !name.startsWith("#") && !name.includes("*")) ignored.add(name);
  }
  const tree: RepoTree = { files: new Set(), dirs: new Set(), topLevel: new Set() };
  const walk = (dir: string) => {
    for (const entry of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      if (dir === "" && ignored.has(entry.name)) continue;
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (dir === "") tree.topLevel.add(entry.name);
      if (entry.isDirectory()) {
        tree.dirs.add(rel);
        walk(rel);
      } else {
        tree.files.add(rel);
      }
    }
  };
  walk("");
  return tree;
}

export interface DocReference {
  /** The doc, repo-relative. */
  doc: string;
  line: number;
  /** The repo-relative path (or glob) the doc names. */
  target: string;
  /** As written in the doc. */
  written: string;
  /** The `#fragment` of a link, naming a heading of the target doc. */
  anchor?: string;
}

const FILE_EXTENSION = /\.(ts|js|cjs|mjs|sql|md|json|graphql)$/;

/**
 * The repo path an inline code span names, or null when it is no path of ours (a command, a
 * setting, `application/json`, `.data/mail/`, `DATA_DIR/backups/` …). A path names a top-level
 * file or directory first (`src/auth`, `schema.graphql`), or has a directory and a known
 * extension: `plugins/limits.ts` must exist even if `plugins/` is gone, so docs write paths
 * from the repository root. `<placeholder>` and `…` parts
 * become globs: `docs/access/<schema>.<table>.md` → `docs/access/*.*.md`.
 */
export function pathInCodeSpan(span: string, topLevel: Set<string>): string | null {
  if (/\s|^[a-z]+:/i.test(span) || span.startsWith("/")) return null;
  const target = span.replace(/<[^>]*>|…/g, "*");
  const [first] = target.split("/");
  if (topLevel.has(first!)) return target;
  if (/^[A-Z][A-Z0-9_]*$/.test(first!)) return null; // under a setting: `DATA_DIR/secrets.json`
  if (target.includes("/") && FILE_EXTENSION.test(target)) return target;
  return null;
}

/** Lines outside fenced code blocks, numbered from 1. */
function proseLines(markdown: string): Array<[number, string]> {
  const lines: Array<[number, string]> = [];
  let fenced = false;
  markdown.split("\n").forEach((text, i) => {
    if (/^\s*(```|~~~)/.test(text)) fenced = !fenced;
    else if (!fenced) lines.push([i + 1, text]);
  });
  return lines;
}

/** Every repo path a doc names in an inline code span or as a relative link target. */
export function docReferences(doc: string, markdown: string, topLevel: Set<string>): DocReference[] {
  const refs: DocReference[] = [];
  for (const [line, text] of proseLines(markdown)) {
    for (const [written, span] of text.matchAll(/`([^`]+)`/g)) {
      const target = pathInCodeSpan(span!, topLevel);
      if (target) refs.push({ doc, line, target, written });
    }
    const withoutCode = text.replace(/`[^`]*`/g, "``");
    for (const [written, href] of withoutCode.matchAll(/\]\(([^)\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/i.test(href!)) continue;
      const [file, anchor] = href!.split("#");
      const target = file ? path.posix.normalize(path.posix.join(path.posix.dirname(doc), file)) : doc;
      refs.push({ doc, line, target, written: written!, ...(anchor ? { anchor } : {}) });
    }
  }
  return refs;
}

/** The `#fragment`s a Markdown file's headings get on GitHub: `## Accounts: invitations` → `accounts-invitations`. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, text] of proseLines(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!heading) continue;
    const slug = heading[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n ? `${slug}-${n}` : slug);
  }
  return anchors;
}

function globPattern(glob: string): RegExp {
  const source = glob
    .split(/(\*\*\/?|\*)/)
    .map((part) => (part.startsWith("**") ? "(?:.*/)?" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")))
    .join("");
  return new RegExp(`^${source}$`);
}

/** Whether a path (a directory if it ends in `/`, a glob if it contains `*`) exists in the tree. */
export function existsInTree(target: string, tree: RepoTree): boolean {
  const wantsDir = target.endsWith("/");
  const bare = target.replace(/\/+$/, "");
  const candidates = wantsDir ? tree.dirs : new Set([...tree.files, ...tree.dirs]);
  if (!bare.includes("*")) return candidates.has(bare) || (bare === "." && wantsDir);
  const pattern = globPattern(bare);
  return [...candidates].some((p) => pattern.test(p));
}

export interface LayoutRow {
  line: number;
  /** The paths of the first column, repo-relative as written (`src/auth/`). */
  paths: string[];
  /** Paths the description names (`current/…`, `crontab.ts`), resolved against the row's directory. */
  mentioned: string[];
}

/** The table that follows the README's `**Layout.**` line. Empty when there is none. */
export function layoutTable(readme: string, topLevel: Set<string>): LayoutRow[] {
  const lines = readme.split("\n");
  const start = lines.findIndex((l) => /^\*\*Layout\.?\*\*/.test(l.trim()));
  if (start < 0) return [];
  let i = start + 1;
  while (i < lines.length && !lines[i]!.startsWith("|")) i++;
  const rows: LayoutRow[] = [];
  for (i += 2; i < lines.length && lines[i]!.startsWith("|"); i++) {
    const cells = lines[i]!.split(/(?<!\\)\|/).slice(1, -1);
    const spans = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    const paths = spans(cells[0] ?? "");
    const base = paths.length === 1 && paths[0]!.endsWith("/") ? paths[0]! : "";
    const mentioned = spans(cells[1] ?? "")
      .filter((s) => !/\s/.test(s) && (s.endsWith("/") || FILE_EXTENSION.test(s)))
      .map((s) => (pathInCodeSpan(s, topLevel) ?? base + s).replace(/<[^>]*>|…/g, "*"));
    rows.push({ line: i + 1, paths, mentioned });
  }
  return rows;
}
