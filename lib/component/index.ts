export * from './binary.js';
export * from './imports.js';
export * from './transpile.js';
export * from './json-value.js';
