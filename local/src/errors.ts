/**
 * The one error the local stack raises on purpose: a cause and the fix, printed as one line by
 * the CLI instead of a stack trace.
 */
export class StackError extends Error {
  constructor(
    readonly cause_: string,
    readonly fix: string,
  ) {
    super(`${cause_} — fix: ${fix}`);
    this.name = 'StackError';
  }
}

/** A configuration value that does not validate; names the field and its env variable. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly envVar: string,
    problem: string,
  ) {
    super(`invalid config ${field} (${envVar}): ${problem}`);
    this.name = 'ConfigError';
  }
}
