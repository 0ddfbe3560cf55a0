import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from './config.js';

/** Every fixed port the stack listens on, from its default configuration. */
function listeningPorts(): Array<[string, number]> {
  const c = loadStackConfig({});
  return [
    ...c.kafka.ports.map((p, i): [string, number] => [`kafka-${i + 1}`, p]),
    ...c.kafka.controllerPorts.map((p, i): [string, number] => [`kafka-${i + 1} controller`, p]),
    ...c.kafka.jmxPorts.map((p, i): [string, number] => [`kafka-${i + 1} JMX`, p]),
    ['registry', c.registry.port],
    ['postgres', c.postgres.port],
    ['mosquitto', c.mqtt.port],
    ['prometheus', c.prometheus.port],
    ['alertmanager', c.alertmanager.port],
    ['node exporter', c.nodeExporter.port],
    ['postgres exporter', c.postgresExporter.port],
    ['smtp', c.smtp.port],
    ['smtp http', c.smtp.httpPort],
    ...Object.entries(c.workloadMetricsPorts),
  ];
}

describe('stack configuration', () => {
  // A port inside the range the kernel hands out to outgoing connections can be taken by any
  // client while its service is stopped (a restart then fails with "Address already in use").
  it('listens on no default port inside the ephemeral range', () => {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number) as [number, number];
    const inside = listeningPorts().filter(([, p]) => p >= low && p <= high);
    expect(inside, `ephemeral range ${low}-${high}`).toEqual([]);
  });

  it('gives every part its own port', () => {
    const ports = listeningPorts().map(([, p]) => p);
    expect(new Set(ports).size).toBe(ports.length);
  });
});
