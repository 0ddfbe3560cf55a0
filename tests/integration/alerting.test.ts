import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { StoredMail } from '../../local/src/index.js';
import { localStack, stackEndpoints } from '../support/stack.js';

/**
 * Alerting end to end on the local stack: the repo's rules loaded by the running Prometheus,
 * Alertmanager routing/grouping/inhibition as generated, and a real broker stop turning into an
 * email at the SMTP sink, then a resolved notice once the broker is back.
 */
const stack = localStack();
const prometheus = stackEndpoints.prometheusUrl;
const alertmanager = stackEndpoints.alertmanagerUrl;
const RULES_FILE = 'monitoring/rules/iotpipe.rules.yml';
/** The rule groups the file declares: Prometheus must load every one of them. */
const ruleGroupNames = (
  parse(readFileSync(new URL(`../../${RULES_FILE}`, import.meta.url), 'utf8')) as {
    groups: Array<{ name: string }>;
  }
).groups
  .map((g) => g.name)
  .sort();

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function mails(): Promise<StoredMail[]> {
  return json<StoredMail[]>(`${stackEndpoints.mailUrl}/api/messages`);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface AmAlert {
  labels: Record<string, string>;
  receivers: Array<{ name: string }>;
  status: { state: string; inhibitedBy: string[] };
}

/** Makes the running Prometheus and Alertmanager use the configs this tree generates. */
async function applyGeneratedConfigs(): Promise<void> {
  const ctx = { config: stack.config, log: () => {}, asRoot: process.getuid?.() === 0 };
  for (const name of ['prometheus', 'alertmanager']) {
    const service = stack.services.find((s) => s.name === name)!;
    await service.prepare(ctx);
  }
  for (const url of [prometheus, alertmanager]) {
    const res = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(res.status, `reload ${url}`).toBe(200);
  }
}

beforeAll(async () => {
  await applyGeneratedConfigs();
});

describe('the local Prometheus and Alertmanager', () => {
  it('load monitoring/rules/iotpipe.rules.yml and scrape every part of the stack', async () => {
    const rules = await until(
      'the iotpipe rule groups',
      async () => {
        const r = await json<{
          data: { groups: Array<{ name: string; file: string; rules: Array<{ name: string }> }> };
        }>(`${prometheus}/api/v1/rules?type=alert`);
        const groups = r.data.groups.filter((g) => g.file.endsWith(RULES_FILE));
        const loaded = groups.map((g) => g.name).sort();
        return loaded.join() === ruleGroupNames.join() ? groups : undefined;
      },
      30_000,
    );
    const names = rules.flatMap((g) => g.rules.map((r) => r.name));
    expect(names).toContain('KafkaBrokerDown');
    expect(names).toContain('IotDeviceSilent');
    const targets = await json<{
      data: { activeTargets: Array<{ labels: { job: string }; health: string; scrapeUrl: string }> };
    }>(`${prometheus}/api/v1/targets`);
    const healthy = new Set(
      targets.data.activeTargets.filter((t) => t.health === 'up').map((t) => t.labels.job),
    );
    // The stack's own parts must all be up; the pipeline's processes only while they run.
    for (const job of ['prometheus', 'alertmanager', 'node', 'postgres', 'kafka', 'registry']) {
      expect(healthy.has(job), `${job} scraped`).toBe(true);
    }
    expect(targets.data.activeTargets.filter((t) => t.labels.job === 'kafka')).toHaveLength(3);
  });

  it('route by severity to two mailboxes and inhibit as configured (synthetic alerts)', async () => {
    const namespace = `it-am-${randomBytes(3).toString('hex')}`;
    const base = { namespace, pipeline: 'p1' };
    const alert = (labels: Record<string, string>) => ({
      labels: { ...base, ...labels },
      annotations: { summary: `synthetic ${labels.alertname} for ${namespace}` },
      startsAt: new Date().toISOString(),
      endsAt: new Date(Date.now() + 10 * 60_000).toISOString(),
    });
    const posted = [
      alert({ alertname: 'KafkaBrokerDown', severity: 'critical', instance: 'b3' }),
      alert({ alertname: 'KafkaUnderReplicatedPartitions', severity: 'warning', instance: 'b1' }),
      alert({ alertname: 'IotConsumerLagHigh', severity: 'critical', job: 'iotpipe-sink', topic: 't' }),
      alert({ alertname: 'IotConsumerLagHigh', severity: 'warning', job: 'iotpipe-sink', topic: 't' }),
      alert({ alertname: 'IotDeviceSilent', severity: 'warning', device_type: 'temperature_sensor' }),
    ];
    const post = (body: unknown) =>
      fetch(`${alertmanager}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post(posted)).status).toBe(200);
    try {
      const got = await until(
        'Alertmanager to hold the five alerts',
        async () => {
          const a = await json<AmAlert[]>(
            `${alertmanager}/api/v2/alerts?filter=${encodeURIComponent(`namespace="${namespace}"`)}`,
          );
          return a.length === 5 ? a : undefined;
        },
        30_000,
      );
      const find = (name: string, severity: string) =>
        got.find((a) => a.labels.alertname === name && a.labels.severity === severity)!;
      expect(find('KafkaBrokerDown', 'critical').receivers.map((r) => r.name)).toEqual(['email-critical']);
      expect(find('IotDeviceSilent', 'warning').receivers.map((r) => r.name)).toEqual(['email-warning']);
      expect(find('KafkaUnderReplicatedPartitions', 'warning').status.state).toBe('suppressed');
      expect(find('KafkaUnderReplicatedPartitions', 'warning').status.inhibitedBy).not.toEqual([]);
      expect(find('IotConsumerLagHigh', 'warning').status.inhibitedBy).not.toEqual([]);
      expect(find('IotConsumerLagHigh', 'critical').status.state).toBe('active');
      expect(find('IotDeviceSilent', 'warning').status.state).toBe('active');
      expect(find('KafkaBrokerDown', 'critical').status.state).toBe('active');

      // Critical mail goes to oncall after 5 s, warning to the team after 30 s, one mail per
      // alertname group; inhibited alerts are not mailed.
      const ours = async () => (await mails()).filter((m) => m.text.includes(namespace));
      const delivered = await until(
        'the critical and warning mails',
        async () => {
          const m = await ours();
          const critical = m.filter((x) => x.to.includes('oncall@iotpipe.local'));
          const warning = m.filter((x) => x.to.includes('team@iotpipe.local'));
          return critical.length >= 2 && warning.length >= 1 ? { critical, warning } : undefined;
        },
        90_000,
      );
      expect(delivered.critical.map((m) => m.subject).sort()).toEqual([
        expect.stringMatching(/^\[FIRING:1\] IotConsumerLagHigh /),
        expect.stringMatching(/^\[FIRING:1\] KafkaBrokerDown /),
      ]);
      expect(delivered.warning.map((m) => m.subject)).toEqual([
        expect.stringMatching(/^\[FIRING:1\] IotDeviceSilent /),
      ]);
      expect((await ours()).some((m) => m.subject.includes('KafkaUnderReplicatedPartitions'))).toBe(false);
    } finally {
      // Resolve them so they leave Alertmanager (and mail their resolved notices).
      await post(posted.map((a) => ({ ...a, endsAt: new Date().toISOString() })));
    }
  });
});

describe('a Kafka broker stops', () => {
  // Expected: scrape fails within 15 s, the next evaluation (<= 15 s) makes KafkaBrokerDown
  // pending, `for: 30s` + one evaluation (<= 15 s) makes it fire, Alertmanager's critical route
  // mails after group_wait 5 s: at most ~80 s; the test allows 150 s.
  const FIRING_WITHIN_MS = 150_000;
  // Resolved: the broker restarts (~10-30 s), is scraped and evaluated (<= 30 s), Alertmanager
  // sends the resolved notice at the group's next flush (group_interval 30 s): ~90 s; 180 s allowed.
  const RESOLVED_WITHIN_MS = 180_000;
  const broker = 'kafka-3';
  const instance = `${stack.config.host}:${stack.config.kafka.jmxPorts[2]}`;
  let stopped = false;

  afterAll(async () => {
    if (stopped) await stack.supervisor.start(broker);
  });

  it('mails KafkaBrokerDown for that broker, then the resolved notice after it is back', async () => {
    const isOurs = (m: StoredMail, since: number) =>
      Date.parse(m.receivedAt) >= since && m.subject.includes('KafkaBrokerDown') && m.text.includes(instance);
    const stoppedAt = Date.now();
    stopped = true;
    let firingAfterMs = 0;
    try {
      await stack.supervisor.stop(broker);
      const firing = await until(
        'the KafkaBrokerDown mail',
        async () => (await mails()).find((m) => isOurs(m, stoppedAt) && m.subject.startsWith('[FIRING')),
        FIRING_WITHIN_MS,
      );
      firingAfterMs = Date.parse(firing.receivedAt) - stoppedAt;
      expect(firing.to).toEqual(['oncall@iotpipe.local']);
      expect(firing.text).toContain('severity');
      expect(firing.text).toContain('critical');
    } finally {
      await stack.supervisor.start(broker);
      stopped = false;
    }
    const restartedAt = Date.now();
    const resolved = await until(
      'the resolved notice',
      async () => (await mails()).find((m) => isOurs(m, restartedAt) && m.subject.startsWith('[RESOLVED]')),
      RESOLVED_WITHIN_MS,
    );
    console.log(
      `KafkaBrokerDown: mail ${Math.round(firingAfterMs / 1000)} s after the stop; resolved notice ${Math.round(
        (Date.parse(resolved.receivedAt) - restartedAt) / 1000,
      )} s after the restart`,
    );
    expect(resolved.to).toEqual(['oncall@iotpipe.local']);
    // The broker is back and healthy before the next suite runs.
    const kafka3 = stack.services.find((s) => s.name === broker)!;
    await until('kafka-3 healthy', async () => ((await kafka3.probe()).ok ? true : undefined), 120_000);
  });
});
