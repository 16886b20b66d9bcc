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
  GRANT_TEXT_SYNTAX,
  DEFAULT_LIMITS,
  ANSWERS,
  listenForApprovals,
} from './grants/index.js';
export type {
  Answer,
  Approver,
  Capability,
  Grant,
  Limits,
  PendingApproval,
  PermissionRequest,
  SettingKind,
} from './grants/index.js';
export type { CallResult, DenialEvent, InstanceLifetime } from './runtime/index.js';
export { INSTANCE_LIFETIMES } from './runtime/index.js';
export { toJsonValue } from './component/index.js';
