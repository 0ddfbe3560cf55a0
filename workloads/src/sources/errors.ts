/**
 * The one error every payload parser throws. `code` is stable and machine-readable (it becomes
 * the DLQ record's error_code and the metric label); `reason` is one line naming the problem.
 */
export const PAYLOAD_ERROR_CODES = [
  'OVERSIZED', // more bytes than the adapter accepts (ADAPTER_MAX_PAYLOAD_BYTES)
  'INVALID_JSON', // not UTF-8 JSON
  'SCHEMA_MISMATCH', // JSON, but wrong types or missing fields for its format
  'INVALID_MAC', // a gateway or tag MAC (topic or payload) is not six hex octets
  'UNDECODABLE_RAW', // Ruuvi raw data that the decoder rejects
  'NO_MEASUREMENTS', // a valid packet that carries no measurement at all
  'UNKNOWN_FORMAT', // a topic no parser owns
  'FORMAT_NOT_ACCEPTED', // a format the pipeline does not accept (ADAPTER_PAYLOAD_FORMATS)
  'INVALID_BATCH', // an empty simulator batch or one larger than the contract allows
] as const;

export type PayloadErrorCode = (typeof PAYLOAD_ERROR_CODES)[number];

export class PayloadError extends Error {
  override readonly name = 'PayloadError';

  constructor(
    readonly code: PayloadErrorCode,
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
  }
}
