import { LOG_LEVELS, type LogLevel } from '@iotpipe/contract';

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Structured logging: one JSON object per line, the same fields from every process. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a partition, a dependency ...). */
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** What is logging: `adapter`, `sink`, `processor`, `simulator`, `operator`. */
  readonly component: string;
  /** Lines below this level are dropped (RUNTIME.logLevel, LOG_LEVEL). */
  readonly level: LogLevel;
  /** Where a line goes; stderr by default (stdout stays free for a command's output). */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

/**
 * `{"time":"…Z","level":"info","component":"sink","msg":"…",…fields}`. Fields never replace
 * time, level, component or msg; undefined ones are left out.
 */
export function createLogger(o: LoggerOptions, bound: LogFields = {}): Logger {
  const min = LOG_LEVELS.indexOf(o.level);
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = o.now ?? (() => new Date());
  const emit =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}) => {
      if (LOG_LEVELS.indexOf(level) < min) return;
      const line: Record<string, unknown> = { time: now().toISOString(), level, component: o.component, msg };
      for (const [k, v] of Object.entries({ ...bound, ...fields }))
        if (!(k in line) && v !== undefined) line[k] = v;
      write(JSON.stringify(line));
    };
  return {
    debug: emit('debug'),
    info: emit('info'),
    warn: emit('warn'),
    error: emit('error'),
    child: (fields) => createLogger(o, { ...bound, ...fields }),
  };
}

/** A one-line description of anything thrown, for a log field or a dead letter's reason. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err) ?? String(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}
