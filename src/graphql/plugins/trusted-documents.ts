import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

/**
 * Trusted (persisted) documents. The allowlist file is JSON, either
 *   - an array of GraphQL documents, or
 *   - an object `{ "<id>": "<document>", … }` (e.g. the manifest a client build emits, keyed
 *     by its own ids or by sha256 hashes).
 * Every document is also reachable by the hex sha256 of its text. A request is accepted when it
 * names a listed id/hash (`documentId`, `id`, or `extensions.persistedQuery.sha256Hash`) or
 * sends the exact text of a listed document.
 */
export interface TrustedDocuments {
  /** id or sha256 → document text */
  byId: Map<string, string>;
  /** sha256 of every listed document */
  hashes: Set<string>;
}

export function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function loadTrustedDocuments(file: string): TrustedDocuments {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`TRUSTED_DOCUMENTS: cannot read ${file}: ${(error as Error).message}`);
  }
  const entries: [string | null, string][] = Array.isArray(parsed)
    ? parsed.map((d) => [null, d])
    : parsed && typeof parsed === "object"
      ? Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, v as string])
      : [];
  if (entries.length === 0 && !Array.isArray(parsed)) {
    throw new Error(`TRUSTED_DOCUMENTS: ${file} must hold a JSON array of documents or an object of id → document`);
  }
  const byId = new Map<string, string>();
  const hashes = new Set<string>();
  for (const [id, doc] of entries) {
    if (typeof doc !== "string") throw new Error(`TRUSTED_DOCUMENTS: every entry of ${file} must be a string`);
    const hash = sha256(doc);
    hashes.add(hash);
    byId.set(hash, doc);
    if (id !== null) byId.set(id, doc);
  }
  return { byId, hashes };
}

/** The document a request may run, or null if it is not trusted. */
export function resolveTrusted(
  trusted: TrustedDocuments,
  body: { id: unknown; documentId: unknown; query: unknown; extensions: unknown },
): string | null {
  const ext = body.extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined;
  const ref = [body.documentId, body.id, ext?.persistedQuery?.sha256Hash].find((v) => typeof v === "string") as
    string | undefined;
  if (ref !== undefined) {
    const doc = trusted.byId.get(ref);
    if (doc === undefined) return null;
    if (typeof body.query === "string" && body.query !== "" && body.query !== doc) return null;
    return doc;
  }
  if (typeof body.query === "string" && trusted.hashes.has(sha256(body.query))) return body.query;
  return null;
}
