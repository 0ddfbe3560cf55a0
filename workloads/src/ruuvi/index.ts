export { RuuviDecodeError, RUUVI_ERROR_CODES, isRuuviDecodeError, type RuuviErrorCode } from './errors.js';
export {
  DATA_FORMAT_3,
  DATA_FORMAT_5,
  DATA_FORMAT_6,
  DATA_FORMAT_E1,
  PAYLOAD_LENGTH,
  type DecodeOptions,
  type RuuviDataFormat,
  type RuuviFormat3,
  type RuuviFormat5,
  type RuuviFormat6,
  type RuuviFormatE1,
  type RuuviMeasurement,
} from './types.js';
export {
  AD_TYPE_MANUFACTURER_DATA,
  RUUVI_COMPANY_ID,
  findRuuviPayload,
  parseAdStructures,
  wrapAdvertisement,
  type AdStructure,
} from './advertisement.js';
export {
  decodeAdvertisement,
  decodePayload,
  decodeRuuvi,
  isSupportedFormat,
  luminosityFromCode6,
} from './decode.js';
export {
  encodeFormat3,
  encodeFormat3Advertisement,
  encodeFormat5,
  encodeFormat5Advertisement,
  type Format3Values,
  type Format5Values,
} from './encode.js';
export { bytesToHex, formatMac, hexToBytes, normalizeMac } from './bytes.js';
