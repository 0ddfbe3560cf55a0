import { OPERATOR_IMAGE, THIRD_PARTY_IMAGES, WORKLOADS_IMAGE } from '@iotpipe/local/images';

/**
 * Every image the platform runs, pinned by tag. Digests would pin harder, but they cannot be
 * looked up or verified without a registry (this project builds offline), so the tags are the
 * pin; `docker buildx imagetools inspect <image>` gives the digest to append as `@sha256:...`.
 * Strimzi picks the Kafka image itself from its release (Strimzi is pinned to 1.2.0).
 */
export const IMAGES = {
  // `make images` makes these here, from Debian packages and Maven Central (images/README.md);
  // Mosquitto and the postgres exporter at Debian 12's versions, which upstream images exist of.
  registry: THIRD_PARTY_IMAGES.registry,
  // TimescaleDB's own image: the PostgreSQL major and TimescaleDB release the local stack builds
  // and tests (local/timescaledb/versions.env; cdk8s/src/images.test.ts holds them equal).
  timescaledb: THIRD_PARTY_IMAGES.timescaledb,
  postgresExporter: THIRD_PARTY_IMAGES.postgresExporter,
  mosquitto: THIRD_PARTY_IMAGES.mosquitto,
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
