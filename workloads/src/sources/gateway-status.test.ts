import { describe, expect, it } from 'vitest';
import { GATEWAY_COUNTERS, parseGatewayStatus } from './gateway-status.js';
import { codeOf, enc } from './payload.testing.js';

const TOPIC = 'ruuvi/C8:25:2D:8E:9C:2C/gw_status';
const counters = Object.fromEntries(GATEWAY_COUNTERS.map((c, i) => [c, i + 1]));
const ours = { state: 'online', uptime_s: 3600, buffered: 17, in_flight: 3, tags: 4, counters };

describe('parseGatewayStatus', () => {
  it("reads our firmware's status: state, levels and every counter", () => {
    expect(parseGatewayStatus(TOPIC, enc(ours))).toEqual({
      gatewayId: 'c8:25:2d:8e:9c:2c',
      online: true,
      report: { uptimeSeconds: 3600, buffered: 17, inFlight: 3, tags: 4, counters },
    });
  });

  it("reads the official Ruuvi Gateway's state-only status and the last will", () => {
    expect(parseGatewayStatus(TOPIC, enc({ state: 'online' }))).toEqual({
      gatewayId: 'c8:25:2d:8e:9c:2c',
      online: true,
      report: null,
    });
    expect(parseGatewayStatus(TOPIC, enc({ state: 'offline' })).online).toBe(false);
  });

  it('takes the prefix it is told', () => {
    expect(parseGatewayStatus('home/ruuvi/C8:25:2D:8E:9C:2C/gw_status', enc(ours), 'home/ruuvi').online).toBe(
      true,
    );
    expect(codeOf(() => parseGatewayStatus('home/ruuvi/C8:25:2D:8E:9C:2C/gw_status', enc(ours)))).toBe(
      'UNKNOWN_FORMAT',
    );
  });

  const { tags: _tags, ...partial } = ours;
  const { relayed: _relayed, ...missingCounter } = counters;
  it.each([
    ['not JSON', TOPIC, '{', 'INVALID_JSON'],
    ['an unknown state', TOPIC, { state: 'rebooting' }, 'SCHEMA_MISMATCH'],
    ['levels without all of them', TOPIC, partial, 'SCHEMA_MISMATCH'],
    ['a counter missing', TOPIC, { ...ours, counters: missingCounter }, 'SCHEMA_MISMATCH'],
    [
      'a counter the platform does not know',
      TOPIC,
      { ...ours, counters: { ...counters, extra: 1 } },
      'SCHEMA_MISMATCH',
    ],
    ['a negative counter', TOPIC, { ...ours, counters: { ...counters, relayed: -1 } }, 'SCHEMA_MISMATCH'],
    ['a malformed gateway MAC', 'ruuvi/C8:25/gw_status', ours, 'INVALID_MAC'],
    ['a reading topic', 'ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F', ours, 'UNKNOWN_FORMAT'],
  ])('rejects %s', (_what, topic, payload, code) => {
    expect(codeOf(() => parseGatewayStatus(topic, enc(payload)))).toBe(code);
  });
});
