export * from './supervisor.js';
export { capMemory } from './memory-cap.js';
export { wasiImports, type WasiOptions } from './wasi/index.js';
export { type ResourceRef, isResourceRef } from './protocol.js';
export * from './guest-mcp.js';
