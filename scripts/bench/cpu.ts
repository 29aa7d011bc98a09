import { readdirSync, readFileSync } from 'node:fs';

// CPU time by process, from /proc (Linux): where a write's CPU goes on a machine whose cores the
// clients, the service and PostgreSQL share. Throughput there is bounded by the cores divided by
// the CPU a write costs all three, whatever the latency.

/** Clock ticks a second of /proc's CPU times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU milliseconds: this process (the load generator, and children it reaped: pgbench), the API process, PostgreSQL's processes. */
export interface CpuSample {
  readonly client: number;
  readonly api: number;
  readonly postgres: number;
}

interface ProcStat {
  readonly ppid: number;
  /** utime + stime. */
  readonly own: number;
  /** cutime + cstime: of children that exited and were reaped. */
  readonly reaped: number;
}

function procStat(pid: number | 'self'): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone
  }
  // The name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const tick = (i: number) => (Number(fields[i]) * 1000) / TICKS_PER_SECOND;
  return { ppid: Number(fields[1]), own: tick(11) + tick(12), reaped: tick(13) + tick(14) };
}

/** A process and its children (PostgreSQL's postmaster and backends), with what they reaped. */
export function treeMs(rootPid: number): number {
  const root = procStat(rootPid);
  if (!root) return NaN;
  let total = root.own + root.reaped;
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat && stat.ppid === rootPid) total += stat.own + stat.reaped;
  }
  return total;
}

/** Samples the CPU used so far by the load generator, the API process and the cluster whose postmaster is `postmasterPid`. */
export function cpuMeter(apiPid: number, postmasterPid: number): () => CpuSample {
  return () => {
    const self = procStat('self')!;
    return { client: self.own + self.reaped, api: treeMs(apiPid), postgres: treeMs(postmasterPid) };
  };
}

/** The postmaster's pid of a data directory (the first line of postmaster.pid). */
export function postmasterPid(dataDir: string): number {
  return Number(readFileSync(`${dataDir}/postmaster.pid`, 'utf8').split('\n')[0]);
}

/** CPU milliseconds per operation between two samples. */
export function cpuPer(before: CpuSample, after: CpuSample, operations: number): CpuSample {
  const per = (key: keyof CpuSample) => (after[key] - before[key]) / operations;
  return { client: per('client'), api: per('api'), postgres: per('postgres') };
}
