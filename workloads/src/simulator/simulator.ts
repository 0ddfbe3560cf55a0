import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { SimulatorConfig } from './config.js';
import type { SimUnit } from './devices.js';
import { ReadingGenerator } from './generator.js';
import { ManifestBuilder, type Manifest } from './manifest.js';
import { KafkaOutput, MqttOutput, type SendableUnit, type SimulatorOutput } from './outputs.js';

export interface SimulationResult {
  manifest: Manifest;
  elapsedMs: number;
  /** Readings per second of wall time. */
  readingsPerSec: number;
  messagesPerSec: number;
}

export interface SimulatorDeps {
  /** Replaces the configured MQTT/Kafka output (benchmarks of pure generation use a null one). */
  output?: SimulatorOutput;
  /** One line per state change (connection lost/back, summary). */
  log?: (line: string) => void;
  /** Where the live progress line goes, when it is a terminal. */
  progress?: { isTTY?: boolean; write(text: string): unknown };
  /** Wall clock, for pacing only; the data's time comes from the generator. */
  now?: () => number;
}

/** Readings generated per turn of the loop before it yields to I/O. */
const MAX_CHUNK = 2000;
const PROGRESS_EVERY_MS = 1000;

/**
 * `iotpipe simulate`: drives a ReadingGenerator into an output, in real time (each device every
 * interval) or at a target rate, until a count or duration is reached or stop() is called; then
 * waits for every message to be acknowledged and writes the manifest.
 */
export class Simulator {
  private readonly generator: ReadingGenerator;
  private readonly output: SimulatorOutput;
  private readonly manifest: ManifestBuilder;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly progress: SimulatorDeps['progress'];
  private stopRequested = false;
  private wake: (() => void) | null = null;
  private loopDone: Promise<SimulationResult> | null = null;
  private stopping: Promise<SimulationResult> | null = null;
  private readingsFile: WriteStream | null = null;
  private startedAt = 0;
  private duplicates = 0;

  constructor(
    private readonly config: SimulatorConfig,
    deps: SimulatorDeps = {},
  ) {
    this.log = deps.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.now = deps.now ?? (() => performance.now());
    this.progress = deps.progress;
    this.generator = new ReadingGenerator(config);
    this.manifest = new ManifestBuilder(config.manifestPath !== null);
    const options = {
      connection: config.connection,
      mqttTopicPrefix: config.mqttTopicPrefix,
      ruuviTopicPrefix: config.ruuviTopicPrefix,
      clientId: config.mqttClientId,
      batchSize: config.batchSize,
      connections: config.connections,
      maxInFlight: config.maxInFlight,
      log: this.log,
    };
    this.output =
      deps.output ?? (config.output === 'kafka' ? new KafkaOutput(options) : new MqttOutput(options));
  }

  /** Connects the output and starts generating; resolves once running. */
  async start(): Promise<void> {
    if (this.loopDone) return;
    await this.output.start();
    if (this.config.manifestReadingsPath !== null) {
      this.readingsFile = createWriteStream(this.config.manifestReadingsPath);
    }
    this.startedAt = this.now();
    this.loopDone = this.loop();
    this.loopDone.catch(() => {}); // observed through finished()/stop()
  }

  /** Resolves when the run ends by itself (count or duration) or after stop(). */
  finished(): Promise<SimulationResult> {
    if (!this.loopDone) return Promise.reject(new Error('simulator not started'));
    return this.stopping ?? this.loopDone.then(() => this.stop());
  }

