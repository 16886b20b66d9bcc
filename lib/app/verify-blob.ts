import { readFile } from 'node:fs/promises';
import { type Digest, WtoolsError, describeError } from '../core/index.js';
import type { VerifiedSigner } from '../trust/index.js';
import { loadTrustApi } from './trust-api.js';
import type { WtoolsContext } from './context.js';
import { loadTrustRoot } from './trust-root.js';
import type { TrustOptions } from './verify.js';

export interface BlobVerification {
  file: string;
  bundle: string;
  /** The file's digest the bundle was checked against (sha256, or sha512 for sha512-only bundles). */
  digest: Digest;
  signer: VerifiedSigner;
  trustRoot: Digest;
}

/** What a local file needs, since no policy rule (registry/repository globs) can match it. */
export const BLOB_SIGNER_FLAGS =
  '--certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer, or --key PUB.pem';

/**
 * `wtools verify --bundle FILE.sigstore.json FILE`: like cosign verify-blob. A local file has no
 * registry or repository for a policy rule to match, so the signer must be named explicitly.
 * Throws USAGE for missing signers or unreadable files; verification failures keep their codes
 * (SIGNATURE_INVALID, SUBJECT_MISMATCH, UNTRUSTED_SIGNER).
 */
export async function verifyBlob(
  context: WtoolsContext,
  file: string,
  bundleFile: string,
  options: TrustOptions,
): Promise<BlobVerification> {
  const signers = options.signers ?? [];
  if (signers.length === 0) {
    throw new WtoolsError(
      'USAGE',
      `verifying a local file needs the accepted signer named: ${BLOB_SIGNER_FLAGS} ` +
        '(trust policy rules match registry repositories, and a local file has none)',
    );
  }
  if (options.policyFile) {
    throw new WtoolsError(
      'USAGE',
      '--policy does not apply to --bundle (name the signer with flags instead)',
    );
  }
  if (options.allowUnsigned) {
    throw new WtoolsError('USAGE', '--allow-unsigned does not apply to --bundle: a bundle is a signature');
  }
  const bundleJson = await readInput(bundleFile, 'bundle');
  const bytes = await readInput(file, 'file');
  const root = await loadTrustRoot(context, options.trustedRootFile);
  const { digest, ...signer } = (await loadTrustApi()).verifyArtifact(
    bytes,
    new TextDecoder().decode(bundleJson),
    bundleFile,
    signers,
    root,
  );
  return { file, bundle: bundleFile, digest, signer, trustRoot: root.fingerprint };
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    throw new WtoolsError('USAGE', `cannot read ${what} ${file}: ${describeError(err)}`, { cause: err });
  }
}
