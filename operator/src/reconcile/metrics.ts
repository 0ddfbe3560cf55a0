import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The operator's metrics, in its own registry (no module-level state). */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'iotpipe_operator_reconcile_total',
    help: 'Reconciles of IoTPipelines by result (ready, not_ready, error, deleted)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'iotpipe_operator_reconcile_errors_total',
    help: 'Failed reconciles by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'iotpipe_operator_reconcile_duration_seconds',
    help: 'Time of one reconcile',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'iotpipe_operator_queue_depth',
    help: 'Keys waiting in the work queue',
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'iotpipe_operator_api_requests_total',
    help: 'Requests to the Kubernetes API by verb, resource and HTTP status (0: no answer); watches not included',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  readonly eventsDropped = new Counter({
    name: 'iotpipe_operator_events_dropped_total',
    help: 'Events not recorded, by reason (rate-limited, queue-full, failed)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly cachedObjects: Gauge<'kind'>;
  readonly leader = new Gauge({
    name: 'iotpipe_operator_leader',
    help: '1 while this replica holds the leader lease',
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true, cacheSizes: () => Record<string, number> = () => ({})) {
    this.cachedObjects = new Gauge({
      name: 'iotpipe_operator_cached_objects',
      help: "Objects in the leader's informer caches, by kind",
      labelNames: ['kind'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(cacheSizes())) this.set({ kind }, n);
      },
    });
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
