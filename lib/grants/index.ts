export * from './capability.js';
export * from './decide.js';
export * from './store.js';
export * from './broker.js';
export * from './approvals.js';
export * from './policy-file.js';
export * from './secrets.js';
