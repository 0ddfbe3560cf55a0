/**
 * The IoTPipeline operator: health/metrics server, leader election, and while leading a
 * Controller (informers, work queue, workers). start()/stop(); stop is idempotent.
 */
import { readFile } from 'node:fs/promises';
import type { OperatorConfig } from '../config.js';
import { KubeClient } from '../kube/client.js';
import {
  connectionFromKubeConfig,
  isConnection,
  type Connection,
  type KubeConfigLike,
} from '../kube/connection.js';
import { Controller } from './controller.js';
import { HealthServer } from '@iotpipe/runtime';
import { LeaderElector } from './leader.js';
import { OperatorMetrics } from './metrics.js';

export class Operator {
  readonly metrics: OperatorMetrics;
  private readonly health: HealthServer;
  private readonly elector: LeaderElector;
  private readonly client: KubeClient;
  private readonly leaseClient: KubeClient;
  private controller?: Controller;
  private schemaText = '';
  private started = false;

  /** `api`: where the API server is (main.ts: loadConnection), or a loaded client-node KubeConfig. */
  constructor(
    api: Connection | KubeConfigLike,
    readonly config: OperatorConfig,
    private readonly log: (line: string) => void = (line) =>
      console.log(`${new Date().toISOString()} ${line}`),
    options: { processMetrics?: boolean } = {},
  ) {
    this.metrics = new OperatorMetrics(options.processMetrics ?? true, () => this.cacheSizes());
    const connection = isConnection(api) ? api : connectionFromKubeConfig(api);
    const observe = (verb: string, resource: string, code: number) =>
      this.metrics.apiRequests.inc({ verb, resource, code: String(code) });
    this.client = new KubeClient(connection, observe);
    // The lease has a connection of its own: its renewals never queue behind the reconciles'
    // requests when hundreds of pipelines keep the pool busy.
    this.leaseClient = new KubeClient(connection, observe, 2);
    this.health = new HealthServer(config.metricsPort, config.metricsHost, this.metrics.registry, {
      live: () => true,
      ready: () => this.readiness(),
    });
    this.elector = new LeaderElector(
      this.leaseClient,
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

  /** Objects in the leader's caches by kind (empty on a standby). */
  cacheSizes(): Record<string, number> {
    return this.controller?.cacheSizes() ?? {};
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
    this.client.close();
    this.leaseClient.close();
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
    const controller = new Controller(
      this.client,
      this.config,
      { schemaText: this.schemaText, isLeader: () => this.elector.isLeader },
      this.metrics,
      this.log,
    );
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
