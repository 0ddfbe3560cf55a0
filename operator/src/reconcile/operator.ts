/**
 * The IoTPipeline operator: health/metrics server, leader election, and while leading a
 * Controller (informers, work queue, workers). start()/stop(); stop is idempotent.
 */
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { OperatorConfig } from '../config.js';
import { SchemaRegistryClient } from '../registry/client.js';
import { Controller } from './controller.js';
import { HealthServer } from '@iotpipe/runtime';
import { LeaderElector } from './leader.js';
import { OperatorMetrics } from './metrics.js';
import { Reconciler } from './reconciler.js';

export class Operator {
  readonly metrics: OperatorMetrics;
  private readonly health: HealthServer;
  private readonly elector: LeaderElector;
  private controller?: Controller;
  private schemaText = '';
  private started = false;

  constructor(
    private readonly kc: KubeConfig,
    readonly config: OperatorConfig,
    private readonly log: (line: string) => void = (line) =>
      console.log(`${new Date().toISOString()} ${line}`),
    options: { processMetrics?: boolean } = {},
  ) {
    this.metrics = new OperatorMetrics(options.processMetrics ?? true);
    this.health = new HealthServer(config.metricsPort, config.metricsHost, this.metrics.registry, {
      live: () => true,
      ready: () => this.readiness(),
    });
    this.elector = new LeaderElector(
      kc,
      config.leaderElection,
      {
        onStartedLeading: () => this.startController(),
        onStoppedLeading: () => this.stopController(),
      },
      log,
    );
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  get metricsPort(): number {
    return this.health.boundPort;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Read once at start: a missing schema file is a deployment error, not something to retry.
    this.schemaText = await readFile(this.config.schemaFile, 'utf8');
    await this.health.start();
    this.elector.start();
    this.log(`operator ${this.config.leaderElection.identity} started; metrics on :${this.metricsPort}`);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.elector.stop();
    await this.stopController();
    await this.health.stop();
  }

  private readiness(): { ready: boolean; reason: string } {
    if (!this.started) return { ready: false, reason: 'stopping' };
    if (!this.elector.isLeader) return { ready: true, reason: 'standby (not the leader)' };
    return this.controller?.isSynced
      ? { ready: true, reason: 'leader, caches synced' }
      : { ready: false, reason: 'leader, caches syncing' };
  }

  private async startController(): Promise<void> {
    this.metrics.leader.set(1);
    const reconciler = new Reconciler(this.kc, new SchemaRegistryClient(this.config.schemaRegistryUrl), {
      schemaText: this.schemaText,
      notReadyRequeueMs: this.config.notReadyRequeueMs,
      isLeader: () => this.elector.isLeader,
    });
    const controller = new Controller(this.kc, this.config, reconciler, this.metrics, this.log);
    this.controller = controller;
    await controller.start();
  }

  private async stopController(): Promise<void> {
    this.metrics.leader.set(0);
    const controller = this.controller;
    this.controller = undefined;
    await controller?.stop();
  }
}
