/**
 * Rules for the project's Dockerfiles (workloads/Dockerfile, operator/Dockerfile), checked by
 * parsing them: no Docker engine here, so they cannot be built. Pure.
 */

export interface DockerInstruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): DockerInstruction[] {
  const out: DockerInstruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trimEnd()} `;
      continue;
    }
    const full = pending + line;
    pending = '';
    const m = /^(\w+)\s+(.*)$/.exec(full);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

/** The base image of a Node.js version: that exact version on Debian 12 slim. */
export function pinnedNodeImage(nodeVersion: string): string {
  return `node:${nodeVersion}-bookworm-slim`;
}

/**
 * Problems with a Dockerfile, one line each; empty when it keeps the rules. `nodeVersion` is the
 * repository's .node-version: every base image is {@link pinnedNodeImage} of it, optionally with
 * a digest, so the images run the Node.js the tests ran on.
 */
export function dockerfileProblems(text: string, nodeVersion: string): string[] {
  const pinned = pinnedNodeImage(nodeVersion);
  const instructions = parseDockerfile(text);
  const problems: string[] = [];
  const args = new Map<string, string>();
  const stages: string[] = [];
  let lastUser: string | undefined;
  let finalStageStart = 0;
  instructions.forEach((ins, i) => {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=', 2);
      if (name !== undefined && value !== undefined) args.set(name, value);
    }
    if (ins.keyword === 'FROM') {
      const image = ins.args
        .split(/\s+/)[0]!
        .replace(/^\$\{(\w+)\}$|^\$(\w+)$/, (_, a: string, b: string) => args.get(a ?? b) ?? '');
      stages.push(ins.args);
      finalStageStart = i;
      lastUser = undefined;
      const fromStage = stages.slice(0, -1).some((s) => /\s+AS\s+(\S+)/i.exec(s)?.[1] === image);
      if (!fromStage && image.replace(/@sha256:[0-9a-f]{64}$/, '') !== pinned)
        problems.push(`FROM ${image}: base is not ${pinned}`);
    }
    if (ins.keyword === 'USER') lastUser = ins.args;
    if (ins.keyword === 'RUN' && /\bnpm\s+(install|i)\b/.test(ins.args))
      problems.push(`RUN ${ins.args}: npm install instead of npm ci`);
  });
  if (stages.length < 2) problems.push('not multi-stage');
  const runs = instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  if (!runs.some((r) => /\bnpm ci\b/.test(r))) problems.push('dependencies are not installed with npm ci');
  if (!instructions.some((i) => i.keyword === 'COPY' && i.args.includes('package-lock.json')))
    problems.push('the lock file is not copied');
  const finalStage = instructions.slice(finalStageStart);
  if (!finalStage.some((i) => i.keyword === 'ENTRYPOINT' || i.keyword === 'CMD'))
    problems.push('no ENTRYPOINT or CMD');
  if (lastUser === undefined) problems.push('the final stage runs as root (no USER)');
  else {
    const user = lastUser.split(':')[0]!;
    if (user === 'root' || user === '0') problems.push(`USER ${lastUser} is root`);
    else if (!/^\d+$/.test(user))
      problems.push(`USER ${lastUser} is not numeric (runAsNonRoot cannot verify a name)`);
  }
  if (finalStage.some((i) => i.keyword === 'RUN' && /\bnpm\s+ci\b/.test(i.args)))
    problems.push('the final stage installs packages (should copy them from a build stage)');
  return problems;
}
