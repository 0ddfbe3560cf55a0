import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMAGES } from './images.js';
import { REPO_ROOT } from './imports.js';

/** KEY=value lines of a shell file (comments and blank lines skipped). */
function shellVariables(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  return vars;
}

describe('the TimescaleDB image', () => {
  const tested = shellVariables(readFileSync(join(REPO_ROOT, 'local/timescaledb/versions.env'), 'utf8'));

  it('ships the PostgreSQL major and TimescaleDB release the local stack builds and tests', () => {
    const version = tested.get('TIMESCALEDB_VERSION');
    const major = tested.get('TIMESCALEDB_PG_MAJOR');
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(major).toMatch(/^\d+$/);
    // Upstream's tag scheme: timescale/timescaledb:<TimescaleDB version>-pg<PostgreSQL major>.
    expect(IMAGES.timescaledb).toBe(`timescale/timescaledb:${version}-pg${major}`);
  });
});
