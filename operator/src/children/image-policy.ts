/**
 * Which workload images the operator runs: an IoTPipeline's `spec.image` is any string its
 * author writes, and the operator runs it with the pipeline's Kafka and database credentials. The
 * operator's settings may limit it to registries (a prefix `host[/path]` matched at a path
 * boundary) and to references pinned by digest. A refused image gets a condition naming the
 * rule, and no workload. Pure.
 */

export interface ImagePolicy {
  /** Allowed `registry[/path]` prefixes; empty: any registry. */
  readonly allowedRegistries: readonly string[];
  /** Only `name@sha256:<64 hex>` references. */
  readonly requireDigest: boolean;
}

export const OPEN_IMAGE_POLICY: ImagePolicy = { allowedRegistries: [], requireDigest: false };

const DIGEST = /@sha256:[0-9a-f]{64}$/;

/**
 * The registry host and path of an image reference, as the container runtime resolves it: a
 * first component with a dot or a colon, or `localhost`, is a registry; otherwise Docker Hub
 * (`docker.io`, and `library/` for a single name).
 */
export function imageRepository(image: string): string {
  const withoutDigest = image.replace(/@.*$/, '');
  const lastSlash = withoutDigest.lastIndexOf('/');
  const tagColon = withoutDigest.indexOf(':', lastSlash + 1);
  const name = tagColon < 0 ? withoutDigest : withoutDigest.slice(0, tagColon);
  const first = name.split('/')[0]!;
  const hasRegistry =
    name.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry) return name;
  return name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
}

/** Why the policy refuses `image`, or undefined when it allows it. */
export function imageRefusal(image: string, policy: ImagePolicy): string | undefined {
  if (policy.requireDigest && !DIGEST.test(image))
    return `image ${image} is not pinned by digest (name@sha256:...), which the operator requires (OPERATOR_IMAGE_REQUIRE_DIGEST)`;
  if (policy.allowedRegistries.length > 0) {
    const repo = imageRepository(image);
    const allowed = policy.allowedRegistries.some((prefix) => {
      const p = prefix.replace(/\/+$/, '');
      return repo === p || repo.startsWith(`${p}/`);
    });
    if (!allowed)
      return `image ${image} (${repo}) is from none of the registries the operator allows (OPERATOR_ALLOWED_REGISTRIES: ${policy.allowedRegistries.join(', ')})`;
  }
  return undefined;
}
