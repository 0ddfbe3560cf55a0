import { mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sleep } from './exec.js';

/** True when a process with this pid exists (signal 0 probes without touching it). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding an exclusive lock file that records the holder's pid, so two `up`s (make
 * and a test's globalSetup, say) never build or start the same thing twice. A lock whose holder
 * died is taken over; a live holder is waited for as long as it lives.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  for (;;) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const content = (await readFile(path, 'utf8').catch(() => '')).trim();
      const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
      // An empty file is a holder between creating and writing it; only old ones are stale.
      const holder = content === '' && age < 5000 ? process.pid : Number(content);
      if (holder !== process.pid && (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder))) {
        await rm(path, { force: true });
        continue;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
