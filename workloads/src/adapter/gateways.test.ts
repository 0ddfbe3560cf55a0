import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { GATEWAY_COUNTERS, type GatewayReport } from '../sources/index.js';
import { GATEWAY_COUNTER_METRICS, GatewayBoard, GatewayMetrics } from './gateways.js';

const counters = Object.fromEntries(
  GATEWAY_COUNTERS.map((c, i) => [c, 100 + i]),
) as GatewayReport['counters'];
const report: GatewayReport = { uptimeSeconds: 3600, buffered: 7, inFlight: 2, tags: 3, counters };

/** Sample lines of the scrape, without HELP/TYPE lines. */
async function scrape(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('GatewayBoard', () => {
  it('keeps the last report across a last will, and the latest time heard', () => {
    const b = new GatewayBoard();
    b.status({ gatewayId: 'gw', online: true, report }, 1000);
    b.heard('gw', 5000);
    b.heard('gw', 4000); // out of order: the latest stays
    b.status({ gatewayId: 'gw', online: false, report: null }, 6000);
    expect([...b.entries()]).toEqual([['gw', { lastHeardMs: 6000, online: false, report }]]);
  });

  it('remembers at most its bound of gateways', () => {
    const b = new GatewayBoard(2);
    for (const id of ['a', 'b', 'c']) b.heard(id, 1);
    expect(b.size).toBe(2);
    expect([...b.entries()].map(([id]) => id)).toEqual(['a', 'b']);
  });
});

describe('GatewayMetrics', () => {
  it("maps every counter of a gateway's status to exactly one series", async () => {
    const registry = new Registry();
    const board = new GatewayBoard();
    new GatewayMetrics(registry, board);
    board.status({ gatewayId: 'c8:25:2d:8e:9c:2c', online: true, report }, 1_700_000_000_000);
    board.status({ gatewayId: 'aa:aa:aa:aa:aa:aa', online: true, report: null }, 1_700_000_001_000); // official
    const lines = await scrape(registry);
    for (const c of GATEWAY_COUNTERS) {
      const { metric, labelValue } = GATEWAY_COUNTER_METRICS[c];
      const labels =
        metric.label === undefined
          ? '{gateway="c8:25:2d:8e:9c:2c"}'
          : `{gateway="c8:25:2d:8e:9c:2c",${metric.label}="${labelValue!}"}`;
      expect(lines, c).toContain(`${metric.name}${labels} ${counters[c]}`);
    }
    const counterLines = lines.filter((l) => /_total\{/.test(l));
    expect(counterLines).toHaveLength(GATEWAY_COUNTERS.length); // the official gateway has none
    expect(lines).toEqual(
      expect.arrayContaining([
        'mqtt_adapter_gateway_buffered_packets{gateway="c8:25:2d:8e:9c:2c"} 7',
        'mqtt_adapter_gateway_in_flight_packets{gateway="c8:25:2d:8e:9c:2c"} 2',
        'mqtt_adapter_gateway_tags{gateway="c8:25:2d:8e:9c:2c"} 3',
        'mqtt_adapter_gateway_uptime_seconds{gateway="c8:25:2d:8e:9c:2c"} 3600',
        'mqtt_adapter_gateway_online{gateway="c8:25:2d:8e:9c:2c"} 1',
        'mqtt_adapter_gateway_online{gateway="aa:aa:aa:aa:aa:aa"} 1',
        'mqtt_adapter_gateway_last_message_timestamp_seconds{gateway="c8:25:2d:8e:9c:2c"} 1700000000',
        'mqtt_adapter_gateway_last_message_timestamp_seconds{gateway="aa:aa:aa:aa:aa:aa"} 1700000001',
      ]),
    );
  });

  it('follows a reboot: the counters start again, as Prometheus expects of a counter reset', async () => {
    const registry = new Registry();
    const board = new GatewayBoard();
    new GatewayMetrics(registry, board);
    board.status({ gatewayId: 'gw', online: true, report }, 1000);
    const rebooted = { ...report, uptimeSeconds: 5, counters: { ...counters, relayed: 1 } };
    board.status({ gatewayId: 'gw', online: true, report: rebooted }, 2000);
    expect(await scrape(registry)).toContain('mqtt_adapter_gateway_relayed_total{gateway="gw"} 1');
  });
});
