// Container images made on this machine (`make images`): recipes, the podman builder, loading.
export { loadImagesConfig, aptMirror, type ImagesConfig } from './config.js';
export * from './catalog.js';
export { ImageBuilder, ROOTFS_LABEL, BUILD_CA_PATH, BUILD_NPMRC_PATH, type ImageReport } from './builder.js';
export { Podman, podmanEnv, type ImageInfo } from './podman.js';
export {
  runImagesCommand,
  isImagesCommand,
  allRecipes,
  IMAGES_COMMANDS,
  type ImagesCommand,
  type ImagesCommandOptions,
} from './commands.js';
export {
  thirdPartyRecipes,
  strimziInstallDir,
  strimziImageRefs,
  javaImageRef,
  parseEnvFile,
  fullImageRef,
  THIRD_PARTY_IMAGES,
  DEBIAN_PACKAGE_VERSIONS,
} from './third-party.js';
export {
  monitoringRecipes,
  operatorDefaults,
  prometheusReleaseOfModule,
  prometheusOperatorInstall,
  intoNamespace,
  type InstallObject,
} from './monitoring.js';
