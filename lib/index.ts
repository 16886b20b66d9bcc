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
