import type { z } from 'zod';
import { PayloadError } from './errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_REASON_CHARS = 300;

/** Parses UTF-8 JSON bytes; anything else is INVALID_JSON. */
export function parseJsonBytes(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new PayloadError('INVALID_JSON', 'payload is not valid UTF-8');
  }
  if (text.trim() === '') throw new PayloadError('INVALID_JSON', 'payload is empty');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new PayloadError('INVALID_JSON', oneLine(`payload is not JSON: ${(e as Error).message}`));
  }
}

/** Validates with a zod schema; a failure becomes SCHEMA_MISMATCH naming the first bad path. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
  throw new PayloadError('SCHEMA_MISMATCH', oneLine(`${what}: ${path}: ${issue?.message ?? 'invalid'}`));
}

export function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_REASON_CHARS ? `${flat.slice(0, MAX_REASON_CHARS - 1)}…` : flat;
}
