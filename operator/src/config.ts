import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPERATOR_METRICS_PORT } from '@iotpipe/contract';
import type { ImagePolicy } from './children/image-policy.js';

/** A bad setting: names the field and the env variable it came from. */
export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly envVar: string,
    problem: string,
  ) {
    super(`${field} (${envVar}): ${problem}`);
    this.name = 'ConfigError';
  }
}

export interface LeaderElectionConfig {
  readonly leaseName: string;
  readonly leaseNamespace: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  /** A leader that could not renew for this long stops acting. */
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface OperatorConfig {
  readonly metricsPort: number;
  readonly metricsHost: string;
  /** '' watches every namespace. */
  readonly watchNamespace: string;
  readonly schemaFile: string;
  readonly workers: number;
  readonly resyncMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /**
   * A pipeline that is not Ready is looked at again (without any event) after this, doubling
   * with each not-Ready reconcile up to notReadyMaxMs; a spec change starts it over.
   */
  readonly notReadyBaseMs: number;
  readonly notReadyMaxMs: number;
  readonly leaderElection: LeaderElectionConfig;
  /** Which `spec.image` the operator runs (children/image-policy.ts). */
  readonly imagePolicy: ImagePolicy;
}

/**
 * The image policy's settings, by the env variable that sets each: declared here once; the
 * manifests (cdk8s/src/charts/operator.ts, and so the Helm chart's values) set them by these
 * names. A pipeline's `spec.image` runs with its Kafka and database credentials, so whoever may
 * write an IoTPipeline could otherwise run any code with them.
 */
export const IMAGE_POLICY_SETTINGS = {
  allowedRegistries: {
    env: 'OPERATOR_ALLOWED_REGISTRIES',
    doc: 'comma-separated `host[/path]` prefixes a `spec.image` must start with (at a path boundary; a name without a registry is `docker.io/...`); empty: any registry',
  },
  requireDigest: {
    env: 'OPERATOR_IMAGE_REQUIRE_DIGEST',
    doc: '`true`: only images pinned by digest (`name@sha256:<64 hex>`); default `false`',
  },
} as const;

/** A registry prefix: a host (a dot, a colon or `localhost`) and optional path, no scheme, tag or digest. */
const REGISTRY_PREFIX =
  /^(?:localhost|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z0-9-]+|[a-z0-9.-]+:\d+)(?::\d+)?(?:\/[a-z0-9._-]+)*\/?$/;

/** workloads/src/schema/sensor_reading.avsc, found from this file in the repo (and the image). */
const DEFAULT_SCHEMA_FILE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../workloads/src/schema/sensor_reading.avsc',
);

class Reader {
  constructor(private readonly env: NodeJS.ProcessEnv) {}

  string(field: string, envVar: string, fallback: string): string {
    const raw = this.env[envVar];
    return raw === undefined || raw === '' ? fallback : raw;
  }

  int(field: string, envVar: string, fallback: number, min: number, max: number): number {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new ConfigError(field, envVar, `'${raw}' is not an integer in ${min}..${max}`);
    }
    return n;
  }

  bool(field: string, envVar: string, fallback: boolean): boolean {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallback;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    throw new ConfigError(field, envVar, `'${raw}' is neither true nor false`);
  }

  seconds(field: string, envVar: string, fallbackSec: number, minSec: number, maxSec: number): number {
    const raw = this.env[envVar];
    if (raw === undefined || raw === '') return fallbackSec * 1000;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < minSec || n > maxSec) {
      throw new ConfigError(field, envVar, `'${raw}' is not a number of seconds in ${minSec}..${maxSec}`);
    }
    return Math.round(n * 1000);
  }
}

