export * from './capability.js';
export * from './decide.js';
