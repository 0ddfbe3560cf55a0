/**
 * Ceilings measured with the parts' own tools rather than our clients, so that "the pipeline is
 * at N% of Kafka" says something about the pipeline and not about our Node clients: Kafka's
 * ProducerPerformance and ConsumerPerformance from the jars the stack runs, and Mosquitto's own C
 * clients (mosquitto_pub, mosquitto_sub from Debian's mosquitto-clients).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackConfig } from '@iotpipe/local';
import { artifactPaths } from '../../local/src/fetch.js';
import { findJava } from '../../local/src/java.js';
import { ratePerSec } from './stats.js';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runTool(
  command: string,
  args: readonly string[],
  stdin?: string,
  timeoutMs = 180_000,
): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${command}: ${err.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined && child.stdin) child.stdin.end(stdin);
  });
}

function failed(what: string, r: Finished): Error {
  const tail = (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ');
  return new Error(`${what} exited ${String(r.code)}: ${tail}`);
}

/** ProducerPerformance's summary: "N records sent, R records/sec (M MB/sec), ...". Pure. */
export function parseProducerPerformance(stdout: string): { recordsPerSec: number; mbPerSec: number } {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => /records sent/.test(l) && /records\/sec/.test(l));
  const m = line?.match(/([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/);
  if (!m) throw new Error(`ProducerPerformance printed no summary line: ${stdout.trim().slice(-200)}`);
  return { recordsPerSec: Number(m[1]), mbPerSec: Number(m[2]) };
}

/**
 * ConsumerPerformance's CSV (header, then one row): the fetch rate, which leaves out the group
 * join ("fetch.nMsg.sec"), and the records read ("data.consumed.in.nMsg"). Pure.
 */
export function parseConsumerPerformance(stdout: string): { recordsPerSec: number; records: number } {
  const lines = stdout.split('\n').filter((l) => l.includes(','));
  const header = lines.findIndex((l) => l.includes('fetch.nMsg.sec'));
  const row = header >= 0 ? lines[header + 1] : undefined;
  if (header < 0 || row === undefined)
    throw new Error(`ConsumerPerformance printed no result: ${stdout.trim().slice(-200)}`);
  const names = lines[header]!.split(',').map((s) => s.trim());
  const values = row.split(',').map((s) => s.trim());
  const value = (name: string): number => Number(values[names.indexOf(name)]);
  return { recordsPerSec: value('fetch.nMsg.sec'), records: value('data.consumed.in.nMsg') };
}

export interface KafkaToolCeiling {
  produce_records_per_s: number;
  produce_mb_per_s: number;
  consume_records_per_s: number;
  record_bytes: number;
  compression: string;
}

/**
 * Kafka's own producer then consumer on `topic` (made by the caller as the pipeline's topic is:
 * 6 partitions, replication 3, min ISR 2): `records` records of `recordBytes` (the mean size of
 * our Avro records), acks=all, the tool's other defaults. `clientProperties` are what the client
 * needs to log in (security.protocol, sasl.*, ssl.*), written to a file both tools read.
 */
export async function kafkaToolCeiling(
  stack: StackConfig,
  workDir: string,
  opts: {
    brokers: readonly string[];
    topic: string;
    group: string;
    records: number;
    recordBytes: number;
    compression: 'none' | 'lz4' | 'zstd';
    clientProperties: Readonly<Record<string, string>>;
  },
): Promise<KafkaToolCeiling> {
  const java = await findJava(17, stack.cacheDir, 'IOTPIPE_KAFKA_JAVA');
  const classpath = `${artifactPaths(stack).kafkaLibs}/*`;
  const config = join(workDir, `${opts.topic}.properties`);
  await writeFile(
    config,
    Object.entries(opts.clientProperties)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(''),
    { mode: 0o600 },
  );
  const bootstrap = opts.brokers.join(',');
  const produced = await runTool(java, [
    '-cp',
    classpath,
    'org.apache.kafka.tools.ProducerPerformance',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    opts.topic,
    '--num-records',
    String(opts.records),
    '--record-size',
    String(opts.recordBytes),
    '--throughput',
    '-1',
    '--command-config',
    config,
    '--command-property',
    'acks=all',
    `compression.type=${opts.compression}`,
  ]);
  if (produced.code !== 0) throw failed('ProducerPerformance', produced);
  const producer = parseProducerPerformance(produced.stdout);
  const consumed = await runTool(java, [
    '-cp',
    classpath,
    'org.apache.kafka.tools.ConsumerPerformance',
    '--bootstrap-server',
    bootstrap,
    '--topic',
    opts.topic,
    '--group',
    opts.group,
    '--num-records',
    String(opts.records),
    '--timeout',
    '60000',
    '--command-config',
    config,
  ]);
  if (consumed.code !== 0) throw failed('ConsumerPerformance', consumed);
  const consumer = parseConsumerPerformance(consumed.stdout);
  if (consumer.records < opts.records)
    throw new Error(`ConsumerPerformance read ${consumer.records} of the ${opts.records} records produced`);
  return {
    produce_records_per_s: producer.recordsPerSec,
    produce_mb_per_s: producer.mbPerSec,
    consume_records_per_s: consumer.recordsPerSec,
    record_bytes: opts.recordBytes,
    compression: opts.compression,
  };
}

/** Arguments Mosquitto's C clients take to reach and log into the broker at `url`. Pure. */
export function mosquittoClientArgs(
  url: string,
  login: { username?: string | undefined; password?: string | undefined; caFile?: string | undefined },
): string[] {
  const u = new URL(url);
  const tls = u.protocol === 'mqtts:' || u.protocol === 'ssl:';
  const args = ['-h', u.hostname, '-p', u.port || (tls ? '8883' : '1883'), '-V', 'mqttv5'];
  if (tls && login.caFile) args.push('--cafile', login.caFile);
  if (login.username) args.push('-u', login.username);
  if (login.password) args.push('-P', login.password);
  return args;
}

/**
 * Mosquitto with its own C clients: mosquitto_sub (QoS 1) waits for `payloads.length` messages
 * while mosquitto_pub publishes them at QoS 1, one per stdin line; first publish to last receipt.
 */
export async function mosquittoToolCeiling(
  clientArgs: readonly string[],
  topic: string,
  payloads: readonly string[],
): Promise<{ messages_per_s: number }> {
  if (payloads.some((p) => p.includes('\n'))) throw new Error('mosquitto_pub -l sends one message per line');
  const sub = runTool('mosquitto_sub', [
    ...clientArgs,
    '-q',
    '1',
    '-t',
    topic,
    '-C',
    String(payloads.length),
    '-W',
    '120',
  ]);
  // mosquitto_sub says nothing once subscribed: its SUBACK comes within milliseconds on loopback.
  await new Promise((r) => setTimeout(r, 1000));
  const t0 = performance.now();
  const pub = await runTool(
    'mosquitto_pub',
    [...clientArgs, '-q', '1', '-t', topic, '-l'],
    payloads.join('\n') + '\n',
  );
  if (pub.code !== 0) throw failed('mosquitto_pub', pub);
  const received = await sub;
  const ms = performance.now() - t0;
  if (received.code !== 0) throw failed(`mosquitto_sub (waiting for ${payloads.length} messages)`, received);
  return { messages_per_s: ratePerSec(payloads.length, ms) };
}
