import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import type { Consumer } from 'kafkajs';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapterConfig, MqttKafkaAdapter } from '../../workloads/src/adapter/index.js';
import { bytesToHex, encodeFormat5Advertisement } from '../../workloads/src/ruuvi/index.js';
import { createTopic, grantStages, kafkaClient, stackConfig, uniqueName } from '../support/stack.js';
import {
  collect,
  decodeConfluent,
  fetchSchemaText,
  kafkaClientEnv,
  publisher,
  registryUrl,
  scrape,
  topicSize,
  waitFor,
  type Collected,
} from './adapter-support.js';

const quiet = { info: () => {}, warn: () => {} };

async function createTopicWith(
  topic: string,
  configEntries: Array<{ name: string; value: string }>,
): Promise<void> {
  await createTopic(topic, 3, [{ name: 'min.insync.replicas', value: '2' }, ...configEntries]);
}

interface Harness {
  topic: string;
  dlq: string;
  prefix: string;
  adapter: MqttKafkaAdapter;
  readings: { records: Collected[]; consumer: Consumer };
  deadLetters: { records: Collected[]; consumer: Consumer };
}

async function startHarness(
  extraEnv: Record<string, string> = {},
  topicConfig: Array<{ name: string; value: string }> = [],
): Promise<Harness> {
  const topic = uniqueName('it-adapter');
  const dlq = `${topic}-dlq`;
  const prefix = `${topic}/`;
  if (topicConfig.length === 0) await createTopic(topic, 3);
  else await createTopicWith(topic, topicConfig);
  await createTopic(dlq, 1);
  await grantStages({ topic, dlqTopic: dlq }, ['adapter']);
  const adapter = new MqttKafkaAdapter(
    loadAdapterConfig({
      KAFKA_TOPIC: topic,
      KAFKA_DLQ_TOPIC: dlq,
      ADAPTER_TOPIC_PREFIX: prefix,
      ADAPTER_MQTT_CLIENT_ID: topic,
      ADAPTER_SHARED_GROUP: topic,
      ADAPTER_METRICS_PORT: '0',
      ADAPTER_METRICS_HOST: '127.0.0.1',
      // The broker forgets these test sessions soon after the suite.
      ADAPTER_SESSION_EXPIRY_S: '300',
      ...kafkaClientEnv,
      ...extraEnv,
    }),
    quiet,
  );
  await adapter.start();
  return { topic, dlq, prefix, adapter, readings: await collect(topic), deadLetters: await collect(dlq) };
}

async function stopHarness(h: Harness | undefined): Promise<void> {
  if (!h) return;
  await h.adapter.stop();
  await h.readings.consumer.disconnect();
  await h.deadLetters.consumer.disconnect();
}

/** Waits until the adapter has handled `n` messages and holds none in flight. */
async function quiesce(h: Harness, n: number): Promise<Map<string, number>> {
  let m = new Map<string, number>();
  await waitFor(`${n} messages handled`, async () => {
    m = await scrape(h.adapter.metricsPort);
    const received = [...m]
      .filter(([k]) => k.startsWith('mqtt_adapter_messages_received_total'))
      .reduce((s, [, v]) => s + v, 0);
    const acked = m.get('mqtt_adapter_delivery_latency_seconds_count') ?? 0;
    return received >= n && acked >= n && m.get('mqtt_adapter_in_flight_messages') === 0;
  });
  return m;
}

