import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfileProblems, parseDockerfile } from './dockerfile.js';
import { REPO_ROOT } from './imports.js';

const NODE_VERSION = readFileSync(join(REPO_ROOT, '.node-version'), 'utf8').trim();

describe.each(['workloads/Dockerfile', 'operator/Dockerfile'])('%s', (path) => {
  const text = readFileSync(join(REPO_ROOT, path), 'utf8');
  it('is multi-stage from the pinned node of .node-version, installs with npm ci from the lock file, runs as a numeric non-root user', () => {
    expect(dockerfileProblems(text, NODE_VERSION)).toEqual([]);
  });
  it('ends in an image whose entrypoint is the compiled JavaScript', () => {
    const entry = parseDockerfile(text)
      .filter((i) => i.keyword === 'ENTRYPOINT')
      .pop();
    expect(entry?.args).toMatch(/^\["node", "\/app\/(workloads|operator)\/dist\/(cli|main)\.js"\]$/);
  });
});

describe('dockerfileProblems can fail', () => {
  const good = readFileSync(join(REPO_ROOT, 'workloads/Dockerfile'), 'utf8');
  it('flags an unpinned base, npm install, no USER and a single stage', () => {
    const bad = [
      'FROM node:20-slim',
      'WORKDIR /app',
      'COPY package.json ./',
      'RUN npm install \\',
      '  --omit=dev',
      'CMD ["node", "x.js"]',
    ].join('\n');
    expect(dockerfileProblems(bad, NODE_VERSION)).toEqual([
      `FROM node:20-slim: base is not node:${NODE_VERSION}-bookworm-slim`,
      'RUN npm install --omit=dev: npm install instead of npm ci',
      'not multi-stage',
      'dependencies are not installed with npm ci',
      'the lock file is not copied',
      'the final stage runs as root (no USER)',
    ]);
  });
  it('flags USER root, a named user and :latest through an ARG', () => {
    expect(dockerfileProblems(good.replace('USER 1000:1000', 'USER root'), NODE_VERSION)).toEqual([
      'USER root is root',
    ]);
    expect(dockerfileProblems(good.replace('USER 1000:1000', 'USER node'), NODE_VERSION)).toEqual([
      'USER node is not numeric (runAsNonRoot cannot verify a name)',
    ]);
    expect(
      dockerfileProblems(
        good.replace(`ARG NODE_IMAGE=node:${NODE_VERSION}-bookworm-slim`, 'ARG NODE_IMAGE=node:latest'),
        NODE_VERSION,
      ),
    ).toEqual([
      `FROM node:latest: base is not node:${NODE_VERSION}-bookworm-slim`,
      `FROM node:latest: base is not node:${NODE_VERSION}-bookworm-slim`,
      `FROM node:latest: base is not node:${NODE_VERSION}-bookworm-slim`,
    ]);
  });
});
