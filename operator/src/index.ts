export * from './crd/iotpipeline.js';
export { iotPipelineCrd, iotPipelineCrdYaml, CRD_FILE } from './crd/crd.js';
export * from './children/names.js';
export * from './children/desired.js';
export { workloadProcess, WORKLOADS_CLI, type EnvVar, type WorkloadProcess } from './children/workload.js';
export { loadOperatorConfig, ConfigError, IMAGE_POLICY_SETTINGS, type OperatorConfig } from './config.js';
export { imageRefusal, imageRepository, type ImagePolicy } from './children/image-policy.js';
export { Operator } from './reconcile/operator.js';
export { SchemaRegistryClient, RegistryError } from './registry/client.js';
