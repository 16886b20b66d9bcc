import { SIGN_PREDICATE_TYPE } from './constants.js';
/**
 * Signing: a Sigstore bundle v0.3 whose DSSE envelope carries an in-toto statement about one OCI
 * manifest digest — the shape cosign 3.x (`cosign sign` with the new bundle format) and GitHub's
 * actions/attest attach as referrers, and what verify.ts checks.
 *
 * Keyed: signed with a local ECDSA P-256 key; the bundle names the key by its id (publicKey hint)
 * and has no transparency-log entry or timestamp unless a Rekor or TSA URL is given.
 * Keyless: an ephemeral key, a Fulcio certificate for the OIDC identity token, a Rekor entry, and
 * a TSA timestamp when a TSA URL is given (@sigstore/sign does the talking).
 */
import { sign } from 'node:crypto';
import { bundleToJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import type { Signer, Witness } from '@sigstore/sign';
import {
  TrustError,
  WtoolsError,
  describeError,
  digestAlgorithm,
  digestHex,
  parseDigest,
} from '../core/index.js';
import type { SigningKey } from './keys.js';

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

const FULCIO_ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const FULCIO_ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';

export interface KeyedSignOptions {
  /** Also log the signature in this Rekor (v1 API); by default a keyed bundle has no tlog entry. */
  rekorURL?: string;
  /** Also timestamp the signature at this RFC 3161 TSA (…/api/v1/timestamp is appended). */
  tsaServerURL?: string;
  timeoutMs?: number;
}

export interface KeylessSignOptions {
  /** An OIDC identity token (JWT) that Fulcio accepts; it is sent to Fulcio only. */
  identityToken: string;
  fulcioURL: string;
  rekorURL: string;
  tsaServerURL?: string;
  timeoutMs?: number;
}

/** Who the bundle says signed, read back from what was produced (not a verification). */
export type BundleSigner =
  { method: 'key'; keyId: string } | { method: 'keyless'; identity: string; issuer: string };

export interface SignedBundle {
  /** The bundle as JSON text (media type application/vnd.dev.sigstore.bundle.v0.3+json). */
  bundleJson: string;
  signer: BundleSigner;
  predicateType: string;
}

/** The in-toto statement a signature of `subjectDigest` covers; `subjectName` is informational. */
export function signatureStatement(subjectDigest: string, subjectName: string): Buffer {
  const digest = parseDigest(subjectDigest);
  return Buffer.from(
    JSON.stringify({
      _type: IN_TOTO_STATEMENT_V1,
      subject: [{ name: subjectName, digest: { [digestAlgorithm(digest)]: digestHex(digest) } }],
      predicateType: SIGN_PREDICATE_TYPE,
      predicate: {},
    }),
  );
}

/** Signs `subjectDigest` (an OCI manifest digest) with a local key. */
export async function signManifestKeyed(
  subjectDigest: string,
  subjectName: string,
  key: SigningKey,
  options: KeyedSignOptions = {},
): Promise<SignedBundle> {
  const signer: Signer = {
    sign: (data) =>
      Promise.resolve({
        signature: sign('sha256', data, key.privateKey),
        key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.keyId },
      }),
  };
  const witnesses = await witnessesFor(options);
  const bundleJson = await createBundle(signer, witnesses, signatureStatement(subjectDigest, subjectName));
  return { bundleJson, signer: { method: 'key', keyId: key.keyId }, predicateType: SIGN_PREDICATE_TYPE };
}

/** Signs `subjectDigest` keylessly: Fulcio certifies an ephemeral key for the token's identity. */
export async function signManifestKeyless(
  subjectDigest: string,
  subjectName: string,
  options: KeylessSignOptions,
): Promise<SignedBundle> {
  checkIdentityToken(options.identityToken);
  const { FulcioSigner } = await import('@sigstore/sign');
  const signer = new FulcioSigner({
    identityProvider: { getToken: () => Promise.resolve(options.identityToken) },
    fulcioBaseURL: options.fulcioURL,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  });
  const witnesses = await witnessesFor(options);
  const bundleJson = await createBundle(signer, witnesses, signatureStatement(subjectDigest, subjectName));
  return { bundleJson, signer: certificateSigner(bundleJson), predicateType: SIGN_PREDICATE_TYPE };
}

