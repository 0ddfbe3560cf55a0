import { ConfigError } from './errors.js';

/** Reads typed settings from an env map; every read names the field so errors can too. */
export class EnvReader {
  constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

  string(field: string, envVar: string, fallback: string): string {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    return raw;
  }

  port(field: string, envVar: string, fallback: number): number {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    return parsePort(field, envVar, raw);
  }

  ports(field: string, envVar: string, fallback: readonly number[]): number[] {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return [...fallback];
    const list = raw.split(',').map((p) => parsePort(field, envVar, p.trim()));
    if (list.length !== fallback.length) {
      throw new ConfigError(
        field,
        envVar,
        `expected ${fallback.length} comma-separated ports, got ${list.length}`,
      );
    }
    return list;
  }

  memory(field: string, envVar: string, fallback: string): string {
    const raw = this.string(field, envVar, fallback);
    if (!/^\d+[mMgG]$/.test(raw))
      throw new ConfigError(field, envVar, `'${raw}' is not a JVM size like 512m or 1g`);
    return raw;
  }
}

function parsePort(field: string, envVar: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(field, envVar, `'${raw}' is not a TCP port (1-65535)`);
  }
  return n;
}
