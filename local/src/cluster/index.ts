// The local Kubernetes control plane (etcd + kube-apiserver, no kubelet) and its test helpers.
export {
  loadControlPlaneConfig,
  clusterPaths,
  type ControlPlaneConfig,
  type ClusterPaths,
} from './config.js';
export {
  ControlPlane,
  type ControlPlaneStatus,
  type ComponentStatus,
  type StartReport,
  type ComponentName,
} from './controlplane.js';
export { BinaryBuilder, type BuildReport, type ControlPlaneBinaries } from './binaries.js';
export {
  installCrds,
  platformCrdFiles,
  readCrds,
  waitCrdsEstablished,
  FIELD_MANAGER,
  type InstallCrdsOptions,
} from './crds.js';
export { loadVersions, type ClusterVersions } from './versions.js';
export {
  runClusterCommand,
  isClusterCommand,
  CLUSTER_COMMANDS,
  type ClusterCommand,
  type ClusterCommandOptions,
} from './commands.js';
export * from './testing.js';
