export * from './errors.js';
export * from './digest.js';
export * from './fs.js';
export * from './logger.js';
export * from './package.js';
export * from './state-file.js';
export * from './worker-script.js';
