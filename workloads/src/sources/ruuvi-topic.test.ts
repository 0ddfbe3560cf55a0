import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RUUVI_TOPIC_PREFIX,
  RUUVI_TOPIC_PREFIX_MAX_BYTES,
  ruuviTopicPrefixProblem,
  SIMULATOR,
} from '@iotpipe/contract';
import { GATEWAY_COUNTERS } from './gateway-status.js';
import { splitRuuviTopic } from './ruuvi-topic.js';

const firmware = (path: string) =>
  readFileSync(new URL(`../../../firmware/esp32-gateway/${path}`, import.meta.url), 'utf8');

describe('the Ruuvi topic prefix', () => {
  it('has the firmware default (Kconfig IOTPIPE_MQTT_TOPIC_PREFIX) and limit (RUUVI_TOPIC_PREFIX_MAX)', () => {
    const kconfig = firmware('main/Kconfig.projbuild');
    const block = /config IOTPIPE_MQTT_TOPIC_PREFIX\n([\s\S]*?)\n\n/.exec(kconfig)?.[1] ?? '';
    expect(/default "([^"]*)"/.exec(block)?.[1]).toBe(DEFAULT_RUUVI_TOPIC_PREFIX);
    expect(block).toContain('ADAPTER_RUUVI_TOPIC_PREFIX');
    expect(SIMULATOR.ruuviTopicPrefix.default).toBe(DEFAULT_RUUVI_TOPIC_PREFIX);
    const header = firmware('components/ruuvi_core/include/ruuvi_gateway.h');
    expect(Number(/#define RUUVI_TOPIC_PREFIX_MAX \((\d+)U\)/.exec(header)?.[1])).toBe(
      RUUVI_TOPIC_PREFIX_MAX_BYTES,
    );
  });

  it.each(['ruuvi', 'home/ruuvi', 'ruuvitag', 'x'.repeat(64)])('accepts %s', (p) => {
    expect(ruuviTopicPrefixProblem(p)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['x'.repeat(65), 'longer than 64'],
    ['ruuvi/#', 'wildcard'],
    ['a/+', 'wildcard'],
    ['$SYS', 'starts with $'],
    ['/ruuvi', 'empty topic level'],
    ['ruuvi/', 'empty topic level'],
    ['a//b', 'empty topic level'],
    ['iotpipe/sim', 'simulator'],
    ['iotpipe', 'simulator'],
  ])('refuses %j (%s), as the firmware does', (p, why) => {
    expect(ruuviTopicPrefixProblem(p)).toContain(why);
  });

  it('splits <prefix>/<gateway>/<last> and nothing else', () => {
    expect(splitRuuviTopic('home/ruuvi/GW/TAG', 'home/ruuvi')).toEqual({ gateway: 'GW', last: 'TAG' });
    expect(splitRuuviTopic('ruuvi/GW/TAG', 'home/ruuvi')).toBeNull();
    expect(splitRuuviTopic('home/ruuvi/GW', 'home/ruuvi')).toBeNull();
    expect(splitRuuviTopic('home/ruuvi/GW/TAG/x', 'home/ruuvi')).toBeNull();
    expect(splitRuuviTopic('ruuvigw/GW/TAG', 'ruuvi')).toBeNull();
  });
});

describe("the gateway status' counters", () => {
  it('are the fields of the firmware status (ruuvi_gateway_status_t) but its levels', () => {
    const header = firmware('components/ruuvi_core/include/ruuvi_gateway.h');
    const struct =
      /typedef struct\s*\{((?:(?!typedef)[\s\S])*)\}\s*ruuvi_gateway_status_t;/.exec(header)?.[1] ?? '';
    const fields = [...struct.matchAll(/uint(?:32|64)_t\s+(\w+);/g)].map((m) => m[1]);
    const levels = ['uptime_s', 'buffered', 'in_flight', 'tags'];
    expect(fields.filter((f) => !levels.includes(f!))).toEqual([...GATEWAY_COUNTERS]);
    expect(levels.every((l) => fields.includes(l))).toBe(true);
  });
});
