import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import {
  docReferences,
  existsInTree,
  headingAnchors,
  layoutTable,
  pathInCodeSpan,
  readTree,
  REPO_ROOT,
  type DocReference,
} from "./support/doc-paths";

/**
 * The docs name files a newcomer will open: each named file must exist, and the README's
 * layout table must describe the tree as it is. A moved or deleted file fails here, not in the
 * head of the next person who looks for it.
 */

const tree = readTree();

function docsToCheck(): string[] {
  const docs = ["README.md", "CONTRIBUTING.md"];
  const inDir = (dir: string) =>
    readdirSync(path.join(REPO_ROOT, dir))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `${dir}/${name}`);
  return [...docs, ...inDir("docs"), ...inDir("docs/access")];
}

function allReferences(): DocReference[] {
  return docsToCheck().flatMap((doc) => docReferences(doc, readFileSync(path.join(REPO_ROOT, doc), "utf8"), tree.topLevel));
}

const where = (r: DocReference) => `${r.doc}:${r.line} ${r.written}`;

describe("paths the docs name", () => {
  const refs = allReferences();

  it("are read from every doc (README, CONTRIBUTING, docs/, docs/access/)", () => {
    const docs = new Set(refs.map((r) => r.doc));
    for (const doc of ["README.md", "CONTRIBUTING.md", "docs/CONVENTIONS.md", "docs/access/README.md"])
      expect(docs).toContain(doc);
    expect(refs.length).toBeGreaterThan(100);
  });

  it("are told apart from commands, settings and other names in backticks", () => {
    const top = tree.topLevel;
    expect(pathInCodeSpan("src/auth/", top)).toBe("src/auth/");
    expect(pathInCodeSpan("package.json", top)).toBe("package.json");
    expect(pathInCodeSpan("plugins-gone/limits.ts", top)).toBe("plugins-gone/limits.ts");
    expect(pathInCodeSpan("docs/access/<schema>.<table>.md", top)).toBe("docs/access/*.*.md");
    for (const notAPath of [
      "npm run db:dump",
      "application/json",
      ".data/mail/",
      "DATA_DIR/secrets.json",
      "/graphql",
      "app_public.gyms",
    ]) {
      expect(pathInCodeSpan(notAPath, top)).toBeNull();
    }
    expect(existsInTree("docs/access/*.*.md", tree)).toBe(true);
    expect(existsInTree("src/auth/", tree)).toBe(true);
    expect(existsInTree("src/config.ts/", tree)).toBe(false);
    expect(existsInTree("src/no-such-file.ts", tree)).toBe(false);
    expect(
      headingAnchors(
        "# Ironclad\n## Accounts: invitations and self-service credentials\n```\n# not a heading\n```\n## `src/` layout",
      ),
    ).toEqual(new Set(["ironclad", "accounts-invitations-and-self-service-credentials", "src-layout"]));
  });

  it("all exist", () => {
    const missing = refs.filter((r) => !existsInTree(r.target, tree)).map(where);
    expect(missing).toEqual([]);
  });

  it("link to headings that exist", () => {
    const linked = refs.filter((r) => r.anchor && r.target.endsWith(".md") && existsInTree(r.target, tree));
    expect(linked.length).toBeGreaterThan(0);
    const broken = linked.filter((r) => !headingAnchors(readFileSync(path.join(REPO_ROOT, r.target), "utf8")).has(r.anchor!));
    expect(broken.map(where)).toEqual([]);
  });
});

describe("the README's layout table", () => {
  const rows = layoutTable(readFileSync(path.join(REPO_ROOT, "README.md"), "utf8"), tree.topLevel);
  const listed = rows.flatMap((r) => r.paths.map((p) => p.replace(/\/+$/, "")));

  it("is found", () => {
    expect(rows.length).toBeGreaterThan(3);
  });

  it("names only paths that exist", () => {
    const missing = rows.flatMap((r) =>
      [...r.paths, ...r.mentioned].filter((p) => !existsInTree(p, tree)).map((p) => `README.md:${r.line} ${p}`),
    );
    expect(missing).toEqual([]);
  });

  it("lists every top-level directory and every folder of src/", () => {
    const isListed = (dir: string) => listed.some((p) => p === dir || p.startsWith(`${dir}/`));
    const dirs = [...tree.dirs].filter((d) => !d.includes("/") || /^src\/[^/]+$/.test(d));
    expect(dirs.filter((d) => !isListed(d)).sort()).toEqual([]);
  });
});
