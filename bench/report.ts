/** bench/results.json (everything) and the generated section of bench/RESULTS.md (the tables). */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LoadFigures } from "./http";
import type { LeaderboardFigures } from "./sql-scenarios";
import { ms, type Comparison, type Summary } from "./stats";
import type { SeedRecord } from "./target";

export interface BenchReport {
  at: string;
  quick: boolean;
  machine: Record<string, string>;
  seed: SeedRecord | null;
  comparisons: Comparison[];
  http: LoadFigures[];
  leaderboards?: LeaderboardFigures;
  login?: {
    rps: number;
    latency: Summary;
    non2xx: number;
    connections: number;
    bcryptCost: number;
    verifyTokenMicros: number;
    cachedVerifyMicros?: number;
  };
  notes: string[];
}

const START = "<!-- bench:generated:start -->";
const END = "<!-- bench:generated:end -->";

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join(
    "\n",
  );
}

const lat = (s: Summary) => `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.p99)}`;
const verdict = (c: Comparison) => (c.goal.startsWith("(") ? "–" : c.met ? "met" : "**missed**");

export function renderMarkdown(r: BenchReport): string {
  const out: string[] = [];
  const seed = r.seed;
  out.push(`## ${seed?.preset ?? "?"} preset — ${r.at.slice(0, 16).replace("T", " ")} UTC${r.quick ? " (--quick)" : ""}`);
  out.push("");
  out.push(
    Object.entries(r.machine)
      .map(([k, v]) => `${k}: ${v}`)
      .join("; ") + ".",
  );
  if (seed) {
    out.push("");
    out.push(
      `Data: ${seed.options.gyms} gyms, ${Object.entries(seed.counts)
        .map(([t, n]) => `${n.toLocaleString("en")} ${t}`)
        .join(", ")}; ` + `seeded in ${seed.seconds} s.`,
    );
  }
  const groups: [string, string][] = [
    [
      "rls-cost",
      "RLS cost per role (A = visitor role under RLS, B = superuser with explicit WHERE; ratio = B median / A median)",
    ],
    [
      "gym-among-many",
      "One gym among many (A = in the full platform, B = the same-shaped gym alone; ratio = B median / A median)",
    ],
  ];
  for (const [scenario, title] of groups) {
    const cs = r.comparisons.filter((c) => c.scenario === scenario);
    if (!cs.length) continue;
    out.push("", `### ${title}`, "");
    out.push(
      table(
        ["query", "A p50 / p95 / p99 ms", "B p50 / p95 / p99 ms", "ratio", "goal", ""],
        cs.map((c) => [c.name, lat(c.aSummary), lat(c.bSummary), c.notes ? c.notes : c.ratio.toFixed(2), c.goal, verdict(c)]),
      ),
    );
    for (const c of cs.filter((x) => x.explain)) {
      out.push(
        "",
        `<details><summary>EXPLAIN (ANALYZE, BUFFERS) — ${c.name}</summary>`,
        "",
        "```",
        c.explain!.split("\n").slice(0, 40).join("\n"),
        "```",
        "</details>",
      );
    }
  }
  const api = r.comparisons.filter((c) => c.scenario === "api-vs-floor");
  if (api.length) {
    out.push("", "### API vs floor (50 connections, tokens of 40 gyms; median of interleaved rounds)", "");
    out.push(
      table(
        ["operation — server", "throughput ratio", "figures", "goal", ""],
        api.map((c) => [c.name, c.ratio.toFixed(2), c.notes ?? "", c.goal, verdict(c)]),
      ),
    );
    out.push(
      "",
      "Every round (server process: GC pauses and event-loop delay during the round; CPU per request: the server process's own and the database server's, user + system):",
      "",
    );
    out.push(
      table(
        [
          "op",
          "server",
          "req/s",
          "p50 / p95 / p99 / max ms",
          "GC count / total / max ms",
          "loop delay p99 / max ms",
          "CPU ms/request server / database",
          "errors",
        ],
        r.http.map((f) => [
          f.op,
          f.server,
          f.rps,
          `${lat(f.latency)} / ${ms(f.latency.max)}`,
          `${f.process.gcCount} / ${f.process.gcTotalMs} / ${f.process.gcMaxMs}`,
          `${f.process.loopDelayP99Ms} / ${f.process.loopDelayMaxMs}`,
          `${perRequest(f.process.cpuMs, f)} / ${perRequest(f.dbCpuMs, f)}`,
          f.errors + f.non2xx + f.graphqlErrors,
        ]),
      ),
    );
  }
  if (r.leaderboards) {
    const l = r.leaderboards;
    out.push("", "### Leaderboards", "");
    out.push(
      table(
        ["what", "p50 / p95 / p99 ms", "goal", ""],
        [
          ["network top-100 (fran, Rx, all time)", lat(l.network), "p99 < 5 ms", l.network.p99 < 5 ? "met" : "**missed**"],
          ["gym top-100 (largest gym's Fran)", lat(l.gym), "p99 < 5 ms", l.gym.p99 < 5 ? "met" : "**missed**"],
          ...(l.write ? [["log one Fran result (INSERT + both boards' triggers)", lat(l.write), "—", ""]] : []),
          ...(l.memberRecompute
            ? [["recompute one member's network bests (delete of a best, opt-in change)", lat(l.memberRecompute), "—", ""]]
            : []),
        ],
      ),
    );
    out.push(
      "",
      l.write
        ? `Result → leaderboard lag: 0 (the triggers update both boards in the writing transaction; no refresh job). ` +
            `Cost per change: one upsert per board, or a recompute of that member (table above) — proportional to what changed, **met**. ` +
            `Full repair (daily, or after a bulk load): network ${l.refreshMs.join(", ")} ms, gym ${l.gymRebuildMs} ms, with ${l.totalResults.toLocaleString("en")} results ` +
            `(${l.benchmarkResults.toLocaleString("en")} on benchmark workouts, ${l.networkRows.toLocaleString("en")} rows in network_best_all_time, ` +
            `${(l.gymBestRows ?? 0).toLocaleString("en")} in workout_bests).`
        : `Full refresh (both views): ${l.refreshMs.join(", ")} ms with ${l.totalResults.toLocaleString("en")} results ` +
            `(${l.benchmarkResults.toLocaleString("en")} on benchmark workouts, ${l.networkRows.toLocaleString("en")} rows in network_best_all_time). ` +
            `Goal: cost proportional to what changed — **missed** by design (every refresh rebuilds both views).`,
    );
    out.push(
      "",
      "<details><summary>EXPLAIN network top-100</summary>",
      "",
      "```",
      l.networkExplain.split("\n").slice(0, 30).join("\n"),
      "```",
      "</details>",
    );
    out.push(
      "",
      "<details><summary>EXPLAIN gym top-100</summary>",
      "",
      "```",
      l.gymExplain.split("\n").slice(0, 30).join("\n"),
      "```",
      "</details>",
    );
  }
  if (r.login) {
    out.push("", "### Login", "");
    out.push(
      `authenticate (bcrypt cost ${r.login.bcryptCost}, ${r.login.connections} connections): ${r.login.rps} logins/s, ` +
        `p50 / p95 / p99 ${lat(r.login.latency)} ms, ${r.login.non2xx} non-2xx. Token verification (verifyToken, HS256): ${r.login.verifyTokenMicros} µs per request${r.login.cachedVerifyMicros === undefined ? "" : `; from the verified-token cache: ${r.login.cachedVerifyMicros} µs`}.`,
    );
  }
  for (const n of r.notes) out.push("", n);
  return out.join("\n");
}

