import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { loadStackConfig, stackAdminKafka, KAFKA_ACCOUNTS, stackKafkaConfig } from '/work/wt/i18kafka/local/dist/index.js';
import { KafkaBrokerService, provisionKafka } from '/work/wt/i18kafka/local/dist/services/kafka.js';
import { Kafka, logLevel } from 'kafkajs';
const c = loadStackConfig();
const ctx = { log: (l) => console.log(l), asRoot: false };
const nodes = [1, 2, 3].map((n) => new KafkaBrokerService(c, n));
const kids = [];
try {
  for (const n of nodes) await n.prepare(ctx);
  for (const n of nodes) {
    const [p] = n.programs();
    const out = createWriteStream(`/tmp/i18kafka-try-${n.name}.log`);
    const k = spawn(p.command[0], p.command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    k.stdout.pipe(out); k.stderr.pipe(out);
    kids.push(k);
  }
  const deadline = Date.now() + 120000;
  for (const n of nodes) {
    for (;;) {
      const r = await n.probe();
      if (r.ok) { console.log(n.name, r.detail); break; }
      if (Date.now() > deadline) throw new Error(`${n.name}: ${r.detail}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  await provisionKafka(c, (l) => console.log(l));
  const admin = stackAdminKafka(c, 'try').admin();
  await admin.connect();
  console.log('acls', JSON.stringify((await admin.describeAcls({ resourceType: 1, resourcePatternType: 1, operation: 1, permissionType: 1 })).resources.length));
  await admin.disconnect();
  const sink = new Kafka({ clientId: 'try-sink', brokers: c.kafka.ports.map((p) => `${c.host}:${p}`), ...stackKafkaConfig(c, KAFKA_ACCOUNTS.sink), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const prod = sink.producer();
  await prod.connect();
  try { await prod.send({ topic: 'iot-sensor-data', messages: [{ value: 'x' }] }); console.log('SINK WROTE (bad)'); } catch (e) { console.log('sink write refused:', e.name, e.type, e.message); }
  await prod.disconnect();
  const ad = new Kafka({ clientId: 'try-ad', brokers: c.kafka.ports.map((p) => `${c.host}:${p}`), ...stackKafkaConfig(c, KAFKA_ACCOUNTS.adapter), logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const p2 = ad.producer(); await p2.connect();
  await p2.send({ topic: 'iot-sensor-data', acks: -1, messages: [{ value: 'x' }] }); console.log('adapter wrote ok');
  await p2.disconnect();
} finally {
  for (const k of kids) k.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 8000));
  for (const k of kids) if (k.exitCode === null) k.kill('SIGKILL');
}
