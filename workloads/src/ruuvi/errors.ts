/**
 * The one error class every Ruuvi decoding failure throws. `code` is stable and machine-readable
 * (the firmware's C core uses the same names); `message` is one line naming the problem.
 */
export const RUUVI_ERROR_CODES = [
  'EMPTY', // no bytes at all
  'INVALID_HEX', // odd number of digits or a character that is not a hex digit
  'MALFORMED_ADVERTISEMENT', // an AD structure runs past the end, or a manufacturer AD is too short
  'NOT_RUUVI', // no manufacturer data with company id 0x0499
  'UNSUPPORTED_FORMAT', // the data format byte is not 3, 5, 6 or 0xE1
  'TRUNCATED', // fewer bytes than the data format needs
  'TOO_LONG', // more bytes than the data format has
  'INVALID_MAC', // a MAC given by the caller is not six hex octets
] as const;

export type RuuviErrorCode = (typeof RUUVI_ERROR_CODES)[number];

export class RuuviDecodeError extends Error {
  override readonly name = 'RuuviDecodeError';
  readonly code: RuuviErrorCode;

  constructor(code: RuuviErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export function isRuuviDecodeError(e: unknown): e is RuuviDecodeError {
  return e instanceof RuuviDecodeError;
}
