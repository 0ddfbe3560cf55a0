/**
 * The acting part of the operator (runs only while this replica leads): informers on
 * IoTPipelines and on every kind of child (labelled managed-by iotpipe-operator) feed a work
 * queue keyed by namespace/name; workers reconcile; a periodic resync requeues every pipeline.
 */
import {
  CustomObjectsApi,
  KubernetesObjectApi,
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { GROUP, KIND, PLURAL, VERSION } from '../crd/iotpipeline.js';
import { CHILD_KINDS } from '../children/desired.js';
import { MANAGED_BY, MANAGED_BY_LABEL, PIPELINE_LABEL } from '../children/names.js';
import type { OperatorConfig } from '../config.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './queue.js';
import { describeError, NotLeaderError, ReconcileError, type Reconciler } from './reconciler.js';

type ObjectInformer = Informer<KubernetesObject> & ObjectCache<KubernetesObject>;

const INFORMER_RESTART_MS = 2000;

function apiPath(apiVersion: string, plural: string, namespace: string): string {
  const base = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return namespace ? `${base}/namespaces/${namespace}/${plural}` : `${base}/${plural}`;
}

export class Controller {
  private readonly queue: WorkQueue;
  private readonly informers: ObjectInformer[] = [];
  private pipelineInformer?: ObjectInformer;
  private workers: Array<Promise<void>> = [];
  private resyncTimer?: NodeJS.Timeout;
  private stopped = false;
  private synced = false;
  /** Last error logged per key: a failure is logged when it starts or changes, not per retry. */
  private readonly lastError = new Map<string, string>();
  private readonly lastReady = new Map<string, boolean>();

  constructor(
    private readonly kc: KubeConfig,
    private readonly config: OperatorConfig,
    private readonly reconciler: Reconciler,
    private readonly metrics: OperatorMetrics,
    private readonly log: (line: string) => void,
  ) {
    this.queue = new WorkQueue(config.backoffBaseMs, config.backoffMaxMs);
  }

  get isSynced(): boolean {
    return this.synced;
  }

  async start(): Promise<void> {
    const ns = this.config.watchNamespace;
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const pipelines = makeInformer<KubernetesObject>(
      this.kc,
      apiPath(`${GROUP}/${VERSION}`, PLURAL, ns),
      async () =>
        (ns
          ? await custom.listNamespacedCustomObject({
              group: GROUP,
              version: VERSION,
              namespace: ns,
              plural: PLURAL,
            })
          : await custom.listClusterCustomObject({
              group: GROUP,
              version: VERSION,
              plural: PLURAL,
            })) as KubernetesListObject<KubernetesObject>,
    );
    const enqueue = (obj: KubernetesObject) => {
      const { namespace, name } = obj.metadata ?? {};
      if (namespace && name) this.queue.add(`${namespace}/${name}`);
    };
    pipelines.on('add', enqueue);
    pipelines.on('update', enqueue);
    pipelines.on('delete', (obj) => {
      const key = `${obj.metadata?.namespace}/${obj.metadata?.name}`;
      this.lastError.delete(key);
      this.lastReady.delete(key);
    });
    this.pipelineInformer = pipelines;
    this.informers.push(pipelines);

    const objects = KubernetesObjectApi.makeApiClient(this.kc);
    const selector = `${MANAGED_BY_LABEL}=${MANAGED_BY}`;
    for (const kind of CHILD_KINDS) {
      const informer = makeInformer<KubernetesObject>(
        this.kc,
        apiPath(kind.apiVersion, kind.plural, ns),
        () =>
          objects.list(
            kind.apiVersion,
            kind.kind,
            ns || undefined,
            undefined,
            undefined,
            undefined,
            undefined,
            selector,
          ),
        selector,
      );
      // A child changed or deleted (by hand or by anyone): reconcile its owner, which puts it back.
      const toOwner = (obj: KubernetesObject) => {
        const owner = obj.metadata?.ownerReferences?.find(
          (o) => o.kind === KIND && o.apiVersion.startsWith(`${GROUP}/`),
        );
        const name = owner?.name ?? obj.metadata?.labels?.[PIPELINE_LABEL];
        if (name && obj.metadata?.namespace) this.queue.add(`${obj.metadata.namespace}/${name}`);
      };
      informer.on('change', toOwner);
      this.informers.push(informer);
    }
    for (const informer of this.informers) {
      let lastMessage = '';
      informer.on('connect', () => {
        if (lastMessage !== '') this.log('watch restarted');
        lastMessage = '';
      });
      informer.on('error', (err: unknown) => {
        if (this.stopped) return;
        const message = describeError(err);
        // Once per failure, not per retry.
        if (message !== lastMessage) {
          this.log(`watch failed (${message}); restarting every ${INFORMER_RESTART_MS} ms`);
        }
        lastMessage = message;
        setTimeout(() => {
          if (!this.stopped) informer.start().catch(() => undefined);
        }, INFORMER_RESTART_MS).unref();
      });
    }
    await Promise.all(this.informers.map((i) => i.start()));
    this.synced = true;
    this.workers = Array.from({ length: this.config.workers }, () => this.work());
    this.resyncTimer = setInterval(() => {
      for (const p of pipelines.list()) enqueue(p);
    }, this.config.resyncMs);
    this.resyncTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await Promise.all(this.informers.map((i) => i.stop().catch(() => undefined)));
    this.queue.shutDown();
    await Promise.all(this.workers);
  }

  get queueDepth(): number {
    return this.queue.depth;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.queueDepth.set(this.queue.depth);
      const [namespace = '', name = ''] = key.split('/');
      const endTimer = this.metrics.reconcileDuration.startTimer();
      try {
        const result = await this.reconciler.reconcile(namespace, name);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        const outcome = result.ready === undefined ? 'deleted' : result.ready ? 'ready' : 'not_ready';
        this.metrics.reconciles.inc({ result: outcome });
        if (this.lastError.delete(key)) this.log(`${key}: reconciled again after errors`);
        if (result.ready !== undefined && this.lastReady.get(key) !== result.ready) {
          this.lastReady.set(key, result.ready);
          this.log(`${key}: ${result.ready ? 'Ready' : 'not Ready yet'}`);
        }
      } catch (err) {
        if (err instanceof NotLeaderError) continue;
        const reason = err instanceof ReconcileError ? err.reason : 'Error';
        this.metrics.reconciles.inc({ result: 'error' });
        this.metrics.reconcileErrors.inc({ reason });
        const message = describeError(err);
        // Retrying the same spec cannot fix a permanent failure: a change (an event) or the resync does.
        const permanent = err instanceof ReconcileError && !err.temporary;
        let next = 'permanent: waiting for a change';
        if (permanent) this.queue.forget(key);
        else next = `retrying with backoff, next in ${this.queue.addRateLimited(key)} ms`;
        // Once per distinct failure, not per retry.
        if (this.lastError.get(key) !== message) this.log(`${key}: ${message} (${next})`);
        this.lastError.set(key, message);
      } finally {
        endTimer();
        this.queue.done(key);
      }
    }
  }
}
