import { RuuviDecodeError } from './errors.js';

/** Bluetooth SIG company identifier of Ruuvi Innovations, sent little-endian as `99 04`. */
export const RUUVI_COMPANY_ID = 0x0499;
/** AD type "Manufacturer Specific Data". */
export const AD_TYPE_MANUFACTURER_DATA = 0xff;
/** AD type "Flags"; the value Ruuvi sensors send (LE General Discoverable, BR/EDR not supported). */
const AD_TYPE_FLAGS = 0x01;
const AD_FLAGS_VALUE = 0x06;

export interface AdStructure {
  type: number;
  data: Uint8Array;
}

/**
 * Walks the AD structures of a raw advertisement (`len type data...` repeated). A zero length
 * ends the significant part (the rest is padding). Throws MALFORMED_ADVERTISEMENT when a
 * structure runs past the end.
 */
export function parseAdStructures(adv: Uint8Array): AdStructure[] {
  const out: AdStructure[] = [];
  let i = 0;
  while (i < adv.length) {
    const len = adv[i]!;
    if (len === 0) break;
    if (i + 1 + len > adv.length) {
      throw new RuuviDecodeError(
        'MALFORMED_ADVERTISEMENT',
        `AD structure at offset ${i} claims ${len} bytes but only ${adv.length - i - 1} remain`,
      );
    }
    out.push({ type: adv[i + 1]!, data: adv.subarray(i + 2, i + 1 + len) });
    i += 1 + len;
  }
  return out;
}

/** Returns the Ruuvi payload (data format byte first) of a whole advertisement. */
export function findRuuviPayload(adv: Uint8Array): Uint8Array {
  if (adv.length === 0) throw new RuuviDecodeError('EMPTY', 'no bytes given');
  const others: string[] = [];
  for (const ad of parseAdStructures(adv)) {
    if (ad.type !== AD_TYPE_MANUFACTURER_DATA) continue;
    if (ad.data.length < 2) {
      throw new RuuviDecodeError(
        'MALFORMED_ADVERTISEMENT',
        'manufacturer data AD shorter than its company id',
      );
    }
    const company = ad.data[0]! | (ad.data[1]! << 8);
    if (company === RUUVI_COMPANY_ID) {
      if (ad.data.length < 3)
        throw new RuuviDecodeError('TRUNCATED', 'Ruuvi manufacturer data has no data format byte');
      return ad.data.subarray(2);
    }
    others.push(`0x${company.toString(16).padStart(4, '0')}`);
  }
  const detail =
    others.length > 0 ? `manufacturer data of company ${others.join(', ')} only` : 'no manufacturer data';
  throw new RuuviDecodeError('NOT_RUUVI', `advertisement has ${detail}, not Ruuvi (0x0499)`);
}

/** Wraps a Ruuvi payload in an advertisement as a RuuviTag sends it: flags AD + manufacturer AD. */
export function wrapAdvertisement(payload: Uint8Array): Uint8Array {
  const manLen = 1 + 2 + payload.length;
  if (manLen > 0xff) throw new RangeError(`payload of ${payload.length} bytes does not fit one AD structure`);
  const out = new Uint8Array(3 + 1 + manLen);
  out.set([
    2,
    AD_TYPE_FLAGS,
    AD_FLAGS_VALUE,
    manLen,
    AD_TYPE_MANUFACTURER_DATA,
    RUUVI_COMPANY_ID & 0xff,
    RUUVI_COMPANY_ID >> 8,
  ]);
  out.set(payload, 7);
  return out;
}
