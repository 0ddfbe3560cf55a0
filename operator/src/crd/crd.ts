/**
 * The IoTPipeline CustomResourceDefinition, built from the schema in iotpipeline.ts, and its
 * YAML as committed in operator/crd/iotpipelines.iotpipe.io.yaml (cdk8s reads that file).
 */
import { stringify } from 'yaml';
import {
  CRD_NAME,
  GROUP,
  KIND,
  MAX_NAME_LENGTH,
  NAME_PATTERN,
  PLURAL,
  SINGULAR,
  VERSION,
  specField,
  statusField,
} from './iotpipeline.js';
import type { JsonSchema } from './schema.js';

/** Repo-relative path of the generated CRD file. */
export const CRD_FILE = 'operator/crd/iotpipelines.iotpipe.io.yaml';

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: 'Namespaced';
    names: {
      kind: string;
      plural: string;
      singular: string;
      listKind: string;
      shortNames: string[];
      categories: string[];
    };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: { status: Record<string, never> };
      additionalPrinterColumns: Array<{
        name: string;
        type: string;
        jsonPath: string;
        description?: string;
        priority?: number;
      }>;
      schema: { openAPIV3Schema: JsonSchema };
    }>;
  };
}

/**
 * The CRD the API server gets ('api-server'), or the same shape for code generators ('typing':
 * OpenAPI `required` and `enum`, no CEL; see schema.ts), which `make cdk8s-import` reads.
 */
export type CrdVariant = 'api-server' | 'typing';

export function iotPipelineCrd(variant: CrdVariant = 'api-server'): CustomResourceDefinition {
  const openAPIV3Schema: JsonSchema = variant === 'typing' ? typingSchema() : apiServerSchema();
  return crdWith(openAPIV3Schema);
}

const DESCRIPTION =
  'An IoT data pipeline: MQTT -> adapter -> Kafka topic (Avro, registered schema) -> processor and sink -> database.';

function typingSchema(): JsonSchema {
  return {
    type: 'object',
    description: DESCRIPTION,
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object' },
      spec: { ...specField.typing, description: 'Desired state of the pipeline.' },
      status: { ...statusField.typing, description: 'Observed state, written by the operator.' },
    },
  };
}

function apiServerSchema(): JsonSchema {
  return {
    type: 'object',
    description: DESCRIPTION,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // Declared so that the name rules below can name the field (fieldPath '.metadata.name').
      metadata: { type: 'object', properties: { name: { type: 'string' } } },
      spec: { ...specField.schema, description: 'Desired state of the pipeline.' },
      status: { ...statusField.schema, description: 'Observed state, written by the operator.' },
    },
    'x-kubernetes-validations': [
      // `spec` is required; a CEL rule says so (one message, see schema.ts).
      { rule: 'has(self.spec)', message: 'must be set', fieldPath: '.spec', reason: 'FieldValueRequired' },
      {
        rule: `size(self.metadata.name) <= ${MAX_NAME_LENGTH}`,
        message: `must be at most ${MAX_NAME_LENGTH} characters: child objects are named <name>-processor etc.`,
        fieldPath: '.metadata.name',
      },
      {
        rule: `self.metadata.name.matches('${NAME_PATTERN}')`,
        message:
          "must start with a letter and hold only lowercase letters, digits and '-': the Services <name>-metrics and <name>-adapter are named after it (DNS-1035 labels)",
        fieldPath: '.metadata.name',
      },
    ],
  };
}

function crdWith(openAPIV3Schema: JsonSchema): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: CRD_NAME, labels: { 'app.kubernetes.io/part-of': 'iotpipe' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: KIND,
        plural: PLURAL,
        singular: SINGULAR,
        listKind: `${KIND}List`,
        shortNames: ['iotp'],
        categories: ['iotpipe'],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          // `kubectl get iotp` shows whether each pipeline is Ready and, when not, why; the
          // message is a column of -o wide.
          additionalPrinterColumns: [
            { name: 'Topic', type: 'string', jsonPath: '.spec.kafka.topic' },
            { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Reason', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].reason' },
            {
              name: 'Ready Replicas',
              type: 'integer',
              description: 'Ready replicas over all workloads',
              jsonPath: '.status.readyReplicas',
            },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
            { name: 'Schema ID', type: 'integer', jsonPath: '.status.schemaId', priority: 1 },
            {
              name: 'Message',
              type: 'string',
              jsonPath: '.status.conditions[?(@.type=="Ready")].message',
              priority: 1,
            },
          ],
          schema: { openAPIV3Schema },
        },
      ],
    },
  };
}

export function iotPipelineCrdYaml(variant: CrdVariant = 'api-server'): string {
  const header =
    variant === 'api-server'
      ? '# Generated by `npm run -w operator generate-crd` from operator/src/crd/iotpipeline.ts: do not edit.\n'
      : '# The IoTPipeline CRD for code generators (OpenAPI required/enum, no CEL), from operator/src/crd/iotpipeline.ts: do not apply.\n';
  return header + stringify(iotPipelineCrd(variant), { lineWidth: 0, aliasDuplicateObjects: false });
}
