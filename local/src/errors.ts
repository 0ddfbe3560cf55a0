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
