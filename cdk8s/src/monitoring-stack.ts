/**
 * The monitoring stack the platform's monitoring objects are written for, as kube-prometheus sets
 * it up for our purposes, for a cluster that has none (the local node; the kind walk-through uses
 * kube-prometheus itself): in namespace `monitoring`, a Prometheus `k8s` run by ServiceAccount
 * `prometheus-k8s` that selects every ServiceMonitor, PodMonitor and PrometheusRule in every
 * namespace and alerts to Alertmanager `main`, which takes the AlertmanagerConfigs labelled
 * `alertmanagerConfig: iotpipe` (the selector the walk-through patches in).
 *
 * Not here: the prometheus-operator itself and its CRDs. They are upstream's own install
 * (example/rbac/prometheus-operator and example/prometheus-operator-crd of the pinned module,
 * @iotpipe/local/images prometheusOperatorInstall), applied with the namespace set to this one.
 * No Grafana: it cannot be built here (README residue); the dashboards' queries run against this
 * Prometheus instead. No node-exporter or kube-state-metrics either: nothing of the platform
 * reads them.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { ManifestFile, ManifestObject } from './platform.js';
import { profile as profileOf, type ProfileName } from './profiles.js';

/** kube-prometheus's names, which the platform's monitoring chart refers to. */
export const MONITORING_STACK = {
  prometheus: 'k8s',
  prometheusServiceAccount: 'prometheus-k8s',
  alertmanager: 'main',
  /** The label our AlertmanagerConfig carries and Alertmanager `main` selects. */
  alertmanagerConfigLabel: { alertmanagerConfig: 'iotpipe' },
} as const;

const LABELS = { 'app.kubernetes.io/part-of': 'kube-prometheus' } as const;
const EVERYWHERE = {} as const;

class MonitoringStackChart extends Chart {
  constructor(scope: App, id: string, namespace: string) {
    super(scope, id, { namespace });
    const labels = (component: string) => ({ ...LABELS, 'app.kubernetes.io/component': component });

    new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: namespace, labels: { ...LABELS, 'pod-security.kubernetes.io/enforce': 'baseline' } },
    });

    // Prometheus `k8s`: discovers targets cluster-wide (the platform's namespaces add a Role too,
    // as kube-prometheus only grants its own namespaces), reads node metrics for nothing else.
    const sa = MONITORING_STACK.prometheusServiceAccount;
    new k8s.KubeServiceAccount(this, 'prometheus-sa', {
      metadata: { name: sa, labels: labels('prometheus') },
      automountServiceAccountToken: true,
    });
    new k8s.KubeClusterRole(this, 'prometheus-role', {
      metadata: { name: `${namespace}-${sa}`, labels: labels('prometheus') },
      rules: [
        { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
        { nonResourceUrLs: ['/metrics'], verbs: ['get'] },
      ],
    });
    new k8s.KubeClusterRoleBinding(this, 'prometheus-binding', {
      metadata: { name: `${namespace}-${sa}`, labels: labels('prometheus') },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${namespace}-${sa}` },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    });
    new ApiObject(this, 'prometheus', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Prometheus',
      metadata: { name: MONITORING_STACK.prometheus, labels: labels('prometheus') },
      spec: {
        replicas: 1,
        serviceAccountName: sa,
        // Every monitor and rule, in every namespace (kube-prometheus's selectors).
        serviceMonitorSelector: EVERYWHERE,
        serviceMonitorNamespaceSelector: EVERYWHERE,
        podMonitorSelector: EVERYWHERE,
        podMonitorNamespaceSelector: EVERYWHERE,
        ruleSelector: EVERYWHERE,
        ruleNamespaceSelector: EVERYWHERE,
        probeSelector: EVERYWHERE,
        probeNamespaceSelector: EVERYWHERE,
        scrapeConfigSelector: EVERYWHERE,
        scrapeConfigNamespaceSelector: EVERYWHERE,
        alerting: {
          alertmanagers: [
            {
              namespace,
              name: `alertmanager-${MONITORING_STACK.alertmanager}`,
              port: 'web',
              apiVersion: 'v2',
            },
          ],
        },
        retention: '1d',
        resources: { requests: { cpu: '50m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 2000,
          fsGroup: 2000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      },
    });
    new k8s.KubeService(this, 'prometheus-service', {
      metadata: { name: `prometheus-${MONITORING_STACK.prometheus}`, labels: labels('prometheus') },
      spec: {
        selector: { 'app.kubernetes.io/name': 'prometheus', prometheus: MONITORING_STACK.prometheus },
        ports: [{ name: 'web', port: 9090, targetPort: k8s.IntOrString.fromString('web') }],
      },
    });

    // Alertmanager `main`: our AlertmanagerConfig, wherever it lives.
    new ApiObject(this, 'alertmanager', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'Alertmanager',
      metadata: { name: MONITORING_STACK.alertmanager, labels: labels('alertmanager') },
      spec: {
        replicas: 1,
        alertmanagerConfigSelector: { matchLabels: { ...MONITORING_STACK.alertmanagerConfigLabel } },
        alertmanagerConfigNamespaceSelector: EVERYWHERE,
        resources: { requests: { cpu: '10m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          runAsGroup: 2000,
          fsGroup: 2000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      },
    });
    new k8s.KubeService(this, 'alertmanager-service', {
      metadata: { name: `alertmanager-${MONITORING_STACK.alertmanager}`, labels: labels('alertmanager') },
      spec: {
        selector: { 'app.kubernetes.io/name': 'alertmanager', alertmanager: MONITORING_STACK.alertmanager },
        ports: [{ name: 'web', port: 9093, targetPort: k8s.IntOrString.fromString('web') }],
      },
    });
  }
}

/** The monitoring stack's objects for a profile (its monitoring namespace), as one file. */
export function synthMonitoringStack(profileName: ProfileName): ManifestFile[] {
  const app = new App({ recordConstructMetadata: false });
  const chart = new MonitoringStackChart(app, 'monitoring-stack', profileOf(profileName).monitoringNamespace);
  return [{ file: '10-monitoring-stack.yaml', objects: chart.toJson() as ManifestObject[] }];
}
