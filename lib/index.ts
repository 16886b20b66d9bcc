// The programmatic API: what cli/ uses, and what embedders may use.
export * from './core/index.js';
export * from './app/index.js';
export { parseReference, formatReference, REFERENCE_GRAMMAR } from './oci/index.js';
export type {
  Reference,
  Descriptor,
  ProgressEvent,
  ProgressListener,
  Credential,
  GcResult,
} from './oci/index.js';
export type { BundleSigner, SignerRequirement, VerifiedSigner } from './trust/index.js';
export * from './trust/constants.js';
export {
  parseCapability,
  formatCapability,
  parseDurationMs,
  parseMemoryMiB,
  parseSizeBytes,
  GRANT_SYNTAX,
  DEFAULT_LIMITS,
} from './grants/index.js';
export type { Capability, Grant, Limits } from './grants/index.js';
export type { CallResult, DenialEvent, InstanceLifetime } from './runtime/index.js';
export { toJsonValue } from './component/index.js';
