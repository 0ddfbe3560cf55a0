import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadStackConfig } from './config.js';
import { PostgresService } from './services/postgres.js';

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

describe('the stack database flavour (POSTGRES_FLAVOR)', () => {
  it('is TimescaleDB by default and with auto or timescale; native keeps plain PostgreSQL', () => {
    expect(loadStackConfig({}).postgres.flavor).toBe('timescale');
    expect(loadStackConfig({ POSTGRES_FLAVOR: 'auto' }).postgres.flavor).toBe('timescale');
    expect(loadStackConfig({ POSTGRES_FLAVOR: 'timescale' }).postgres.flavor).toBe('timescale');
    expect(loadStackConfig({ POSTGRES_FLAVOR: 'native' }).postgres.flavor).toBe('native');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadStackConfig({ POSTGRES_FLAVOR: 'timescaledb' })).toThrow(
      /POSTGRES_FLAVOR.*'timescaledb' is not one of auto, timescale, native/,
    );
  });
});

describe('the PostgreSQL server the stack runs', () => {
  const settings = (env: NodeJS.ProcessEnv) => {
    const [program] = new PostgresService(
      loadStackConfig({ IOTPIPE_STATE_DIR: '/tmp/x', ...env }),
    ).programs();
    const args = program!.command;
    return args.flatMap((a, i) => (args[i - 1] === '-c' ? [a] : []));
  };

  it('preloads TimescaleDB with telemetry off, unless POSTGRES_FLAVOR=native', () => {
    expect(settings({})).toEqual(
      expect.arrayContaining(['shared_preload_libraries=timescaledb', 'timescaledb.telemetry_level=off']),
    );
    expect(settings({ POSTGRES_FLAVOR: 'native' }).filter((s) => s.includes('timescaledb'))).toEqual([]);
  });

  it('needs the TimescaleDB library only for the timescale flavour, and says how to get it', () => {
    const needs = (env: NodeJS.ProcessEnv) =>
      new PostgresService(loadStackConfig(env))
        .requires()
        .filter((r) => r.binary.endsWith('/timescaledb.so'));
    expect(needs({})).toEqual([
      {
        binary: '/usr/lib/postgresql/15/lib/timescaledb.so',
        fix: expect.stringMatching(/make deps.*POSTGRES_FLAVOR=native/),
      },
    ]);
    expect(needs({ POSTGRES_FLAVOR: 'native' })).toEqual([]);
  });
});
