#!/usr/bin/env node
// Re-baselining v1 (nothing deployed yet): after editing a committed migration in place,
// rewrite the `--! Previous:` / `--! Hash:` headers of every committed migration in order, the
// way graphile-migrate computes them (sha1 over the previous hash and the trimmed body), so the
// chain verifies again. Never use this on migrations that have been applied anywhere that matters.
"use strict";
const { createHash } = require("node:crypto");
const { readdirSync, readFileSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const dir = path.join(__dirname, "..", "migrations", "committed");
let previous = null;
for (const file of readdirSync(dir)
  .filter((f) => /^\d+.*\.sql$/.test(f))
  .sort()) {
  const full = path.join(dir, file);
  const lines = readFileSync(full, "utf8").split("\n");
  const headers = [];
  while (/^--! [A-Z]/.test(lines[0] ?? "")) headers.push(lines.shift());
  const body = lines.join("\n").trim() + "\n";
  const hash =
    "sha1:" +
    createHash("sha1")
      .update(((previous ?? "") + "\n" + body.trim()).trim() + "\n")
      .digest("hex");
  const kept = headers.filter((h) => !/^--! (Previous|Hash):/.test(h));
  const out = [`--! Previous: ${previous ?? "-"}`, `--! Hash: ${hash}`, ...kept, "", body].join("\n");
  writeFileSync(full, out);
  console.log(`${file}: ${hash}`);
  previous = hash;
}
