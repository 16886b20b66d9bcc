// The public face of lib/trust. Sigstore types stay inside: callers see Evidence, TrustRoot
// (opaque), requirements and signers.
export * from './policy.js';
export { type Evidence, COSIGN_ANNOTATIONS } from './evidence.js';
export { type TrustRoot, publicGoodTrustRoot, trustRootFromJson } from './trusted-root.js';
export {
  type SignerRequirement,
  type VerifiedSigner,
  type VerifyOptions,
  anchoredPattern,
  identifySigner,
  verifyEvidence,
} from './verify.js';
