import { join } from 'node:path';
import type { StackConfig } from '../config.js';
import { httpProbe } from '../http.js';
import type { Program, ProbeResult, Service } from '../service.js';
import { KAFKA_ACCOUNTS, kafkaClientEnv } from './kafka.js';

export const PIPELINE_STAGES = ['adapter', 'sink', 'processor'] as const;
export type PipelineStage = (typeof PIPELINE_STAGES)[number];

/**
 * One of the pipeline's own processes (`iotpipe adapter|sink|process`) under the stack's
 * supervisor, with the defaults that work on the local stack. Optional: `stack up --pipeline`
 * starts them, a plain `stack up` leaves them off, `stack down` stops them with the rest.
 */
export class WorkloadService implements Service {
  readonly name: string;
  readonly stage = 3;
  readonly startTimeoutMs = 120_000;
  readonly optional = true;

  constructor(
    private readonly c: StackConfig,
    readonly workload: PipelineStage,
  ) {
    this.name = workload;
  }

  get port(): number {
    return this.c.workloadMetricsPorts[this.workload];
  }

  ports() {
    return [{ port: this.port, what: `${this.workload} metrics` }];
  }

  requires() {
    return [];
  }

  programs(): Program[] {
    const command = this.workload === 'processor' ? 'process' : this.workload;
    const envPrefix = { adapter: 'ADAPTER', sink: 'SINK', processor: 'PROCESSOR' }[this.workload];
    return [
      {
        name: this.workload,
        command: [process.execPath, join(this.c.repoRoot, 'workloads', 'dist', 'cli.js'), command],
        env: {
          [`${envPrefix}_METRICS_HOST`]: this.c.host,
          [`${envPrefix}_METRICS_PORT`]: String(this.port),
          IOTPIPE_ROOT: this.c.repoRoot,
          // Each stage its own Kafka account, with ACLs for exactly what it does (kafka.ts).
          ...kafkaClientEnv(this.c, KAFKA_ACCOUNTS[this.workload]),
          // The schema follows the server: a native stack does not preload TimescaleDB even where
          // it is installed, and the sink's `auto` would refuse such a server.
          ...(this.workload === 'sink'
            ? { POSTGRES_FLAVOR: this.c.postgres.flavor === 'native' ? 'native' : 'auto' }
            : {}),
        },
        stopWaitSecs: 30,
      },
    ];
  }

  async prepare(): Promise<void> {}

  probe(): Promise<ProbeResult> {
    return httpProbe(`http://${this.c.host}:${this.port}/readyz`);
  }
}
