import { describe, expect, it } from 'vitest';
import { imageRefusal, imageRepository, OPEN_IMAGE_POLICY } from './image-policy.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('the image policy', () => {
  it('resolves a reference to its registry and path as the runtime does', () => {
    expect(imageRepository('ghcr.io/iotpipe/workloads:0.1.0')).toBe('ghcr.io/iotpipe/workloads');
    expect(imageRepository(`ghcr.io/iotpipe/workloads@${DIGEST}`)).toBe('ghcr.io/iotpipe/workloads');
    expect(imageRepository('localhost:5000/w:1')).toBe('localhost:5000/w');
    expect(imageRepository('localhost/w')).toBe('localhost/w');
    expect(imageRepository('busybox')).toBe('docker.io/library/busybox');
    expect(imageRepository('evil/workloads:1')).toBe('docker.io/evil/workloads');
  });

  it('allows anything when open', () => {
    expect(imageRefusal('evil/anything:latest', OPEN_IMAGE_POLICY)).toBeUndefined();
  });

  it('allows only the listed registries, at a path boundary', () => {
    const policy = { allowedRegistries: ['ghcr.io/iotpipe'], requireDigest: false };
    expect(imageRefusal('ghcr.io/iotpipe/workloads:0.1.0', policy)).toBeUndefined();
    expect(imageRefusal('ghcr.io/iotpipe-evil/workloads:0.1.0', policy)).toMatch(
      /ghcr.io\/iotpipe-evil\/workloads.*is from none of the registries the operator allows \(OPERATOR_ALLOWED_REGISTRIES: ghcr.io\/iotpipe\)/,
    );
    expect(imageRefusal('ghcr.io/other/workloads:0.1.0', policy)).toBeDefined();
    // A name without a registry is Docker Hub's, not the allowed registry's.
    expect(imageRefusal('iotpipe/workloads:0.1.0', policy)).toMatch(/docker\.io\/iotpipe\/workloads/);
  });

  it('requires a digest when told to', () => {
    const policy = { allowedRegistries: [], requireDigest: true };
    expect(imageRefusal(`ghcr.io/iotpipe/workloads@${DIGEST}`, policy)).toBeUndefined();
    expect(imageRefusal('ghcr.io/iotpipe/workloads:0.1.0', policy)).toMatch(/not pinned by digest/);
    expect(imageRefusal('ghcr.io/iotpipe/workloads@sha256:abc', policy)).toMatch(/not pinned by digest/);
  });
});
