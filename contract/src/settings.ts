/**
 * How a setting is declared once and read or written from that one declaration: the workloads
 * read their config with readSettings(), the operator writes a stage's environment with
 * settingsEnv(). Both take the same declaration object, so a setting the operator writes that no
 * stage declares, or a misspelt one, does not compile, and every declared setting is read.
 */
import { ConfigError } from './errors.js';

/** A value that does not parse: the reason; readSettings() adds the field and the variable. */
export class SettingProblem extends Error {}

/** One setting: its variable, what it means, its default, and how its text is read and written. */
export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** One line: what it is, in the unit of the variable. */
  readonly doc: string;
  /** The value when the variable is unset or empty; works with the local stack. */
  readonly default: T;
  /** The variable's text as a value; a bad one throws SettingProblem. Pure. */
  parse(raw: string): T;
  /** A value as the text parse() reads back (what the operator writes). */
  format(value: T): string;
}

/** Any Setting<T> (format's parameter is a method parameter, so Setting<number> fits `never`). */
export interface AnySetting {
  readonly env: string;
  readonly doc: string;
  readonly default: unknown;
  parse(raw: string): unknown;
  format(value: never): string;
}

export type SettingGroup = Readonly<Record<string, AnySetting>>;

export type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** What readSettings() returns: one typed value per declared setting. */
export type SettingValues<G extends SettingGroup> = { readonly [K in keyof G]: ValueOf<G[K]> };

/** An env entry as Kubernetes takes it. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?:
    { secretKeyRef: { name: string; key: string; optional?: boolean } } | { fieldRef: { fieldPath: string } };
}

/** A value the kubelet takes from a Secret. */
export interface SecretValue {
  /** optional: the variable is left unset when the Secret has no such key. */
  readonly secretKeyRef: { readonly name: string; readonly key: string; readonly optional?: boolean };
}

/** What the operator may give settingsEnv(): values of declared settings, or Secret references. */
export type EnvValues<G extends SettingGroup> = { readonly [K in keyof G]?: ValueOf<G[K]> | SecretValue };

/**
 * Every setting of `group` from `env`, parsed and validated without network: a bad value throws
 * ConfigError naming `${fieldPrefix}${key}` and the variable.
 */
export function readSettings<G extends SettingGroup>(
  group: G,
  env: NodeJS.ProcessEnv,
  fieldPrefix = '',
): SettingValues<G> {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(group)) {
    const raw = env[setting.env];
    if (raw === undefined || raw === '') {
      out[key] = setting.default;
      continue;
    }
    try {
      out[key] = setting.parse(raw);
    } catch (err) {
      if (err instanceof SettingProblem)
        throw new ConfigError(`${fieldPrefix}${key}`, setting.env, err.message);
      throw err;
    }
  }
  return out as SettingValues<G>;
}

/**
 * The env entries that give a stage these values, in the group's declaration order. Values are
 * formatted, not validated: a value may hold $(VAR) references the kubelet expands.
 */
export function settingsEnv<G extends SettingGroup>(group: G, values: EnvValues<G>): EnvVar[] {
  const out: EnvVar[] = [];
  for (const [key, setting] of Object.entries(group) as Array<[keyof G & string, Setting<unknown>]>) {
    if (!Object.hasOwn(values, key)) continue;
    const value = values[key];
    if (value === undefined) continue;
    if (isSecretValue(value))
      out.push({ name: setting.env, valueFrom: { secretKeyRef: { ...value.secretKeyRef } } });
    else out.push({ name: setting.env, value: setting.format(value) });
  }
  return out;
}

function isSecretValue(v: unknown): v is SecretValue {
  return typeof v === 'object' && v !== null && 'secretKeyRef' in v;
}

// --- builders -------------------------------------------------------------------------------

interface Base<T> {
  readonly env: string;
  readonly doc: string;
  readonly default: T;
}

const problem = (reason: string): never => {
  throw new SettingProblem(reason);
};

export function int(o: Base<number> & { readonly min: number; readonly max: number }): Setting<number> {
  return {
    ...o,
    parse: (raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n >= o.min && n <= o.max
        ? n
        : problem(`'${raw}' is not an integer in ${o.min}..${o.max}`);
    },
    format: String,
  };
}

