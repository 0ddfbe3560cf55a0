import { describe, expect, it } from 'vitest';
import { formatOfTopic, PayloadError } from './index.js';

describe('formatOfTopic', () => {
  it.each([
    ['ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F', 'ruuvi_gateway'],
    ['ruuvi/C8:25:2D:8E:9C:2C/gw_status', 'gateway_status'],
    ['ruuvitag/data', 'esp32'],
    ['iotpipe/sim/batch', 'simulator'],
    ['iotpipe/sim/a/b', 'simulator'],
  ])('%s -> %s', (topic, format) => {
    expect(formatOfTopic(topic)).toBe(format);
  });

  it('routes Ruuvi Gateway topics under the configured prefix', () => {
    expect(formatOfTopic('home/ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F', 'home/ruuvi')).toBe(
      'ruuvi_gateway',
    );
    expect(formatOfTopic('home/ruuvi/C8:25:2D:8E:9C:2C/gw_status', 'home/ruuvi')).toBe('gateway_status');
    expect(formatOfTopic('ruuvitag/data', 'ruuvitag')).toBe('esp32');
    expect(() => formatOfTopic('ruuvi/C8:25:2D:8E:9C:2C/CB:B8:33:4C:88:4F', 'home/ruuvi')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_FORMAT' }) as PayloadError,
    );
  });

  it.each(['ruuvi/x', 'ruuvi/a/b/c', 'ruuvitag/other', 'iotpipe/sim', 'elsewhere/x'])(
    '%s is UNKNOWN_FORMAT',
    (topic) => {
      expect(() => formatOfTopic(topic)).toThrow(
        expect.objectContaining({ code: 'UNKNOWN_FORMAT' }) as PayloadError,
      );
    },
  );
});
