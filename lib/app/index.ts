export * from './context.js';
export * from './pull.js';
export * from './push.js';
export * from './copy.js';
export * from './store-commands.js';
export * from './login.js';
export * from './package-files.js';
export * from './verify.js';