  /** Stops generating, waits for acknowledgements, closes the output, writes the manifest. Idempotent. */
  stop(): Promise<SimulationResult> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      this.wake?.();
      const result = await this.loopDone;
      await this.output.stop();
      if (!result) throw new Error('simulator was never started');
      return result;
    })();
    return this.stopping;
  }

  async run(): Promise<SimulationResult> {
    await this.start();
    return this.finished();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private async loop(): Promise<SimulationResult> {
    const { rate, count, durationSec, startMs } = this.config;
    const durationMs = durationSec === null ? Infinity : durationSec * 1000;
    const limit = count ?? Infinity;
    const t0 = this.startedAt;
    let nextProgress = t0 + PROGRESS_EVERY_MS;
    const pending: SendableUnit[] = [];
    while (!this.stopRequested) {
      const elapsed = this.now() - t0;
      if (elapsed >= durationMs || this.manifest.total >= limit) break;
      // Rate mode: tokens for the time elapsed plus one tick ahead, so sending starts at once.
      // Real time: everything whose simulated time has come (simulated start = wall start).
      let budget =
        rate === null ? Infinity : Math.floor((rate * (elapsed + 10)) / 1000) - this.manifest.total;
      const due = rate === null ? startMs + elapsed : Infinity;
      let taken = 0;
      while (
        budget > 0 &&
        taken < MAX_CHUNK &&
        this.manifest.total < limit &&
        this.generator.peekTimeMs() <= due
      ) {
        const unit = this.generator.next();
        const readings = this.record(unit);
        if (unit.kind !== 'dropout') pending.push(unit);
        budget -= readings;
        taken += readings;
      }
      if (pending.length > 0) {
        await this.output.send(pending);
        pending.length = 0;
      }
      if (this.progress?.isTTY && this.now() >= nextProgress) {
        this.progress.write(`\r${this.statusLine()}\x1b[K`);
        nextProgress += PROGRESS_EVERY_MS;
      }
      if (taken === 0 || budget <= 0) {
        const wait =
          rate === null
            ? Math.min(1000, Math.max(1, this.generator.peekTimeMs() - due))
            : Math.min(20, Math.max(1, Math.ceil(1000 / rate)));
        await this.sleep(Math.min(wait, Math.max(1, durationMs - (this.now() - t0))));
      } else {
        await new Promise<void>((resolve) => setImmediate(resolve)); // let acks and I/O in
      }
    }
    await this.output.flush();
    const elapsedMs = this.now() - t0;
    if (this.readingsFile) {
      const file = this.readingsFile;
      await new Promise<void>((resolve, reject) =>
        file.end((err?: Error | null) => (err ? reject(err) : resolve())),
      );
    }
    const stats = this.output.stats();
    const manifest = this.manifest.build({
      seed: this.config.seed,
      startMs,
      intervalSec: this.config.intervalSec,
      output: this.config.output,
      messages: stats.messages,
      duplicateDeliveries: this.duplicates,
      errors: stats.errors,
      ruuviTimestampsDeterministic: this.config.gatewayTime,
    });
    if (this.config.manifestPath !== null) {
      await writeFile(this.config.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const seconds = Math.max(elapsedMs, 1) / 1000;
    const result = {
      manifest,
      elapsedMs,
      readingsPerSec: manifest.total / seconds,
      messagesPerSec: stats.messages / seconds,
    };
    if (this.progress?.isTTY) this.progress.write('\r\x1b[K');
    this.log(summaryLine(result, stats.failed, this.config.manifestPath));
    return result;
  }

  /** Adds a unit's readings to the manifest; returns how many readings it carries. */
  private record(unit: SimUnit): number {
    if (unit.kind === 'dropout') {
      for (const id of unit.readingIds) this.manifest.addDropped(id);
      return 0;
    }
    const readings =
      unit.kind === 'generic'
        ? [
            {
              reading_id: `${unit.reading.device_id}#${unit.reading.sequence}`,
              device_id: unit.reading.device_id,
              device_type: unit.reading.device_type,
              unit: unit.reading.unit,
              timestamp_ms: unit.reading.timestamp_ms,
              value: unit.reading.value,
              anomaly: unit.anomaly,
            },
          ]
        : unit.readings;
    if (unit.kind === 'ruuvi') this.duplicates += unit.deliveries.length - 1;
    for (const r of readings) this.manifest.add(r);
    if (this.readingsFile) this.readingsFile.write(readings.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return readings.length;
  }

  private statusLine(): string {
    const s = this.output.stats();
    const seconds = Math.max(1, this.now() - this.startedAt) / 1000;
    const total = this.manifest.total;
    return (
      `simulate: ${total} readings, ${Math.round(total / seconds)}/s, ${s.messages} messages, ` +
      `${s.inFlight} in flight, ${s.errors} errors`
    );
  }
}

function summaryLine(r: SimulationResult, failed: number, manifestPath: string | null): string {
  const m = r.manifest;
  const digest = m.digest === null ? '' : `, digest ${m.digest.slice(0, 12)}`;
  const where = manifestPath === null ? '' : `, manifest ${manifestPath}`;
  return (
    `simulate: ${m.total} readings (${m.anomalies_by_kind.spike + m.anomalies_by_kind.stuck} anomalous, ` +
    `${m.anomalies_by_kind.dropout} dropped) in ${(r.elapsedMs / 1000).toFixed(1)} s = ` +
    `${Math.round(r.readingsPerSec)} readings/s, ${m.messages} messages (${Math.round(r.messagesPerSec)}/s), ` +
    `${m.errors} errors, ${failed} failed, seed ${m.seed}${digest}${where}`
  );
}
