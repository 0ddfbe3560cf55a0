export * from './constants.js';
export * from './errors.js';
export * from './settings.js';
export * from './stages.js';
export * from './env-reader.js';
export * from './kubernetes.js';
export * from './credentials.js';
export * from './hash.js';
