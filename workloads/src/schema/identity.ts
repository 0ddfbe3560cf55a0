/**
 * A reading's identity follows from the packet itself, so every adapter (and the sink, as the
 * last line of defence) recognises the same reading however often and by whichever gateway it
 * arrives:
 *
 * - with a sensor sequence counter (RuuviTag format 5/E1, the simulator): `<device_id>#<seq>`.
 *   The counter wraps (format 5 after 65536 measurements, at least 18 h), so the sink treats two
 *   rows with the same reading_id as one reading only within DEDUP_WINDOW of each other — the
 *   receive times that two gateways stamp on one packet differ by far less.
 * - without one (format 3, ESP32 JSON without a counter): `<device_id>@<timestamp ms>`; exact
 *   replays collapse, but two gateways stamping different receive times cannot be told apart.
 */
export function readingId(deviceId: string, sequence: number | null, timestamp: Date): string {
  return sequence === null ? `${deviceId}@${timestamp.getTime()}` : `${deviceId}#${sequence}`;
}

/** `<mac>_<measurement>`, e.g. c6:8d:c6:26:39:a6_temperature (the original README's convention). */
export function deviceId(mac: string, measurement: string): string {
  return `${mac.toLowerCase()}_${measurement}`;
}

/** The measurement of a `<mac>_<measurement>` device id (MACs and simulator names hold no '_'). */
export function measurementOf(deviceId: string): string {
  const i = deviceId.indexOf('_');
  return i < 0 ? '' : deviceId.slice(i + 1);
}

/** How far apart two deliveries of one sequenced reading may be stamped and still be one reading. */
export const DEDUP_WINDOW_MS = 5 * 60 * 1000;
