import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSysMessage } from './sys.js';

describe('parseSysMessage', () => {
  it.each([
    ['$SYS/broker/clients/connected', '3', { name: 'mosquitto_clients_connected', kind: 'gauge', value: 3 }],
    [
      '$SYS/broker/messages/received',
      '1234',
      { name: 'mosquitto_messages_received_total', kind: 'counter', value: 1234 },
    ],
    [
      '$SYS/broker/publish/messages/dropped',
      '0',
      { name: 'mosquitto_publish_messages_dropped_total', kind: 'counter', value: 0 },
    ],
    [
      '$SYS/broker/load/messages/received/1min',
      '12.53',
      { name: 'mosquitto_load_messages_received_1min', kind: 'gauge', value: 12.53 },
    ],
    [
      '$SYS/broker/retained messages/count',
      '7',
      { name: 'mosquitto_retained_messages_count', kind: 'gauge', value: 7 },
    ],
    ['$SYS/broker/uptime', '3600 seconds', { name: 'mosquitto_uptime_seconds', kind: 'gauge', value: 3600 }],
  ])('%s = %j', (topic, payload, expected) => {
    expect(parseSysMessage(topic, payload)).toMatchObject(expected);
  });

  it('turns the version string into an info metric', () => {
    expect(parseSysMessage('$SYS/broker/version', 'mosquitto version 2.0.11')).toMatchObject({
      name: 'mosquitto_info',
      value: 1,
      labels: { version: 'mosquitto version 2.0.11' },
    });
  });

  it.each([
    ['a/b', '1'],
    ['$SYS/other/x', '1'],
    ['$SYS/broker/', '1'],
    ['$SYS/broker/clients/connected', ''],
    ['$SYS/broker/clients/connected', 'many'],
    ['$SYS/broker/clients/connected', '12abc'],
    ['$SYS/broker/version', '  '],
  ])('ignores %s = %j', (topic, payload) => {
    expect(parseSysMessage(topic, payload)).toBeUndefined();
  });

  it('never throws, and every sample is a valid Prometheus metric with a finite value', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (path, payload) => {
        const s = parseSysMessage(`$SYS/broker/${path}`, payload);
        if (s === undefined) return;
        expect(s.name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
        expect(Number.isFinite(s.value)).toBe(true);
        if (s.kind === 'counter') expect(s.name.endsWith('_total')).toBe(true);
      }),
    );
  });
});
