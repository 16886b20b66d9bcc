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
  verifyArtifact,
  verifyEvidence,
} from './verify.js';
export { type KeyPairPem, type SigningKey, generateKeyPair, keyId, loadPrivateKey } from './keys.js';
export {
  type BundleSigner,
  type KeyedSignOptions,
  type KeylessSignOptions,
  type SignedBundle,
  IN_TOTO_STATEMENT_V1,
  signManifestKeyed,
  signManifestKeyless,
  signatureStatement,
} from './sign.js';
export { type FetchedTrustRoot, type TufFetchOptions, fetchTrustRootThroughTuf } from './tuf.js';
export * from './constants.js';
