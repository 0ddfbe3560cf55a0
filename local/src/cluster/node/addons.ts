// The node's addons as Kubernetes objects: CoreDNS (cluster names only) and a dynamic volume
// provisioner behind the default StorageClass. Pure: built from NodeConfig, applied by node.ts.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NodeConfig, NodePaths } from './config.js';

export const COREDNS_IMAGE_NAME = 'localhost/iotpipe/coredns';
export const LOCAL_PATH_IMAGE_NAME = 'localhost/iotpipe/local-path-provisioner';
export const STORAGE_CLASS = 'local-path';
const LPP_NAMESPACE = 'local-path-storage';
const COREDNS_PORT = 1053;
const LPP_SA = 'local-path-provisioner';

/** Security settings every addon container runs with: no root, nothing writable but what it mounts. */
const restricted = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  seccompProfile: { type: 'RuntimeDefault' },
};

/**
 * CoreDNS answers for `cluster.local` (and reverse lookups of pod and service addresses) and for
 * nothing else: no `forward` plugin, so no name ever resolves outside the machine.
 */
export function corednsObjects(config: NodeConfig, image: string): KubernetesObject[] {
  const labels = { 'k8s-app': 'kube-dns' };
  const corefile = [
    // A non-root process cannot bind 53 (an added NET_BIND_SERVICE is not effective for a
    // non-root user); the Service maps 53 to this port.
    `.:${COREDNS_PORT} {`,
    '    errors',
    '    health :8080',
    '    ready :8181',
    `    kubernetes ${config.clusterDomain} in-addr.arpa ip6.arpa {`,
    '        pods insecure',
    '        fallthrough in-addr.arpa ip6.arpa',
    '    }',
    '    cache 30',
    '    loop',
    '}',
    '',
  ].join('\n');
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'coredns', namespace: 'kube-system' } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:coredns' },
      rules: [
        {
          apiGroups: [''],
          resources: ['endpoints', 'services', 'pods', 'namespaces'],
          verbs: ['list', 'watch'],
        },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:coredns' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:coredns' },
      subjects: [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }],
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: { Corefile: corefile },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'coredns', namespace: 'kube-system', labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'coredns',
            priorityClassName: 'system-cluster-critical',
            // CoreDNS itself must not ask itself.
            dnsPolicy: 'Default',
            containers: [
              {
                name: 'coredns',
                image,
                imagePullPolicy: 'Never',
                args: ['-conf', '/etc/coredns/Corefile'],
                ports: [
                  { name: 'dns', containerPort: COREDNS_PORT, protocol: 'UDP' },
                  { name: 'dns-tcp', containerPort: COREDNS_PORT, protocol: 'TCP' },
                ],
                securityContext: restricted,
                readinessProbe: { httpGet: { path: '/ready', port: 8181 }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: '/health', port: 8080 }, periodSeconds: 10 },
                resources: { requests: { cpu: '10m', memory: '30Mi' }, limits: { memory: '120Mi' } },
                volumeMounts: [{ name: 'config', mountPath: '/etc/coredns', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'coredns' } }],
          },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels },
      spec: {
        clusterIP: config.dnsIp,
        selector: labels,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: COREDNS_PORT },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: COREDNS_PORT },
        ],
      },
    } as KubernetesObject,
  ];
}

/**
 * rancher/local-path-provisioner: a PersistentVolumeClaim of the default StorageClass gets a
 * directory under `<node state>/volumes`, made (and removed with the claim) by a helper pod of the
 * Debian base image.
 */
export function localPathObjects(
  paths: NodePaths,
  provisionerImage: string,
  helperImage: string,
): KubernetesObject[] {
  const labels = { app: 'local-path-provisioner' };
  const helperPod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: {
      priorityClassName: 'system-node-critical',
      tolerations: [{ key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'helper-pod', image: helperImage, imagePullPolicy: 'Never' }],
    },
  };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: LPP_NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: LPP_SA, namespace: LPP_NAMESPACE } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'local-path-provisioner', namespace: LPP_NAMESPACE },
      rules: [
        {
          apiGroups: [''],
          resources: ['pods'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
        },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'local-path-provisioner' },
      rules: [
        {
          apiGroups: [''],
          resources: ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods', 'pods/log'],
          verbs: ['get', 'list', 'watch'],
        },
        {
          apiGroups: [''],
          resources: ['persistentvolumes'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'],
        },
        { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
        { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
      ],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'local-path-provisioner', namespace: LPP_NAMESPACE },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'local-path-provisioner' },
      subjects: [{ kind: 'ServiceAccount', name: LPP_SA, namespace: LPP_NAMESPACE }],
    } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'local-path-provisioner' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'local-path-provisioner' },
      subjects: [{ kind: 'ServiceAccount', name: LPP_SA, namespace: LPP_NAMESPACE }],
    } as KubernetesObject,
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'local-path-config', namespace: LPP_NAMESPACE },
      data: {
        'config.json': JSON.stringify({
          nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [paths.volumes] }],
        }),
        // hostPath volumes ignore fsGroup: the directory is writable by every pod's user.
        setup: '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n',
        teardown: '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n',
        'helperPod.yaml': JSON.stringify(helperPod),
      },
    } as KubernetesObject,
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'local-path-provisioner', namespace: LPP_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: LPP_SA,
            containers: [
              {
                name: 'local-path-provisioner',
                image: provisionerImage,
                imagePullPolicy: 'Never',
                command: [
                  '/local-path-provisioner',
                  'start',
                  '--config',
                  '/etc/config/config.json',
                  '--service-account-name',
                  LPP_SA,
                  '--helper-image',
                  helperImage,
                ],
                env: [
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'CONFIG_MOUNT_PATH', value: '/etc/config/' },
                ],
                securityContext: restricted,
                resources: { requests: { cpu: '10m', memory: '20Mi' }, limits: { memory: '100Mi' } },
                volumeMounts: [{ name: 'config', mountPath: '/etc/config/', readOnly: true }],
              },
            ],
            volumes: [{ name: 'config', configMap: { name: 'local-path-config' } }],
          },
        },
      },
    } as KubernetesObject,
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: {
        name: STORAGE_CLASS,
        annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      },
      provisioner: 'rancher.io/local-path',
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    } as KubernetesObject,
  ];
}
