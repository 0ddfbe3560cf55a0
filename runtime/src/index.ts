export * from './failures.js';
export * from './health-server.js';
export * from './lifecycle.js';
export * from './log.js';
export * from './retry.js';
