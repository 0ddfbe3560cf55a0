/** Helpers for the parsers' unit tests (excluded from the build: tsconfig "*.testing.ts"). */
import { PayloadError } from './errors.js';

/** A payload as the broker delivers it: a string as is, anything else as JSON. */
export const enc = (v: unknown): Uint8Array =>
  new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

/** The PayloadError code `fn` throws; any other outcome fails the test. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof PayloadError) return e.code;
    throw e;
  }
  throw new Error('expected a PayloadError');
}
