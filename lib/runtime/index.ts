export * from './supervisor.js';
export { capMemory } from './memory-cap.js';
