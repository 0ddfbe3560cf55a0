import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { logLevel } from 'kafkajs';
import { createKafka } from '../../workloads/src/kafka/client.js';
import { loadSinkConfig } from '../../workloads/src/sink/config.js';
import {
  ceilingMessages,
  databaseCeilings,
  kafkaCeiling,
  meanAvroRecordBytes,
  mqttCeiling,
  otherFlavorCeilings,
  type Ceilings,
} from './ceilings.js';
import {
  kafkaToolCeiling,
  mosquittoClientArgs,
  mosquittoToolCeiling,
  type KafkaToolCeiling,
} from './tool-ceilings.js';
import { loadStackConfig } from '@iotpipe/local';
import { kafkaJavaClientProperties } from '../../workloads/src/kafka/security.js';
import type { BenchConfig, BenchVariant } from './config.js';
import { BenchPipeline, createTopic, type StepResult } from './pipeline.js';
import {
  bestStep,
  headline,
  LATENCY_DEFINITION,
  renderMarkdown,
  renderSvg,
  spliceReadme,
  type BenchResult,
  type VariantResult,
} from './report.js';
import { stopReason } from './stats.js';

export interface BenchFiles {
  json: string;
  markdown: string;
  svg: string;
  png: string | null;
}

export interface BenchRun {
  result: BenchResult;
  files: BenchFiles;
}

const uniqueId = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

/**
 * `make bench`: the ceilings of the real parts, then the whole pipeline at stepped rates per
 * variant, each on fresh topics and a fresh database (dropped afterwards); writes the report.
 */
export class Benchmark {
  private current: BenchPipeline | null = null;
  private stopped = false;
  private running: Promise<BenchRun> | null = null;