/** A partial run (`--only`, `--ops`) replaces only the scenarios it ran. */
function mergeWithPrevious(old: BenchReport | undefined, r: BenchReport): BenchReport {
  if (!old) return r;
  const ran = new Set(r.comparisons.map((c) => c.scenario));
  return {
    ...r,
    comparisons: [...old.comparisons.filter((c) => !ran.has(c.scenario)), ...r.comparisons],
    http: r.http.length ? r.http : old.http,
    // A run without the full repairs (--no-repair) keeps the last measured repair figures.
    leaderboards:
      r.leaderboards && r.leaderboards.gymRebuildMs === undefined && old.leaderboards
        ? {
            ...r.leaderboards,
            refreshMs: old.leaderboards.refreshMs,
            gymRebuildMs: old.leaderboards.gymRebuildMs,
            gymBestRows: old.leaderboards.gymBestRows,
          }
        : (r.leaderboards ?? old.leaderboards),
    login: r.login ?? old.login,
  };
}

/** CPU ms per request of a round ("–" where not measured: older rounds, a remote server). */
export function perRequest(cpuMs: number | null | undefined, f: { requests?: number }): string {
  if (cpuMs === null || cpuMs === undefined || !f.requests) return "–";
  return (cpuMs / f.requests).toFixed(2);
}

export async function writeReport(r: BenchReport, dir = __dirname): Promise<void> {
  const preset = r.seed?.preset ?? "unknown";
  const jsonFile = path.join(dir, "results.json");
  const all = await readFile(jsonFile, "utf8")
    .then((t) => JSON.parse(t) as Record<string, BenchReport>)
    .catch(() => ({}) as Record<string, BenchReport>);
  all[preset] = mergeWithPrevious(all[preset], r);
  await writeFile(jsonFile, JSON.stringify(all, null, 2) + "\n");

  const mdFile = path.join(dir, "RESULTS.md");
  const md = await readFile(mdFile, "utf8").catch(() => "# Measured figures\n");
  const sections = Object.values(all)
    .sort((a, b) => (a.seed?.preset ?? "").localeCompare(b.seed?.preset ?? ""))
    .map(renderMarkdown)
    .join("\n\n");
  const generated = `${START}\n<!-- written by \`npm run bench\`; edit the text outside these markers -->\n\n${sections}\n\n${END}`;
  const next = md.includes(START)
    ? md.replace(new RegExp(`${START}[\\s\\S]*${END}`), generated)
    : `${md.trimEnd()}\n\n${generated}\n`;
  await writeFile(mdFile, next);
}
