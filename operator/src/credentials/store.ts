/**
 * The Secrets of one namespace through the API server, as the credentials Job may use them:
 * create, and read one by name (its RBAC allows the CA Secret only).
 */
import { ApiException, CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { SecretStore } from './credentials.js';

export const MANAGED_BY = 'iotpipe-credentials';

/** The Secrets of one namespace through the API server. */
export function kubeSecretStore(kc: KubeConfig, namespace: string): SecretStore {
  const core = kc.makeApiClient(CoreV1Api);
  const code = (err: unknown) => (err instanceof ApiException ? err.code : undefined);
  return {
    async create(secret) {
      try {
        await core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name: secret.name, labels: { 'app.kubernetes.io/managed-by': MANAGED_BY } },
            type: secret.type,
            stringData: secret.data,
          },
        });
        return true;
      } catch (err) {
        if (code(err) === 409) return false;
        throw err;
      }
    },
    async read(name) {
      try {
        const s = await core.readNamespacedSecret({ name, namespace });
        return Object.fromEntries(
          Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
        );
      } catch (err) {
        if (code(err) === 404) return undefined;
        throw err;
      }
    },
  };
}
