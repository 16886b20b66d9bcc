export * from './binary.js';
export * from './imports.js';
export * from './transpile.js';
export * from './json-value.js';
export * from './wit-model.js';
export * from './schema.js';
export * from './values.js';
export * from './wit-print.js';
export { readComponentWorld } from './wit-types.js';
