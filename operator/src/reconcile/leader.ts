/**
 * Leader election through a coordination.k8s.io/v1 Lease, as client-go's leaderelection: the
 * holder renews every retry period; others take over only when they have seen the same lease
 * record unchanged for a whole lease duration (their own clock, so clock skew between nodes does
 * not matter). A leader that cannot renew within the renew deadline stops acting before its
 * lease can expire for anyone else (renew deadline < lease duration).
 */
import type { LeaderElectionConfig } from '../config.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { collectionPath, LEASE, objectPath } from '../kube/resources.js';

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
  spec?: LeaseSpec;
}

export interface LeaderCallbacks {
  onStartedLeading(): Promise<void> | void;
  onStoppedLeading(): Promise<void> | void;
}

function statusOf(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.code : undefined;
}

/** MicroTime as the API server parses it (RFC 3339 with exactly six fractional digits). */
function microTime(time: Date | string): string {
  return new Date(time).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function times(
  acquired: Date | string,
  renewed: Date | string,
): Pick<LeaseSpec, 'acquireTime' | 'renewTime'> {
  return { acquireTime: microTime(acquired), renewTime: microTime(renewed) };
}

export class LeaderElector {
  private leading = false;
  private lastRenewAt = 0;
  private observedRecord = '';
  private observedAt = 0;
  private timer?: NodeJS.Timeout;
  private wake?: () => void;
  private lastLoggedError = '';
  private running = false;
  private loop?: Promise<void>;
  private transition: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: KubeClient,
    private readonly config: LeaderElectionConfig,
    private readonly callbacks: LeaderCallbacks,
    private readonly log: (line: string) => void,
  ) {}

  private leasePath(): string {
    return objectPath(LEASE, this.config.leaseNamespace, this.config.leaseName);
  }

  get isLeader(): boolean {
    // Acting only while the last renewal is within the renew deadline: a partitioned leader stops
    // on its own even before the loop notices.
    return this.leading && Date.now() - this.lastRenewAt < this.config.renewDeadlineMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops campaigning; a leader stops acting and releases the lease so another takes over now. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.loop;
    if (this.leading) {
      await this.setLeading(false);
      await this.release().catch((err: unknown) => this.log(`could not release the lease: ${String(err)}`));
    }
    await this.transition;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let acquired = false;
      try {
        acquired = await this.tryAcquireOrRenew();
        this.lastLoggedError = '';
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (message !== this.lastLoggedError) {
          this.lastLoggedError = message;
          this.log(`lease ${this.config.leaseNamespace}/${this.config.leaseName}: ${message} (retrying)`);
        }
      }
      if (!this.running) break;
      if (acquired) {
        this.lastRenewAt = Date.now();
        if (!this.leading) await this.setLeading(true);
      } else if (this.leading && Date.now() - this.lastRenewAt >= this.config.renewDeadlineMs) {
        await this.setLeading(false);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, this.config.retryPeriodMs);
      });
    }
  }

  private async setLeading(leading: boolean): Promise<void> {
    if (this.leading === leading) return;
    this.leading = leading;
    this.log(
      leading
        ? `${this.config.identity} became leader (lease ${this.config.leaseNamespace}/${this.config.leaseName})`
        : `${this.config.identity} stopped leading`,
    );
    this.transition = this.transition.then(() =>
      leading ? this.callbacks.onStartedLeading() : this.callbacks.onStoppedLeading(),
    );
    await this.transition;
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { leaseName: name, leaseNamespace: namespace, identity } = this.config;
    const now = new Date();
    const durationSeconds = Math.max(1, Math.ceil(this.config.leaseDurationMs / 1000));
    const lease = await this.client.get<Lease>(this.leasePath());
    if (!lease) {
      try {
        await this.client.request('POST', collectionPath(LEASE, namespace), {
          body: {
            apiVersion: LEASE.apiVersion,
            kind: LEASE.kind,
            metadata: { name, namespace },
            spec: {
              holderIdentity: identity,
              leaseDurationSeconds: durationSeconds,
              leaseTransitions: 0,
              ...times(now, now),
            },
          },
        });
        return true;
      } catch (createErr) {
        if (statusOf(createErr) === 409) return false;
        throw createErr;
      }
    }
    const spec = lease.spec ?? {};
    const record = `${spec.holderIdentity ?? ''}|${spec.renewTime ?? ''}`;
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = Date.now();
    }
    const holder = spec.holderIdentity ?? '';
    const heldByMe = holder === identity;
    const leaseMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
    if (!heldByMe && holder !== '' && Date.now() < this.observedAt + leaseMs) return false;
    return this.updateLease(lease, {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      leaseTransitions: (spec.leaseTransitions ?? 0) + (heldByMe ? 0 : 1),
      ...times(heldByMe && spec.acquireTime ? spec.acquireTime : now, now),
    });
  }

  /**
   * Replaces the lease spec (PUT: RBAC needs get, create, update on leases) unless somebody wrote
   * the lease since we read it: its resourceVersion is in the body, so a concurrent write makes
   * this a 409 (optimistic lock).
   */
  private async updateLease(lease: Lease, spec: LeaseSpec): Promise<boolean> {
    try {
      await this.client.request('PUT', this.leasePath(), {
        body: { ...lease, apiVersion: LEASE.apiVersion, kind: LEASE.kind, spec },
      });
      return true;
    } catch (err) {
      if (statusOf(err) === 409) return false;
      throw err;
    }
  }

  private async release(): Promise<void> {
    const { identity } = this.config;
    const lease = await this.client.get<Lease>(this.leasePath());
    if (!lease || lease.spec?.holderIdentity !== identity) return;
    await this.updateLease(lease, {
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: lease.spec.leaseTransitions ?? 0,
      ...times(lease.spec.acquireTime ?? new Date(), new Date()),
    });
  }
}
