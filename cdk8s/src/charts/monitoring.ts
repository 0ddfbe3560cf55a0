/**
 * Monitoring for kube-prometheus: the alert rules as PrometheusRule (the rule groups come from
 * outside: {@link ruleGroupsFromYaml} reads monitoring/rules/*.rules.yml, the file the local
 * Prometheus loads too), Alertmanager routing by severity to email (AlertmanagerConfig), Grafana
 * dashboards as ConfigMaps labelled grafana_dashboard: "1" (dashboards/*.json), and the RBAC
 * kube-prometheus's Prometheus needs to discover targets in this namespace.
 */
import { Chart, type ChartProps } from 'cdk8s';
import { k8s } from 'cdk8s-plus-34';
import type { Construct } from 'constructs';
import { parse } from 'yaml';
import {
  AlertmanagerConfig,
  AlertmanagerConfigSpecInhibitRulesSourceMatchMatchType,
  AlertmanagerConfigSpecInhibitRulesTargetMatchMatchType,
  AlertmanagerConfigSpecRouteMatchersMatchType,
  PrometheusRule,
  PrometheusRuleSpecGroupsRulesExpr,
} from '../../imports/monitoring.coreos.com.js';
import { MONITORING_STACK } from '../monitoring-stack.js';
import type { Profile } from '../profiles.js';
import { PART_OF } from '../workload.js';
import { NAMES } from './names.js';

/** One Prometheus rule group, as in a Prometheus rule file. */
export interface RuleGroup {
  readonly name: string;
  readonly interval?: string;
  readonly rules: ReadonlyArray<{
    readonly alert?: string;
    readonly record?: string;
    readonly expr: string;
    readonly for?: string;
    readonly keep_firing_for?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  }>;
}

/** The `groups` of a Prometheus rule file; throws naming the file on a malformed one. Pure. */
export function ruleGroupsFromYaml(text: string, file: string): RuleGroup[] {
  const doc = parse(text) as { groups?: unknown } | null;
  const groups = doc?.groups;
  if (!Array.isArray(groups)) throw new Error(`${file}: no 'groups' list`);
  for (const g of groups as Array<Partial<RuleGroup>>) {
    if (typeof g.name !== 'string' || !Array.isArray(g.rules)) throw new Error(`${file}: a group lacks name or rules`);
    for (const r of g.rules as ReadonlyArray<Partial<RuleGroup['rules'][number]>>) {
      if (typeof r.expr !== 'string' && typeof r.expr !== 'number') throw new Error(`${file}: ${g.name}: a rule lacks expr`);
    }
  }
  return groups as RuleGroup[];
}

/** A dashboard JSON file's name (without .json) and text. */
export interface Dashboard {
  readonly name: string;
  readonly json: string;
}

export interface MonitoringChartProps extends ChartProps {
  readonly profile: Profile;
  /** The alert rule groups (the seam to the alert rules' issue); none: no PrometheusRule. */
  readonly ruleGroups: readonly RuleGroup[];
  readonly dashboards: readonly Dashboard[];
  /** The SMTP user name (its password is in the Secret NAMES.smtpSecret). */
  readonly smtpUsername?: string;
}

export class MonitoringChart extends Chart {
  constructor(scope: Construct, id: string, props: MonitoringChartProps) {
    super(scope, id, props);
    const p = props.profile;
    const labels = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/component': 'monitoring' };
    if (props.ruleGroups.length > 0) prometheusRule(this, props.ruleGroups);

    // The SMTP account's Secret (NAMES.smtpSecret: username, password) is the user's to make
    // (charts/credentials.ts USER_SECRETS): no password of it is in the manifests.
    const email = (to: string) => ({
      to,
      from: p.alerting.from,
      smarthost: p.alerting.smarthost,
      authUsername: props.smtpUsername ?? 'alertmanager',
      authPassword: { name: NAMES.smtpSecret, key: 'password' },
      requireTls: p.name === 'production',
      sendResolved: true,
    });
    const severity = (value: string) => [
      { name: 'severity', value, matchType: AlertmanagerConfigSpecRouteMatchersMatchType.VALUE_EQUALS },
    ];
    // The same routing as the local stack's Alertmanager (local/src/services/monitoring.ts):
    // critical mails at once and repeats hourly, warning is batched.
    new AlertmanagerConfig(this, 'alertmanager', {
      metadata: { name: 'iotpipe', labels: { ...labels, ...MONITORING_STACK.alertmanagerConfigLabel } },
      spec: {
        route: {
          receiver: 'email-warning',
          groupBy: ['alertname', 'namespace', 'pipeline'],
          groupWait: '30s',
          groupInterval: '5m',
          repeatInterval: '4h',
          routes: [
            { matchers: severity('critical'), receiver: 'email-critical', groupWait: '5s', groupInterval: '30s', repeatInterval: '1h' },
            { matchers: severity('warning'), receiver: 'email-warning' },
          ],
        },
        receivers: [
          { name: 'email-critical', emailConfigs: [email(p.alerting.to)] },
          { name: 'email-warning', emailConfigs: [email(p.alerting.to)] },
        ],
        inhibitRules: [
          {
            sourceMatch: [{ name: 'severity', value: 'critical', matchType: AlertmanagerConfigSpecInhibitRulesSourceMatchMatchType.VALUE_EQUALS }],
            targetMatch: [{ name: 'severity', value: 'warning', matchType: AlertmanagerConfigSpecInhibitRulesTargetMatchMatchType.VALUE_EQUALS }],
            equal: ['alertname', 'namespace', 'pipeline'],
          },
        ],
      },
    });

    for (const d of props.dashboards) {
      new k8s.KubeConfigMap(this, `dashboard-${d.name}`, {
        metadata: { name: `grafana-dashboard-${d.name}`, labels: { ...labels, grafana_dashboard: '1' } },
        data: { [`${d.name}.json`]: d.json },
      });
    }

    // kube-prometheus's Prometheus (ServiceAccount prometheus-k8s) may only discover targets in
    // the namespaces it was given; this lets it into ours.
    new k8s.KubeRole(this, 'prometheus-role', {
      metadata: { name: 'prometheus-k8s', labels },
      rules: [
        { apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'prometheus-binding', {
      metadata: { name: 'prometheus-k8s', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'prometheus-k8s' },
      subjects: [{ kind: 'ServiceAccount', name: MONITORING_STACK.prometheusServiceAccount, namespace: p.monitoringNamespace }],
    });
  }
}

/** The seam for the alert rules: any rule groups become one PrometheusRule. */
export function prometheusRule(scope: Construct, groups: readonly RuleGroup[], name = 'iotpipe'): PrometheusRule {
  return new PrometheusRule(scope, `rules-${name}`, {
    metadata: { name, labels: { 'app.kubernetes.io/part-of': PART_OF, role: 'alert-rules' } },
    spec: {
      groups: groups.map((g) => ({
        name: g.name,
        ...(g.interval === undefined ? {} : { interval: g.interval }),
        rules: g.rules.map((r) => ({
          ...(r.alert === undefined ? {} : { alert: r.alert }),
          ...(r.record === undefined ? {} : { record: r.record }),
          expr: PrometheusRuleSpecGroupsRulesExpr.fromString(String(r.expr)),
          ...(r.for === undefined ? {} : { for: r.for }),
          ...(r.keep_firing_for === undefined ? {} : { keepFiringFor: r.keep_firing_for }),
          ...(r.labels === undefined ? {} : { labels: { ...r.labels } }),
          ...(r.annotations === undefined ? {} : { annotations: { ...r.annotations } }),
        })),
      })),
    },
  });
}
