import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StackConfig } from './config.js';
import { StackError } from './errors.js';
import { fetchArtifacts } from './fetch.js';
import { findJava } from './java.js';
import { portIsFree, waitFor, which } from './proc.js';
import type { ProbeResult, Service, StackContext } from './service.js';
import { KafkaBrokerService, provisionKafka } from './services/kafka.js';
import {
  AlertmanagerService,
  NodeExporterService,
  PostgresExporterService,
  PrometheusService,
} from './services/monitoring.js';
import { MosquittoService } from './services/mosquitto.js';
import { PostgresService } from './services/postgres.js';
import { RegistryService } from './services/registry.js';
import { SmtpSinkService } from './services/smtp.js';
import { PIPELINE_STAGES, WorkloadService } from './services/workloads.js';
import { Supervisor, type ProgramState } from './supervisor.js';

export interface PartStatus {
  readonly name: string;
  readonly state: ProgramState | 'NOT STARTED' | 'OFF';
  readonly pid?: number;
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * The local stack: real servers under one supervisord, bound to 127.0.0.1, all state under one
 * directory. `up` is idempotent (a running, healthy part is left alone), `down` stops all it
 * started, `status` runs a real probe per part.
 */
export class LocalStack {
  readonly supervisor: Supervisor;
  readonly services: Service[];
  readonly postgres: PostgresService;
  readonly prometheus: PrometheusService;

  constructor(
    readonly config: StackConfig,
    private readonly log: (line: string) => void = (l) => console.error(l),
  ) {
    this.supervisor = new Supervisor(config.stateDir);
    this.postgres = new PostgresService(config);
    this.prometheus = new PrometheusService(config);
    this.services = [
      this.postgres,
      ...[1, 2, 3].map((n) => new KafkaBrokerService(config, n)),
      new MosquittoService(config),
      new SmtpSinkService(config),
      new AlertmanagerService(config),
      new NodeExporterService(config),
      new RegistryService(config),
      this.prometheus,
      new PostgresExporterService(config),
      ...PIPELINE_STAGES.map((w) => new WorkloadService(config, w)),
    ];
  }

  private ctx(): StackContext {
    return { config: this.config, log: this.log, asRoot: process.getuid?.() === 0 };
  }

  /** Checks what can be checked before anything starts: tools present, ports free. */
  async preflight(running: Map<string, { state: ProgramState }>, withPipeline: boolean): Promise<void> {
    await findJava(17, this.config.cacheDir, 'IOTPIPE_KAFKA_JAVA');
    await findJava(21, this.config.cacheDir, 'IOTPIPE_REGISTRY_JAVA');
    for (const s of this.services) {
      for (const r of s.requires()) {
        const found = r.binary.startsWith('/') ? existsSync(r.binary) : Boolean(await which(r.binary));
        if (!found) throw new StackError(`${s.name} needs ${r.binary}, which is missing`, r.fix);
      }
      const isRunning = s.programs().every((p) => running.get(p.name)?.state === 'RUNNING');
      if (isRunning || (s.optional && !withPipeline)) continue;
      for (const { port, what } of s.ports()) {
        if (!(await portIsFree(this.config.host, port))) {
          throw new StackError(
            `port ${port} on ${this.config.host} (${what}) is already taken by another process`,
            `stop that process (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with the IOTPIPE_*_PORT variables`,
          );
        }
      }
    }
  }

  /** Starts what is not running; `withPipeline` also starts the adapter, sink and processor. */
  async up(options: { withPipeline?: boolean } = {}): Promise<PartStatus[]> {
    await mkdir(this.config.stateDir, { recursive: true });
    const running = await this.supervisor.states();
    await this.preflight(running, options.withPipeline ?? false);
    await fetchArtifacts(this.config, this.log);
    const ctx = this.ctx();
    const stages = [...new Set(this.services.map((s) => s.stage))].sort((a, b) => a - b);
    for (const s of this.services) await s.prepare(ctx);
    await this.supervisor.ensure(
      this.services.flatMap((s) => s.programs()),
      ctx.asRoot,
    );
    for (const stage of stages) {
      const group = this.services.filter((s) => s.stage === stage && (!s.optional || options.withPipeline));
      const states = await this.supervisor.states();
      for (const s of group) {
        for (const p of s.programs()) {
          if (states.get(p.name)?.state !== 'RUNNING') {
            this.log(`starting ${p.name}`);
            await this.supervisor.start(p.name);
          }
        }
      }
      await Promise.all(group.map((s) => this.awaitHealthy(s)));
      for (const s of group) await s.afterStart?.(ctx);
      if (stage === 1) await provisionKafka(this.config, this.log);
    }
    return this.status();
  }

  private async awaitHealthy(s: Service): Promise<void> {
    let last: ProbeResult = { ok: false, detail: 'not probed' };
    const ok = await waitFor(async () => {
      last = await (s.startupProbe ? s.startupProbe() : s.probe());
      return last.ok;
    }, s.startTimeoutMs);
    if (!ok) {
      const logFile = join(this.supervisor.logDir, `${s.programs()[0]?.name ?? s.name}.log`);
      const tail = existsSync(logFile)
        ? (await readFile(logFile, 'utf8')).trim().split('\n').slice(-3).join(' | ')
        : '';
      throw new StackError(
        `${s.name} did not become healthy within ${s.startTimeoutMs / 1000} s: ${last.detail}${tail ? ` (log: ${tail.slice(0, 400)})` : ''}`,
        `read ${logFile}; \`make stack-down\` then \`make stack-up\` retries`,
      );
    }
  }

  async status(): Promise<PartStatus[]> {
    const states = await this.supervisor.states();
    return Promise.all(
      this.services.map(async (s): Promise<PartStatus> => {
        const prog = s.programs()[0]!;
        const st = states.get(prog.name);
        if (s.optional && (!st || st.state === 'STOPPED')) {
          return {
            name: s.name,
            state: 'OFF',
            ok: true,
            detail: 'off (`node local/dist/stack-cli.js up --pipeline` starts it)',
          };
        }
        if (!st) return { name: s.name, state: 'NOT STARTED', ok: false, detail: 'not running' };
        const probe = await s.probe();
        return { name: s.name, state: st.state, pid: st.pid, ok: probe.ok, detail: probe.detail };
      }),
    );
  }

  /** Stops every program and supervisord; afterwards no process of the stack runs. */
  async down(): Promise<void> {
    await this.supervisor.shutdown();
  }

  logFile(name: string): string {
    return join(this.supervisor.logDir, `${name}.log`);
  }
}

export function formatStatus(parts: readonly PartStatus[]): string {
  const w = Math.max(...parts.map((p) => p.name.length));
  return parts
    .map(
      (p) =>
        `${p.state === 'OFF' ? 'off ' : p.ok ? 'ok  ' : 'DOWN'}  ${p.name.padEnd(w)}  ${p.state.padEnd(11)} ${p.pid ? `pid ${p.pid}`.padEnd(10) : ''.padEnd(10)} ${p.detail}`,
    )
    .join('\n');
}
