import { OPERATOR_IMAGE, WORKLOADS_IMAGE } from '@iotpipe/local/images';

/**
 * Every image the platform runs, pinned by tag. Digests would pin harder, but they cannot be
 * looked up or verified without a registry (this project builds offline), so the tags are the
 * pin; `docker buildx imagetools inspect <image>` gives the digest to append as `@sha256:...`.
 * Strimzi picks the Kafka image itself from its release (Strimzi is pinned to 1.2.0).
 */
export const IMAGES = {
  registry: 'quay.io/apicurio/apicurio-registry:3.3.3',
  // TimescaleDB's own image (PostgreSQL 15 on Alpine): the PostgreSQL major and the TimescaleDB
  // release the local stack builds and tests (local/timescaledb/versions.env; a test holds them equal).
  timescaledb: 'timescale/timescaledb:2.28.3-pg15',
  postgresExporter: 'quay.io/prometheuscommunity/postgres-exporter:v0.18.1',
  mosquitto: 'eclipse-mosquitto:2.0.22',
  mosquittoExporter: 'sapcc/mosquitto-exporter:0.8.0',
  // The project's own: `make images` builds them under these names (local/src/images/catalog.ts).
  operator: OPERATOR_IMAGE,
  workloads: WORKLOADS_IMAGE,
} as const;

/** True when an image reference names a tag other than `latest` or a digest. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return false;
  const tag = image.slice(colon + 1);
  return tag !== '' && tag !== 'latest';
}