describe('adapter: MQTT -> Kafka on the local stack', () => {
  let pub: MqttClient;
  beforeAll(async () => {
    pub = await publisher();
  });
  afterAll(async () => {
    await pub?.endAsync();
  });

  describe('every accepted format', () => {
    let h: Harness | undefined;
    afterAll(() => stopHarness(h));

    it('gives exactly the expected readings, decoded with the registry schema by an independent consumer', async () => {
      h = await startHarness();
      const p = (t: string, payload: string) => pub.publishAsync(`${h!.prefix}${t}`, payload, { qos: 1 });
      const expected = new Map<
        string,
        { value: number; source: string; time_source: string; device_id: string }
      >();
      const nowS = Math.floor(Date.now() / 1000);
      let messages = 0;

      // Ruuvi Gateway: 10 tags x 2 packets, each heard by two gateways (one clock-synced, one
      // not): 40 messages, 20 packets -> 7 readings each; the second hearing is a duplicate.
      for (let tag = 0; tag < 10; tag++) {
        const mac = `CB:B8:33:4C:88:${(0x10 + tag).toString(16).toUpperCase()}`;
        for (let seq = 100; seq < 102; seq++) {
          const values = {
            mac,
            temperature: 20 + tag * 0.5,
            humidity: 40 + seq - 100,
            pressure: 100_000 + tag,
            accelerationX: 0.004,
            accelerationY: -0.004,
            accelerationZ: 1.036,
            batteryVoltage: 2.977,
            txPower: 4,
            movementCounter: 66,
            measurementSequence: seq,
          };
          const data = bytesToHex(encodeFormat5Advertisement(values));
          const synced = {
            gw_mac: 'C8:25:2D:8E:9C:2C',
            rssi: -62,
            aoa: [],
            gwts: String(nowS),
            ts: String(nowS),
            data,
            coords: '',
          };
          const unsynced = { gw_mac: 'C8:25:2D:8E:9C:2D', rssi: -80, aoa: [], data, coords: '' };
          await p(`ruuvi/C8:25:2D:8E:9C:2C/${mac}`, JSON.stringify(synced));
          await p(`ruuvi/C8:25:2D:8E:9C:2D/${mac}`, JSON.stringify(unsynced));
          messages += 2;
          const m = mac.toLowerCase();
          const each: Array<[string, number]> = [
            ['temperature', values.temperature],
            ['humidity', values.humidity],
            ['pressure', values.pressure],
            ['acceleration_x', 0.004],
            ['acceleration_y', -0.004],
            ['acceleration_z', 1.036],
            ['movement_counter', 66],
          ];
          for (const [kind, value] of each) {
            // Either gateway's hearing may be the one kept: the time source is either.
            expected.set(`${m}_${kind}#${seq}`, {
              value,
              source: 'RUUVI_GATEWAY',
              time_source: '*',
              device_id: `${m}_${kind}`,
            });
          }
        }
      }
      // ESP32 decoded JSON: 20 tags, 3 measurements each, no clock and no sequence.
      for (let i = 0; i < 20; i++) {
        const mac = `C6:8D:C6:26:39:${(0x20 + i).toString(16).toUpperCase()}`;
        await p(
          'ruuvitag/data',
          JSON.stringify({
            mac,
            temperature: 10 + i,
            humidity: 50,
            pressure: 101_000,
            // Tag 0 is below Ruuvi's battery-low threshold for +10 °C (2.5 V).
            battery: i === 0 ? 2.4 : 3.0,
            rssi: -70,
            sequence: 7000 + i,
          }),
        );
        messages++;
        for (const [kind, value] of [
          ['temperature', 10 + i],
          ['humidity', 50],
          ['pressure', 101_000],
        ] as const) {
          expected.set(`${mac.toLowerCase()}_${kind}#${7000 + i}`, {
            value,
            source: 'ESP32_GATEWAY',
            time_source: 'ADAPTER',
            device_id: `${mac.toLowerCase()}_${kind}`,
          });
        }
      }
      // Simulator: 10 single objects and 5 batches of 20; values must pass through exactly.
      const sim = (dev: number, seq: number) => ({
        device_id: `sim-${dev}_temperature`,
        device_type: 'temperature_sensor',
        timestamp: new Date(Date.UTC(2026, 10, 27, 6, 0, seq)).toISOString(),
        value: 0.1 + 0.2 + seq / 3,
        unit: '°C',
        sequence: seq,
        battery_level: null,
        signal_strength: -60,
        firmware_version: 'sim-1.0',
        location: { latitude: 60.17, longitude: 24.94, building: 'HQ', floor: 3, zone: 'lab' },
        metadata: { run: 'it' },
      });
      for (let i = 0; i < 10; i++) {
        await p(`iotpipe/sim/single`, JSON.stringify(sim(1, i)));
        messages++;
      }
      for (let b = 0; b < 5; b++) {
        const batch = Array.from({ length: 20 }, (_, j) => sim(2, b * 20 + j));
        await p(`iotpipe/sim/batch`, JSON.stringify(batch));
        messages++;
      }
      for (let i = 0; i < 10; i++)
        expected.set(`sim-1_temperature#${i}`, {
          value: 0.1 + 0.2 + i / 3,
          source: 'SIMULATOR',
          time_source: 'DEVICE',
          device_id: 'sim-1_temperature',
        });
      for (let s = 0; s < 100; s++)
        expected.set(`sim-2_temperature#${s}`, {
          value: 0.1 + 0.2 + s / 3,
          source: 'SIMULATOR',
          time_source: 'DEVICE',
          device_id: 'sim-2_temperature',
        });

      const metrics = await quiesce(h, messages);
      expect(expected.size).toBe(140 + 60 + 110);
      expect(await topicSize(h.topic)).toBe(expected.size);
      await waitFor('all readings consumed', () => h!.readings.records.length >= expected.size);

      const seen = new Set<string>();
      for (const rec of h.readings.records) {
        const { value: r } = await decodeConfluent(rec.value);
        const want = expected.get(r.reading_id as string);
        expect(want, `unexpected reading ${String(r.reading_id)}`).toBeDefined();
        expect(seen.has(r.reading_id as string)).toBe(false);
        seen.add(r.reading_id as string);
        expect(rec.key).toBe(r.device_id);
        expect(r.device_id).toBe(want!.device_id);
        expect(r.value).toBeCloseTo(want!.value, r.source === 'SIMULATOR' ? 15 : 6);
        if (r.source === 'SIMULATOR') expect(r.value).toBe(want!.value);
        expect(r.source).toBe(want!.source);
        if (want!.time_source !== '*') expect(r.time_source).toBe(want!.time_source);
        if (r.source === 'RUUVI_GATEWAY') {
          expect(r.battery_level).toBeCloseTo(2.977, 3);
          expect(r.metadata).toMatchObject({ data_format: '5', tx_power: '4' });
          expect(r.measurement_sequence).toBeGreaterThanOrEqual(100);
        }
        if (r.source === 'ESP32_GATEWAY') {
          const lowBattery = String(r.device_id).startsWith('c6:8d:c6:26:39:20_');
          expect(r.is_anomaly).toBe(lowBattery);
          if (lowBattery)
            expect((r.metadata as Record<string, string>).anomaly_reason).toMatch(
              /^battery_low: 2.4 V at 10 °C$/,
            );
        }
        if (r.source === 'SIMULATOR') {
          expect(r.location).toEqual({
            latitude: 60.17,
            longitude: 24.94,
            building: 'HQ',
            floor: 3,
            zone: 'lab',
          });
          expect(typeof r.timestamp).toBe('number');
        }
      }
      expect(seen.size).toBe(expected.size);
      expect(metrics.get('mqtt_adapter_duplicates_dropped_total')).toBe(140);
      expect(metrics.get('mqtt_adapter_readings_produced_total')).toBe(expected.size);
      expect(metrics.get('mqtt_adapter_ruuvitag_devices_seen')).toBe(30);
      expect(await topicSize(h.dlq)).toBe(0);
      const ready = await fetch(`http://127.0.0.1:${h.adapter.metricsPort}/readyz`);
      expect(ready.status).toBe(200);
    });
  });

  describe('bad input', () => {
    let h: Harness | undefined;
    afterAll(() => stopHarness(h));

    it('sends each of the corpus to the DLQ with its reason and keeps delivering the good traffic between them', async () => {
      interface BadCase {
        name: string;
        topic: string;
        payload?: string;
        payload_base64?: string;
        expect: string;
      }
      const corpus = (
        JSON.parse(
          readFileSync(join(stackConfig.repoRoot, 'tests/fixtures/adapter-bad-payloads.json'), 'utf8'),
        ) as { cases: BadCase[] }
      ).cases;
      expect(corpus.length).toBeGreaterThanOrEqual(50);
      h = await startHarness({ ADAPTER_MAX_PAYLOAD_BYTES: '4096', ADAPTER_SUBSCRIPTIONS: '#' });
      const good = (seq: number) =>
        JSON.stringify({
          device_id: 'sim-good_humidity',
          device_type: 'humidity_sensor',
          timestamp: new Date(Date.UTC(2026, 10, 27, 7, 0, seq)).toISOString(),
          value: seq,
          unit: '%',
          sequence: seq,
        });
      const sent = new Map<string, BadCase & { bytes: Buffer }>();
      for (const [i, c] of corpus.entries()) {
        const bytes =
          c.payload_base64 !== undefined
            ? Buffer.from(c.payload_base64, 'base64')
            : Buffer.from(c.payload ?? '', 'utf8');
        const topic = `${h.prefix}${c.topic}`;
        // The DLQ record's source is the MQTT topic; give each case its own to match them up.
        expect(sent.has(`${topic}|${bytes.toString('base64')}`)).toBe(false);
        sent.set(`${topic}|${bytes.toString('base64')}`, { ...c, bytes });
        await pub.publishAsync(topic, bytes, { qos: 1 });
        await pub.publishAsync(`${h.prefix}iotpipe/sim/good`, good(i), { qos: 1 });
      }
      const metrics = await quiesce(h, corpus.length * 2);
      expect(await topicSize(h.dlq)).toBe(corpus.length);
      expect(await topicSize(h.topic)).toBe(corpus.length);
      await waitFor('dead letters consumed', () => h!.deadLetters.records.length >= corpus.length);

      const byCode = new Map<string, number>();
      for (const rec of h.deadLetters.records) {
        const { value: d } = await decodeConfluent(rec.value);
        const original = d.original as Buffer;
        const headers = d.headers as Record<string, string>;
        let key = `${String(d.source)}|${original.toString('base64')}`;
        if (headers.original_truncated === 'true') {
          // Oversized input is kept up to the limit; the header says how long it was.
          expect(original.length).toBe(4096);
          const full = [...sent.entries()].find(
            ([k, c]) =>
              k.startsWith(`${String(d.source)}|`) &&
              c.bytes.length === Number(headers.original_bytes) &&
              c.bytes.subarray(0, 4096).equals(original),
          );
          key = full?.[0] ?? key;
        }
        const c = sent.get(key);
        expect(c, `DLQ record for an unknown input on ${String(d.source)}`).toBeDefined();
        expect(d.error_code, c!.name).toBe(c!.expect);
        expect(d.stage).toBe('adapter');
        expect(d.reason).toMatch(/^[^\n]{5,}$/);
        expect(typeof d.received_at).toBe('number');
        sent.delete(key);
        byCode.set(c!.expect, (byCode.get(c!.expect) ?? 0) + 1);
      }
      expect([...sent.values()].map((c) => c.name)).toEqual([]);
      for (const [code, n] of byCode)
        expect(metrics.get(`mqtt_adapter_dlq_messages_total{error_code="${code}"}`), code).toBe(n);

      await waitFor('good readings consumed', () => h!.readings.records.length >= corpus.length);
      const seqs = new Set<number>();
      for (const rec of h.readings.records)
        seqs.add(Number((await decodeConfluent(rec.value)).value.measurement_sequence));
      expect(seqs.size).toBe(corpus.length);
      expect((await fetch(`http://127.0.0.1:${h.adapter.metricsPort}/readyz`)).status).toBe(200);
    });
  });

  describe('payload formats the pipeline does not accept (ADAPTER_PAYLOAD_FORMATS, the CRD mqtt.payloadFormats)', () => {
    let h: Harness | undefined;
    afterAll(() => stopHarness(h));

    it('go to the DLQ as FORMAT_NOT_ACCEPTED with the format named, however valid; the accepted ones are read', async () => {
      h = await startHarness({ ADAPTER_PAYLOAD_FORMATS: 'simulator,esp32', ADAPTER_SUBSCRIPTIONS: '#' });
      const mac = 'CB:B8:33:4C:88:4F';
      const data = bytesToHex(
        encodeFormat5Advertisement({
          mac,
          temperature: 24.3,
          humidity: 53.49,
          pressure: 100_044,
          accelerationX: 0.004,
          accelerationY: -0.004,
          accelerationZ: 1.036,
          batteryVoltage: 2.977,
          txPower: 4,
          movementCounter: 66,
          measurementSequence: 205,
        }),
      );
      const gateway = { gw_mac: 'C8:25:2D:8E:9C:2C', rssi: -62, aoa: [], data, coords: '' };
      const refused = [
        [`ruuvi/C8:25:2D:8E:9C:2C/${mac}`, JSON.stringify(gateway)],
        ['ruuvi/C8:25:2D:8E:9C:2C/gw_status', JSON.stringify({ state: 'online' })],
      ] as const;
      for (const [t, payload] of refused) await pub.publishAsync(`${h.prefix}${t}`, payload, { qos: 1 });
      const esp32 = { mac: 'C6:8D:C6:26:39:A6', temperature: 21.5, battery: 3.0, rssi: -70, sequence: 9 };
      await pub.publishAsync(`${h.prefix}ruuvitag/data`, JSON.stringify(esp32), { qos: 1 });
      const sim = {
        device_id: 'sim-formats_temperature',
        device_type: 'temperature_sensor',
        timestamp: new Date().toISOString(),
        value: 21,
        unit: '°C',
        sequence: 1,
      };
      await pub.publishAsync(`${h.prefix}iotpipe/sim/formats`, JSON.stringify(sim), { qos: 1 });

      const metrics = await quiesce(h, 4);
      await waitFor('dead letters consumed', () => h!.deadLetters.records.length >= 2);
      const dead = await Promise.all(
        h.deadLetters.records.map(async (r) => (await decodeConfluent(r.value)).value),
      );
      expect(dead.map((d) => [d.source, d.error_code]).sort()).toEqual(
        refused.map(([t]) => [`${h!.prefix}${t}`, 'FORMAT_NOT_ACCEPTED']).sort(),
      );
      for (const d of dead)
        expect(d.reason).toBe(
          'payload format ruuvi-gateway is not one this pipeline accepts (simulator, esp32)',
        );
      expect(metrics.get('mqtt_adapter_dlq_messages_total{error_code="FORMAT_NOT_ACCEPTED"}')).toBe(2);
      await waitFor('accepted readings consumed', () => h!.readings.records.length >= 2);
      const ids = await Promise.all(
        h.readings.records.map(async (r) => (await decodeConfluent(r.value)).value.device_id),
      );
      expect(ids.sort()).toEqual(['c6:8d:c6:26:39:a6_temperature', 'sim-formats_temperature']);
      expect(await topicSize(h.dlq)).toBe(2);
      expect(await topicSize(h.topic)).toBe(2);
    });
  });

  describe('schema evolution', () => {
    let h: Harness | undefined;
    afterAll(() => stopHarness(h));

    it('a second version with a new optional field registers as BACKWARD compatible; old and new readers read both', async () => {
      h = await startHarness();
      await pub.publishAsync(
        `${h.prefix}iotpipe/sim/v1`,
        JSON.stringify({
          device_id: 'sim-evo_light',
          device_type: 'light_sensor',
          timestamp: '2026-11-27T06:00:00.000Z',
          value: 321,
          unit: 'lx',
          sequence: 1,
        }),
        { qos: 1 },
      );
      await quiesce(h, 1);
      await waitFor('v1 record', () => h!.readings.records.length >= 1);
      const subject = `${h.topic}-value`;
      const configRes = await fetch(`${registryUrl}/config/${subject}`);
      expect(((await configRes.json()) as { compatibilityLevel: string }).compatibilityLevel).toBe(
        'BACKWARD',
      );

      const v1Text = await fetchSchemaText(h.readings.records[0]!.value.readInt32BE(1));
      const v1Json = JSON.parse(v1Text) as { fields: unknown[] };
      const v2Json = {
        ...v1Json,
        fields: [...v1Json.fields, { name: 'quality', type: ['null', 'string'], default: null }],
      };
      const post = (path: string, schema: unknown) =>
        fetch(`${registryUrl}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
          body: JSON.stringify({ schema: JSON.stringify(schema) }),
        });
      const check = await post(`/compatibility/subjects/${subject}/versions/latest`, v2Json);
      expect(((await check.json()) as { is_compatible: boolean }).is_compatible).toBe(true);
      const registered = await post(`/subjects/${subject}/versions`, v2Json);
      expect(registered.status).toBe(200);
      const v2Id = ((await registered.json()) as { id: number }).id;
      // A required field without default is not BACKWARD compatible and is refused.
      const breaking = { ...v1Json, fields: [...v1Json.fields, { name: 'required_new', type: 'string' }] };
      expect((await post(`/subjects/${subject}/versions`, breaking)).status).toBe(409);

      // A new writer (v2) produces through Kafka next to the adapter's v1 record.
      const v1 = avro.Type.forSchema(v1Json as avro.Schema);
      const v2 = avro.Type.forSchema(v2Json as avro.Schema);
      const newRecord = {
        ...(await decodeConfluent(h.readings.records[0]!.value)).value,
        reading_id: 'sim-evo_light#2',
        measurement_sequence: 2,
        quality: 'good',
      };
      const body = v2.toBuffer(newRecord);
      const header = Buffer.alloc(5);
      header.writeInt32BE(v2Id, 1);
      const producer = kafkaClient().producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic: h.topic,
        acks: -1,
        messages: [{ key: 'sim-evo_light', value: Buffer.concat([header, body]) }],
      });
      await producer.disconnect();
      await waitFor('v2 record', () => h!.readings.records.length >= 2);

      for (const rec of h.readings.records) {
        const old = await decodeConfluent(rec.value, v1); // an old consumer
        const neu = await decodeConfluent(rec.value, v2); // a new consumer
        expect(old.value.device_id).toBe('sim-evo_light');
        expect('quality' in old.value).toBe(false);
        expect(neu.value.quality).toBe(old.value.measurement_sequence === 2 ? 'good' : null);
        expect(neu.value.value).toBe(321);
      }
    });
  });

  describe('records Kafka refuses', () => {
    let h: Harness | undefined;
    afterAll(() => stopHarness(h));

    it('go to the DLQ as KAFKA_REJECTED while the small writes coalesced with them still land', async () => {
      // A topic that takes record batches of at most 1 KiB: a big simulator batch can never fit,
      // and several small messages coalesced into one request may not either.
      h = await startHarness({}, [{ name: 'max.message.bytes', value: '1024' }]);
      const reading = (dev: number, seq: number) => ({
        device_id: `sim-big-${dev}_light`,
        device_type: 'light_sensor',
        timestamp: new Date(Date.UTC(2026, 10, 27, 9, 0, 0, seq)).toISOString(),
        value: seq,
        unit: 'lx',
        sequence: seq,
        metadata: { note: 'x'.repeat(40) },
      });
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < 30; i++) {
        sends.push(
          pub.publishAsync(`${h.prefix}iotpipe/sim/small`, JSON.stringify(reading(0, i)), { qos: 1 }),
        );
        if (i % 10 === 5) {
          const big = Array.from({ length: 300 }, (_, j) => reading(j % 3, 1000 * (i + 1) + j));
          sends.push(pub.publishAsync(`${h.prefix}iotpipe/sim/big`, JSON.stringify(big), { qos: 1 }));
        }
      }
      await Promise.all(sends);
      const metrics = await quiesce(h, 33);
      expect(metrics.get('mqtt_adapter_dlq_messages_total{error_code="KAFKA_REJECTED"}')).toBe(3);
      expect(await topicSize(h.dlq)).toBe(3);
      // Every small reading landed. Kafka accepts or rejects a produce request per partition, so
      // when a combined request is rejected, its members resent alone may land a second time:
      // Kafka delivery is at least once, and the sink's natural key stores each reading once.
      const landedSize = await topicSize(h.topic);
      expect(landedSize).toBeGreaterThanOrEqual(30);
      await waitFor('readings consumed', () => h!.readings.records.length >= landedSize);
      const ids = new Set<string>();
      for (const rec of h.readings.records)
        ids.add(String((await decodeConfluent(rec.value)).value.reading_id));
      expect([...ids].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `sim-big-0_light#${i}`).sort());
      await waitFor('dead letters consumed', () => h!.deadLetters.records.length >= 3);
      for (const rec of h.deadLetters.records) {
        const { value: d } = await decodeConfluent(rec.value);
        expect(d.source).toBe(`${h.prefix}iotpipe/sim/big`);
        expect(d.reason).toMatch(/Kafka rejected/);
        expect((JSON.parse((d.original as Buffer).toString('utf8')) as unknown[]).length).toBe(300);
      }
    });
  });
});