// @sigstore/sign (and its HTTP stack) loads only when something is signed: verify-only runs of the
// bundled CLI do not pay for it.
async function witnessesFor(options: KeyedSignOptions): Promise<Witness[]> {
  const { RekorWitness, TSAWitness } = await import('@sigstore/sign');
  const timeout = options.timeoutMs ? { timeout: options.timeoutMs } : {};
  const witnesses: Witness[] = [];
  if (options.rekorURL) witnesses.push(new RekorWitness({ rekorBaseURL: options.rekorURL, ...timeout }));
  if (options.tsaServerURL) witnesses.push(new TSAWitness({ tsaBaseURL: options.tsaServerURL, ...timeout }));
  return witnesses;
}

async function createBundle(signer: Signer, witnesses: Witness[], statement: Buffer): Promise<string> {
  const { DSSEBundleBuilder } = await import('@sigstore/sign');
  // certificateChain: false → bundle v0.3 (a single certificate, or a public-key hint).
  const builder = new DSSEBundleBuilder({ signer, witnesses, certificateChain: false });
  try {
    const bundle = await builder.create({ data: statement, type: IN_TOTO_PAYLOAD_TYPE });
    return JSON.stringify(bundleToJSON(bundle));
  } catch (err) {
    throw signingFailed(err);
  }
}

/**
 * A token is checked before anything is sent: a malformed or expired one fails here with a message
 * that never repeats the token (@sigstore/sign's own error would).
 */
function checkIdentityToken(token: string): void {
  const parts = token.trim().split('.');
  let claims: { sub?: unknown; email?: unknown; exp?: unknown } | undefined;
  if (parts.length === 3) {
    try {
      claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as typeof claims;
    } catch {
      claims = undefined;
    }
  }
  if (typeof claims !== 'object' || claims === null) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      'the identity token is not a JWT (expected three base64url parts with a JSON payload)',
    );
  }
  if (typeof claims.sub !== 'string' && typeof claims.email !== 'string') {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      'the identity token names no subject (no "sub" or "email" claim)',
    );
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `the identity token expired at ${new Date(claims.exp * 1000).toISOString()}; get a fresh one`,
    );
  }
}

/** The identity Fulcio certified, read from the bundle just built. */
function certificateSigner(bundleJson: string): BundleSigner {
  const material = (
    JSON.parse(bundleJson) as {
      verificationMaterial?: { certificate?: { rawBytes?: string } };
    }
  ).verificationMaterial;
  const raw = material?.certificate?.rawBytes;
  if (!raw) throw new TrustError('SIGNING_FAILED', 'the keyless bundle carries no certificate');
  const cert = X509Certificate.parse(Buffer.from(raw, 'base64'));
  const v2 = cert.extension(FULCIO_ISSUER_V2);
  const issuer = v2
    ? v2.valueObj.subs[0]?.value.toString('ascii')
    : cert.extension(FULCIO_ISSUER_V1)?.value.toString('ascii');
  return { method: 'keyless', identity: cert.subjectAltName ?? '', issuer: issuer ?? '' };
}

interface SigstoreInternalError {
  code?: unknown;
  message?: unknown;
  cause?: { message?: unknown; status?: unknown; code?: unknown };
}

function signingFailed(err: unknown): WtoolsError {
  if (err instanceof WtoolsError) return err;
  const e = (err ?? {}) as SigstoreInternalError;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const what: Record<string, string> = {
    CA_CREATE_SIGNING_CERTIFICATE_ERROR: 'Fulcio refused or failed to issue a certificate',
    TLOG_CREATE_ENTRY_ERROR: 'Rekor refused or failed to log the signature',
    TSA_CREATE_TIMESTAMP_ERROR: 'the timestamp authority refused or failed to timestamp the signature',
    IDENTITY_TOKEN_READ_ERROR: 'the identity token could not be read',
    IDENTITY_TOKEN_PARSE_ERROR: 'the identity token is not a valid JWT',
  };
  const cause = e.cause ? describeError(e.cause) : undefined;
  // IDENTITY_TOKEN_PARSE_ERROR's own message contains the token: never repeat it.
  const detail = code && what[code] ? `${what[code]}${cause ? `: ${cause}` : ''}` : describeError(err);
  return new TrustError('SIGNING_FAILED', `signing failed: ${detail}`, {
    cause: err,
    ...(code ? { details: { sigstoreCode: code } } : {}),
  });
}
