/** Latency summaries and side-by-side verdicts shared by every scenario. */
export interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    p50: r(percentile(s, 50)),
    p95: r(percentile(s, 95)),
    p99: r(percentile(s, 99)),
    max: r(s[s.length - 1] ?? NaN),
  };
}

export interface Comparison {
  scenario: string;
  name: string;
  /** What A and B are, e.g. "RLS as coach" vs "superuser, explicit WHERE". */
  a: string;
  b: string;
  /** Latencies in ms (SQL scenarios) or per-round HTTP figures. */
  aSummary: Summary;
  bSummary: Summary;
  /** The figure the goal is about (e.g. median B time / median A time = A's relative throughput). */
  ratio: number;
  goal: string;
  met: boolean;
  notes?: string;
  explain?: string;
}

export const ms = (x: number) => (Number.isFinite(x) ? (x < 10 ? x.toFixed(2) : x.toFixed(1)) : "–");
