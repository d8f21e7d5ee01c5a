/**
 * CPU time, for "where does a request's time go": the API or floor process's own (from
 * process.cpuUsage, reported by the child) and the database server's, read from /proc for the
 * postmaster and its live children (Linux, local server only). Both servers' pools keep their
 * connections for the whole run, so the backends serving a round are alive at both readings.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import type { Client } from "pg";

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Fields of /proc/<pid>/stat after the command name: [state, ppid, …]; utime/stime/cutime/cstime are 14–17 overall. */
function statOf(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // exited meanwhile
  }
}

const cpuTicks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);

/** The postmaster of the server `client` is connected to, if it runs on this machine; else null. */
export async function postmasterOf(client: Client): Promise<number | null> {
  const { rows } = await client.query<{ pid: number }>("select pg_backend_pid() as pid");
  const fields = statOf(rows[0]!.pid);
  return fields ? Number(fields[1]) : null;
}

/**
 * CPU ms used so far by the postmaster, its live children, and its children that exited (the
 * postmaster's cutime/cstime: a backend whose connection closed mid-round, a worker's), so a
 * backend that exits between two readings still counts (null: not a local server).
 */
export function serverCpuMs(postmaster: number | null): number | null {
  if (postmaster === null) return null;
  let ticks = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statOf(Number(entry));
    if (!fields) continue;
    if (Number(entry) === postmaster) ticks += cpuTicks(fields) + Number(fields[13]) + Number(fields[14]);
    else if (Number(fields[1]) === postmaster) ticks += cpuTicks(fields);
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