export function number(o: Base<number> & { readonly min: number; readonly max: number }): Setting<number> {
  return {
    ...o,
    parse: (raw) => {
      const n = Number(raw);
      return Number.isFinite(n) && n >= o.min && n <= o.max
        ? n
        : problem(`'${raw}' is not a number in ${o.min}..${o.max}`);
    },
    format: String,
  };
}

const UNIT_MS = { ms: 1, s: 1000, min: 60_000 } as const;

/**
 * A duration: the variable holds a number in `unit` (the original README's seconds, say), the
 * value is milliseconds. `default`, `min` and `max` are in `unit`.
 */
export function duration(
  o: Base<number> & { readonly unit: keyof typeof UNIT_MS; readonly min: number; readonly max: number },
): Setting<number> {
  const f = UNIT_MS[o.unit];
  const inUnit = number(o);
  return {
    env: o.env,
    doc: o.doc,
    default: Math.round(o.default * f),
    parse: (raw) => Math.round(inUnit.parse(raw) * f),
    format: (ms) => String(ms / f),
  };
}

export function string(
  o: Base<string> & {
    /** A reason if the value is not acceptable, else undefined. */
    readonly check?: (value: string) => string | undefined;
  },
): Setting<string> {
  return {
    env: o.env,
    doc: o.doc,
    default: o.default,
    parse: (raw) => {
      const reason = o.check?.(raw);
      return reason === undefined ? raw : problem(reason);
    },
    format: (v) => v,
  };
}

export function bool(o: Base<boolean>): Setting<boolean> {
  return {
    ...o,
    parse: (raw) =>
      /^(1|true|yes|on)$/i.test(raw)
        ? true
        : /^(0|false|no|off)$/i.test(raw)
          ? false
          : problem(`'${raw}' is not a boolean (true/false)`),
    format: String,
  };
}

export function oneOf<const C extends readonly string[]>(
  o: Base<C[number]> & { readonly choices: C },
): Setting<C[number]> & { readonly choices: C } {
  return {
    env: o.env,
    doc: o.doc,
    default: o.default,
    choices: o.choices,
    parse: (raw) =>
      (o.choices as readonly string[]).includes(raw)
        ? raw
        : problem(`'${raw}' is not one of ${o.choices.join(', ')}`),
    format: (v) => v,
  };
}

/** A comma-separated list; blanks around items are dropped; an empty list is refused. */
export function list(
  o: Base<readonly string[]> & { readonly checkItem?: (item: string) => string | undefined },
): Setting<readonly string[]> {
  return {
    env: o.env,
    doc: o.doc,
    default: o.default,
    parse: (raw) => {
      const items = raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (items.length === 0) problem('empty list');
      for (const item of items) {
        const reason = o.checkItem?.(item);
        if (reason !== undefined) problem(reason);
      }
      return items;
    },
    format: (v) => v.join(','),
  };
}

/** A comma-separated subset of `choices`. */
export function listOf<const C extends readonly string[]>(
  o: Base<readonly C[number][]> & { readonly choices: C },
): Setting<readonly C[number][]> & { readonly choices: C } {
  const items = list({
    ...o,
    checkItem: (item) =>
      (o.choices as readonly string[]).includes(item)
        ? undefined
        : `'${item}' is not one of ${o.choices.join(', ')}`,
  });
  return {
    env: o.env,
    doc: o.doc,
    default: o.default,
    choices: o.choices,
    parse: (raw) => items.parse(raw),
    format: (v) => items.format(v),
  };
}

export function url(o: Base<string> & { readonly protocols: readonly string[] }): Setting<string> {
  return string({
    ...o,
    check: (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return `'${raw}' is not a URL`;
      }
      return o.protocols.includes(parsed.protocol.replace(/:$/, ''))
        ? undefined
        : `'${raw}' must use ${o.protocols.join(' or ')}`;
    },
  });
}

/** A JSON value; `decode` checks the parsed value and returns it typed, or throws SettingProblem. */
export function json<T>(o: Base<T> & { readonly decode: (value: unknown) => T }): Setting<T> {
  return {
    env: o.env,
    doc: o.doc,
    default: o.default,
    parse: (raw) => {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return problem(`'${raw}' is not JSON`);
      }
      return o.decode(value);
    },
    format: (v) => JSON.stringify(v),
  };
}

/** Throws SettingProblem: for decode functions and checks that find a problem. */
export function settingProblem(reason: string): never {
  return problem(reason);
}