/** Reads and validates the operator's settings; touches no network. */
export function loadOperatorConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const r = new Reader(env);
  const watchNamespace = r.string('watchNamespace', 'OPERATOR_WATCH_NAMESPACE', '');
  const podNamespace = r.string('leaseNamespace', 'POD_NAMESPACE', 'default');
  // Leader election (README "Leader election"): a standby takes over a dead leader's lease
  // after leaseDuration (+ up to one retryPeriod); a leader that cannot renew for renewDeadline
  // stops acting, before the lease can expire for anyone else.
  const leaseDurationMs = r.seconds('leaseDuration', 'OPERATOR_LEASE_DURATION_SECONDS', 10, 1, 3600);
  const renewDeadlineMs = r.seconds('renewDeadline', 'OPERATOR_RENEW_DEADLINE_SECONDS', 7, 0.5, 3600);
  const retryPeriodMs = r.seconds('retryPeriod', 'OPERATOR_RETRY_PERIOD_SECONDS', 1, 0.1, 600);
  if (renewDeadlineMs >= leaseDurationMs) {
    throw new ConfigError(
      'renewDeadline',
      'OPERATOR_RENEW_DEADLINE_SECONDS',
      'must be less than OPERATOR_LEASE_DURATION_SECONDS, or two leaders could overlap',
    );
  }
  if (retryPeriodMs >= renewDeadlineMs) {
    throw new ConfigError(
      'retryPeriod',
      'OPERATOR_RETRY_PERIOD_SECONDS',
      'must be less than the renew deadline',
    );
  }
  const backoffBaseMs = r.int('backoffBase', 'OPERATOR_BACKOFF_BASE_MS', 500, 1, 600_000);
  const backoffMaxMs = r.int('backoffMax', 'OPERATOR_BACKOFF_MAX_MS', 300_000, 1, 86_400_000);
  if (backoffMaxMs < backoffBaseMs) {
    throw new ConfigError(
      'backoffMax',
      'OPERATOR_BACKOFF_MAX_MS',
      'must be at least OPERATOR_BACKOFF_BASE_MS',
    );
  }
  const notReadyBaseMs = r.seconds('notReadyBase', 'OPERATOR_NOT_READY_REQUEUE_SECONDS', 5, 0.1, 86_400);
  const notReadyMaxMs = r.seconds('notReadyMax', 'OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS', 300, 0.1, 86_400);
  if (notReadyMaxMs < notReadyBaseMs) {
    throw new ConfigError(
      'notReadyMax',
      'OPERATOR_NOT_READY_REQUEUE_MAX_SECONDS',
      'must be at least OPERATOR_NOT_READY_REQUEUE_SECONDS',
    );
  }
  const { allowedRegistries, requireDigest } = IMAGE_POLICY_SETTINGS;
  const registries = r
    .string('allowedRegistries', allowedRegistries.env, '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  for (const prefix of registries) {
    if (!REGISTRY_PREFIX.test(prefix)) {
      throw new ConfigError(
        'allowedRegistries',
        allowedRegistries.env,
        `'${prefix}' is not a registry host with an optional path (e.g. ghcr.io/iotpipe): no scheme, tag or digest`,
      );
    }
  }
  return {
    metricsPort: r.int('metricsPort', 'OPERATOR_METRICS_PORT', OPERATOR_METRICS_PORT, 0, 65_535),
    metricsHost: r.string('metricsHost', 'OPERATOR_METRICS_HOST', '0.0.0.0'),
    watchNamespace,
    schemaFile: r.string('schemaFile', 'OPERATOR_SCHEMA_FILE', DEFAULT_SCHEMA_FILE),
    workers: r.int('workers', 'OPERATOR_WORKERS', 8, 1, 64),
    resyncMs: r.seconds('resync', 'OPERATOR_RESYNC_SECONDS', 300, 1, 86_400),
    backoffBaseMs,
    backoffMaxMs,
    notReadyBaseMs,
    notReadyMaxMs,
    leaderElection: {
      leaseName: r.string('leaseName', 'OPERATOR_LEASE_NAME', 'iotpipe-operator'),
      leaseNamespace: r.string('leaseNamespace', 'OPERATOR_LEASE_NAMESPACE', podNamespace),
      identity: r.string(
        'identity',
        'OPERATOR_IDENTITY',
        r.string('identity', 'POD_NAME', `${hostname()}-${process.pid}`),
      ),
      leaseDurationMs,
      renewDeadlineMs,
      retryPeriodMs,
    },
    imagePolicy: {
      allowedRegistries: registries,
      requireDigest: r.bool('requireDigest', requireDigest.env, false),
    },
  };
}