  constructor(
    private readonly config: BenchConfig,
    private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  run(): Promise<BenchRun> {
    this.running ??= this.execute();
    return this.running;
  }

  /** Ends the current step's stages and drops its database and topics; idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const p = this.current;
    this.current = null;
    await p?.teardown();
  }

  private async execute(): Promise<BenchRun> {
    const cfg = this.config;
    const started = new Date();
    const workDir = await mkdtemp(join(tmpdir(), 'iotpipe-bench-'));
    this.log(`bench: logs and manifests in ${workDir}`);
    const ceilings = cfg.ceilingRows > 0 ? await this.ceilings(workDir) : null;
    const variants: VariantResult[] = [];
    for (const variant of cfg.variants) {
      if (this.stopped) break;
      variants.push(await this.runVariant(variant, workDir));
    }
    const result: BenchResult = {
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      host: { cpus: cpus().length, memory_gib: totalmem() / 2 ** 30, node: process.versions.node },
      settings: {
        rates: [...cfg.rates],
        step_sec: cfg.stepSec,
        interval_sec: cfg.intervalSec,
        sim_mode: cfg.simMode,
        sim_batch_size: cfg.simBatchSize,
        ceiling_rows: cfg.ceilingRows,
        p99_limit_sec: cfg.p99LimitSec,
        min_gain: cfg.minGain,
      },
      latency_definition: LATENCY_DEFINITION,
      ceilings,
      variants,
    };
    const files = await this.write(result);
    this.log(`bench: ${headline(result)}`);
    this.log(`bench: wrote ${files.json}, ${files.markdown}, ${files.png ?? files.svg}`);
    return { result, files };
  }

  private async ceilings(workDir: string): Promise<Ceilings> {
    const cfg = this.config;
    const rows = cfg.ceilingRows;
    const pipeline = new BenchPipeline(cfg, cfg.variants[0]!, uniqueId('bench-ceil'), workDir, this.log);
    this.current = pipeline;
    try {
      await pipeline.prepare();
      const batch = loadSinkConfig({ ...process.env, ...cfg.variants[0]!.env }).batchSize;
      this.log(`ceiling 1/3: PostgreSQL COPY and the sink's staging insert, ${rows} rows each ...`);
      const db = await databaseCeilings(pipeline.database, rows, cfg.seed, batch);
      this.log(
        `  ${pipeline.schemaFlavor}: COPY ${Math.round(db.copy)} rows/s, staging insert (batch ${batch}) ${Math.round(db.staging)} rows/s`,
      );
      const other = await otherFlavorCeilings(
        pipeline.database,
        pipeline.schemaFlavor,
        `${pipeline.id.replace(/-/g, '_')}_other`,
        rows,
        cfg.seed,
        batch,
      );
      this.log(
        other
          ? `  ${other.flavor}: COPY ${Math.round(other.copy)} rows/s, staging insert ${Math.round(other.staging)} rows/s`
          : '  the other schema flavour cannot run on this server: not measured',
      );
      this.log(`ceiling 2/3: Kafka produce+consume, ${rows} Avro records, acks=all ...`);
      const kafkaTopic = `${pipeline.id}-kafka`;
      const admin = createKafka(cfg.connection, `${pipeline.id}-admin2`, {
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      let kafka: { both: number; produce: number };
      try {
        await createTopic(admin, kafkaTopic, 6);
        kafka = await kafkaCeiling(cfg.connection, kafkaTopic, `${pipeline.id}-group`, rows, cfg.seed);
      } finally {
        await admin.deleteTopics({ topics: [kafkaTopic] }).catch(() => {});
        await admin.disconnect();
      }
      this.log(`  ${Math.round(kafka.both)} records/s (produce alone ${Math.round(kafka.produce)}/s)`);
      const recordBytes = meanAvroRecordBytes(1000, cfg.seed + 2);
      this.log(
        `ceiling 2b: Kafka's own ProducerPerformance and ConsumerPerformance, ${rows} records of ${recordBytes} bytes, acks=all ...`,
      );
      const toolTopic = `${pipeline.id}-kafka-tool`;
      // A new admin: a kafkajs admin does not connect again once disconnected.
      const toolAdmin = createKafka(cfg.connection, `${pipeline.id}-admin3`, {
        logLevel: logLevel.NOTHING,
      }).admin();
      await toolAdmin.connect();
      let kafkaTool: KafkaToolCeiling;
      try {
        await createTopic(toolAdmin, toolTopic, 6);
        kafkaTool = await kafkaToolCeiling(loadStackConfig(), workDir, {
          brokers: cfg.connection.kafkaBrokers,
          topic: toolTopic,
          group: `${pipeline.id}-tool-group`,
          records: rows,
          recordBytes,
          compression: 'none',
          clientProperties: kafkaJavaClientProperties(cfg.connection),
        });
      } finally {
        await toolAdmin.deleteTopics({ topics: [toolTopic] }).catch(() => {});
        await toolAdmin.disconnect();
      }
      this.log(
        `  produce ${Math.round(kafkaTool.produce_records_per_s)} records/s, consume ${Math.round(kafkaTool.consume_records_per_s)} records/s`,
      );
      this.log(
        `ceiling 3/3: Mosquitto publish+subscribe, QoS 1, arrays of ${cfg.mqttCeilingBatch} readings ...`,
      );
      const mq = await mqttCeiling(
        cfg.connection,
        pipeline.prefix,
        pipeline.id,
        rows,
        cfg.seed,
        cfg.mqttCeilingBatch,
      );
      this.log(`  ${Math.round(mq.messages)} messages/s = ${Math.round(mq.readings)} readings/s`);
      this.log(`ceiling 3b: Mosquitto with its own C clients (mosquitto_pub -l, mosquitto_sub), QoS 1 ...`);
      const messages = ceilingMessages(rows, cfg.seed + 3, pipeline.prefix, cfg.mqttCeilingBatch);
      const mqC = await mosquittoToolCeiling(
        mosquittoClientArgs(cfg.connection.mqttUrl, {
          username: cfg.connection.mqttUsername,
          password: cfg.connection.mqttPassword,
        }),
        `${pipeline.prefix}iotpipe/sim/c-ceiling`,
        messages.map((m) => m.payload),
      );
      const mqCReadings = (mqC.messages_per_s * rows) / messages.length;
      this.log(`  ${Math.round(mqC.messages_per_s)} messages/s = ${Math.round(mqCReadings)} readings/s`);
      return {
        schema_flavor: pipeline.schemaFlavor,
        copy_rows_per_s: db.copy,
        staging_insert_rows_per_s: db.staging,
        other_flavor: other
          ? { flavor: other.flavor, copy_rows_per_s: other.copy, staging_insert_rows_per_s: other.staging }
          : null,
        staging_batch_size: batch,
        kafka_records_per_s: kafka.both,
        kafka_produce_records_per_s: kafka.produce,
        mqtt_messages_per_s: mq.messages,
        mqtt_readings_per_s: mq.readings,
        mqtt_batch_size: cfg.mqttCeilingBatch,
        kafka_tool: kafkaTool,
        mqtt_c_messages_per_s: mqC.messages_per_s,
        mqtt_c_readings_per_s: mqCReadings,
        rows,
      };
    } finally {
      this.current = null;
      await pipeline.teardown();
    }
  }

  private async runVariant(variant: BenchVariant, workDir: string): Promise<VariantResult> {
    const cfg = this.config;
    const pipeline = new BenchPipeline(cfg, variant, uniqueId('bench'), workDir, this.log);
    this.current = pipeline;
    const steps: StepResult[] = [];
    let stop = `all ${cfg.rates.length} steps ran`;
    try {
      this.log(
        `pipeline [${variant.name}]: ${variant.adapters} adapter(s), ${variant.sinks} sink(s), ${variant.processors} processor(s); starting ...`,
      );
      await pipeline.prepare();
      await pipeline.startStages();
      for (let i = 0; i < cfg.rates.length && !this.stopped; i++) {
        const reason = await this.step(pipeline, variant, i, steps);
        if (reason) {
          stop = reason;
          break;
        }
      }
      if (this.stopped) stop = 'interrupted';
    } finally {
      this.current = null;
      await pipeline.teardown();
    }
    return {
      name: variant.name,
      adapters: variant.adapters,
      sinks: variant.sinks,
      processors: variant.processors,
      env: { ...variant.env },
      stage_env: {
        adapter: { ...variant.stageEnv.adapter },
        sink: { ...variant.stageEnv.sink },
        processor: { ...variant.stageEnv.processor },
      },
      steps,
      stop_reason: stop,
    };
  }

  /** Runs step i and appends it; returns why the variant stops after it, or null to go on. */
  private async step(
    pipeline: BenchPipeline,
    variant: BenchVariant,
    i: number,
    steps: StepResult[],
  ): Promise<string | null> {
    const cfg = this.config;
    const rate = cfg.rates[i]!;
    const tag = `step ${i + 1}/${cfg.rates.length} [${variant.name}]`;
    this.log(`${tag}: offered ${rate}/s for ${cfg.stepSec} s ...`);
    const previous = bestStep(steps);
    let step: StepResult;
    try {
      step = await pipeline.runStep(i + 1, rate);
    } catch (err) {
      this.log(`${tag}: failed: ${(err as Error).message}`);
      return `step ${i + 1} failed: ${(err as Error).message}`;
    }
    step.stop_reason = stopReason(
      {
        achieved: step.achieved_per_s,
        p99Sec: (step.latency_ms.p99 + step.sink_tx_ms_mean) / 1000,
        sent: step.sent_per_s,
        exact: step.exact,
        drained: step.drained,
      },
      previous?.achieved_per_s ?? null,
      cfg.p99LimitSec,
      cfg.minGain,
    );
    steps.push(step);
    this.log(
      `${tag}: offered ${rate}/s, sent ${Math.round(step.sent_per_s)}/s, achieved ${Math.round(step.achieved_per_s)}/s, ` +
        `p50 ${(step.latency_ms.p50 / 1000).toFixed(2)} s, p99 ${(step.latency_ms.p99 / 1000).toFixed(2)} s, ` +
        `${step.exact ? 'exact' : 'NOT EXACT'} (${step.stored}/${step.readings})` +
        (step.stop_reason ? `; stopping: ${step.stop_reason}` : ''),
    );
    return step.stop_reason ? `after step ${i + 1}: ${step.stop_reason}` : null;
  }

  private async write(result: BenchResult): Promise<BenchFiles> {
    const cfg = this.config;
    await mkdir(cfg.outDir, { recursive: true });
    const stem = join(cfg.outDir, result.started_at.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z'));
    const files: BenchFiles = {
      json: `${stem}.json`,
      markdown: `${stem}.md`,
      svg: `${stem}.svg`,
      png: `${stem}.png`,
    };
    const svg = renderSvg(result);
    await writeFile(files.svg, svg);
    try {
      const png = new Resvg(svg, {
        background: 'white',
        font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
      })
        .render()
        .asPng();
      await writeFile(files.png!, png);
    } catch (err) {
      this.log(`bench: no PNG (${(err as Error).message}); the SVG ${files.svg} has the same plot`);
      files.png = null;
    }
    await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
    const image = basename(files.png ?? files.svg);
    await writeFile(files.markdown, renderMarkdown(result, image));
    if (cfg.publish) {
      const readme = existsSync(cfg.readmePath) ? await readFile(cfg.readmePath, 'utf8') : '# Benchmark\n';
      const block = renderMarkdown(result, `results/${image}`)
        .replace(/^# Benchmark /, '## Latest run: ')
        .replace(/^## /gm, '### ')
        .replace(/^### Latest run: /, '## Latest run: ');
      await writeFile(cfg.readmePath, spliceReadme(readme, block));
      this.log(`bench: ${cfg.readmePath} now shows this run`);
    }
    return files;
  }
}
