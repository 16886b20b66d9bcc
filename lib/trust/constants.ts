// Plain values about Sigstore's public services, apart from the code that talks to them: the
// CLI shows them in --help without loading the Sigstore libraries.

/** The predicate type of a plain signature, as cosign 3.x writes it for `cosign sign`. */
export const SIGN_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';
export const PUBLIC_GOOD_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR_URL = 'https://rekor.sigstore.dev';
/** Sigstore's public-good TUF repository; @sigstore/tuf ships its initial root.json. */
export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';
