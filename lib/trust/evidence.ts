/**
 * Signature material for one subject, as lib/oci found it and before anything is trusted. Only
 * lib/trust reads inside it; `source` names where it came from ("referrer sha256:…", "tag
 * sha256-….sig") for messages.
 */
export type Evidence =
  /** A Sigstore bundle v0.1–v0.3 as JSON text (an OCI referrer layer, or a .sigstore.json file). */
  | { kind: 'bundle'; bundleJson: string; source: string }
  /** One layer of cosign 2.x's `sha256-<hex>.sig` image: a simple-signing payload and its annotations. */
  | {
      kind: 'cosign-legacy';
      payload: Uint8Array;
      /** The layer descriptor's digest, which must be sha256(payload). */
      payloadDigest: string;
      /** Base64 signature over the payload bytes (annotation dev.cosignproject.cosign/signature). */
      signature: string;
      /** PEM leaf certificate of a keyless signature (dev.sigstore.cosign/certificate). */
      certificate?: string;
      /** PEM intermediates and root (dev.sigstore.cosign/chain). */
      chain?: string;
      /** Rekor's signed entry timestamp as JSON (dev.sigstore.cosign/bundle). */
      rekorBundle?: string;
      source: string;
    };

/** cosign's annotation keys on a `.sig` layer, for lib/oci's conversion into Evidence. */
export const COSIGN_ANNOTATIONS = {
  signature: 'dev.cosignproject.cosign/signature',
  certificate: 'dev.sigstore.cosign/certificate',
  chain: 'dev.sigstore.cosign/chain',
  rekorBundle: 'dev.sigstore.cosign/bundle',
} as const;
