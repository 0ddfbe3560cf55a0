import { describe, expect, it } from 'vitest';
import { mosquittoClientArgs, parseConsumerPerformance, parseProducerPerformance } from './tool-ceilings.js';

describe("the parts' own tools", () => {
  it("reads ProducerPerformance's summary, not its progress lines", () => {
    const out = [
      '452001 records sent, 90400.2 records/sec (9.12 MB/sec), 120.3 ms avg latency, 410.0 ms max latency.',
      '1000000 records sent, 191571.3 records/sec (19.31 MB/sec), 95.21 ms avg latency, 412.00 ms max latency, 87 ms 50th, 210 ms 95th, 300 ms 99th, 400 ms 99.9th.',
    ].join('\n');
    expect(parseProducerPerformance(out)).toEqual({ recordsPerSec: 191571.3, mbPerSec: 19.31 });
    expect(() => parseProducerPerformance('ERROR Connection refused')).toThrow(/no summary line.*refused/);
  });

  it("reads ConsumerPerformance's fetch rate and count by column name", () => {
    const out = [
      'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec',
      '2026-12-06 11:50:00:000, 2026-12-06 11:50:04:000, 100.8, 25.2, 1000000, 250000.0, 3000, 1031, 97.7, 969462.6',
    ].join('\n');
    expect(parseConsumerPerformance(out)).toEqual({ recordsPerSec: 969462.6, records: 1000000 });
    expect(() => parseConsumerPerformance('WARN timeout')).toThrow(/no result/);
  });

  it('gives the C clients the address, TLS CA and login of the URL', () => {
    expect(mosquittoClientArgs('mqtt://127.0.0.1:1883', { username: 'u', password: 'p' })).toEqual([
      '-h',
      '127.0.0.1',
      '-p',
      '1883',
      '-V',
      'mqttv5',
      '-u',
      'u',
      '-P',
      'p',
    ]);
    expect(mosquittoClientArgs('mqtts://localhost', { caFile: '/ca.crt' })).toEqual([
      '-h',
      'localhost',
      '-p',
      '8883',
      '-V',
      'mqttv5',
      '--cafile',
      '/ca.crt',
    ]);
  });
});
