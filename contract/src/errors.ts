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
