import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU ticks (utime + stime) and resident memory of one process, from /proc. */
export interface ProcSample {
  ticks: number;
  rssBytes: number;
  ppid: number;
}

/**
 * Parses /proc/<pid>/stat: the command name is in parentheses and may hold spaces, so the
 * fields are counted from the last ')'. Field 4 is ppid, 14/15 utime/stime, 24 rss in pages.
 */
export function parseStat(text: string, pageSize = 4096): ProcSample {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 60)}`);
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // fields[0] is field 3 (state)
  const at = (field: number) => Number(fields[field - 3]);
  return { ppid: at(4), ticks: at(14) + at(15), rssBytes: at(24) * pageSize };
}

export function clockTicksPerSec(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

function readStat(pid: number): ProcSample | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null; // gone
  }
}

/** Every live process's sample, keyed by pid (one pass over /proc). */
export function allProcesses(): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.set(Number(name), s);
  }
  return out;
}

/**
 * Proportional set size from /proc/<pid>/smaps_rollup (shared pages divided among the processes
 * that map them, so PostgreSQL's backends do not count shared_buffers once each); null if unreadable.
 */
export function pssBytes(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Sum over a process and all its descendants (PostgreSQL's backends, a JVM's children); memory
 * is PSS where readable, else RSS.
 */
export function treeSample(
  root: number,
  all: Map<number, ProcSample>,
): { ticks: number; rssBytes: number } | null {
  if (!all.has(root)) return null;
  const children = new Map<number, number[]>();
  for (const [pid, s] of all) {
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  let ticks = 0;
  let rssBytes = 0;
  const stack = [root];
  const seen = new Set<number>();
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const s = all.get(pid);
    if (!s) continue;
    ticks += s.ticks;
    rssBytes += pssBytes(pid) ?? s.rssBytes;
    stack.push(...(children.get(pid) ?? []));
  }
  return { ticks, rssBytes };
}
