import { ConfigError } from './errors.js';

// Reads settings one call at a time; the stages' settings are declared in stages.ts instead and
// read with readSettings(). This serves the local stack's, the operator's and the benchmarks' own.

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

  int(
    field: string,
    envVar: string,
    fallback: number,
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(field, envVar, `'${raw}' is not an integer in ${min}..${max}`);
    }
    return n;
  }

  number(field: string, envVar: string, fallback: number, min = -Infinity, max = Infinity): number {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      throw new ConfigError(field, envVar, `'${raw}' is not a number in ${min}..${max}`);
    }
    return n;
  }

  bool(field: string, envVar: string, fallback: boolean): boolean {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(field, envVar, `'${raw}' is not a boolean (true/false)`);
  }

  oneOf<T extends string>(field: string, envVar: string, choices: readonly T[], fallback: T): T {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    if (!(choices as readonly string[]).includes(raw)) {
      throw new ConfigError(field, envVar, `'${raw}' is not one of ${choices.join(', ')}`);
    }
    return raw as T;
  }

  list(field: string, envVar: string, fallback: readonly string[]): string[] {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return [...fallback];
    const items = raw
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (items.length === 0) throw new ConfigError(field, envVar, 'empty list');
    return items;
  }

  url(field: string, envVar: string, fallback: string, protocols: readonly string[]): string {
    const raw = this.string(field, envVar, fallback);
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(field, envVar, `'${raw}' is not a URL`);
    }
    if (!protocols.includes(parsed.protocol.replace(/:$/, ''))) {
      throw new ConfigError(field, envVar, `'${raw}' must use ${protocols.join(' or ')}`);
    }
    return raw;
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
