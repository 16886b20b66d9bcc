export * from './paths.js';
export * from './audit.js';
