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
export { PUBLIC_GOOD_FULCIO_URL, PUBLIC_GOOD_REKOR_URL, SIGN_PREDICATE_TYPE } from './trust/index.js';
