import { type KeyObject, createHash, createPublicKey } from 'node:crypto';
import { type Bundle, ValidationError, bundleFromJSON } from '@sigstore/bundle';
import { RFC3161Timestamp } from '@sigstore/core';
import { HashAlgorithm } from '@sigstore/protobuf-specs';
import { type TrustMaterial, Verifier, toSignedEntity } from '@sigstore/verify';
import {
  type Digest,
  TrustError,
  describeError,
  digestAlgorithm,
  digestHex,
  digestOf,
  parseDigest,
  sha256,
} from '../core/index.js';
import type { Evidence } from './evidence.js';
import { type TrustRoot, trustMaterialOf } from './trusted-root.js';

/** What a policy rule accepts: a keyless (Fulcio certificate) identity, or a public key. */
export type SignerRequirement =
  | {
      kind: 'keyless';
      /** The certificate's SAN exactly (an email or a URI such as a GitHub workflow ref). */
      identity?: string;
      /** A JavaScript regular expression the whole SAN must match; anchored at both ends here. */
      identityRegexp?: string;
      /** The OIDC issuer exactly (Fulcio's issuer extension). */
      issuer: string;
    }
  | { kind: 'key'; publicKeyPem: string; name?: string };

/** Who signed, once the signature checked out: what `ls`, `inspect` and a trust prompt show. */
export interface VerifiedSigner {
  format: 'bundle' | 'cosign-legacy';
  method: 'keyless' | 'key';
  identity?: string;
  issuer?: string;
  /** The requirement's name for the key, or its id `SHA256:<base64 of sha256(SPKI DER)>`. */
  keyName?: string;
  /** ISO time the signature was logged (transparency log) or stamped (timestamp authority). */
  tlogTime?: string;
  /** The in-toto predicate type, for DSSE bundles (provenance, cosign's sign predicate, …). */
  predicateType?: string;
  source: string;
}

export interface VerifyOptions {
  /**
   * The subject's own bytes (the manifest, or a local file). Only message-signature bundles need
   * them: their signature covers the bytes, and Node cannot verify an ECDSA signature over a digest.
   */
  subjectBytes?: Uint8Array;
}

/**
 * Checks that `evidence` is a valid signature over `subject` (an OCI manifest digest
 * "sha256:<hex>", or a file's digest) and that its signer meets one of `requirements`.
 * Synchronous and offline: everything it needs is in its arguments.
 */
export function verifyEvidence(
  subject: string,
  evidence: Evidence,
  requirements: readonly SignerRequirement[],
  root: TrustRoot,
  options: VerifyOptions = {},
): VerifiedSigner {
  const accepted = compileRequirements(requirements);
  const signed = toSignedContent(parseDigest(subject), evidence, options);
  const signer =
    signed.keyHint === undefined
      ? verifyKeylessSignature(signed, root)
      : verifyKeyedSignature(signed, accepted.keys, root);
  if (signer.method === 'keyless') checkKeylessIdentity(signer, accepted);
  return signer;
}

/**
 * The same cryptographic checks with no requirement: who signed, to show a human before asking.
 * A keyed signature cannot be checked without its key, so it is reported as UNTRUSTED_SIGNER.
 */
export function identifySigner(
  subject: string,
  evidence: Evidence,
  root: TrustRoot,
  options: VerifyOptions = {},
): VerifiedSigner {
  const signed = toSignedContent(parseDigest(subject), evidence, options);
  if (signed.keyHint === undefined) return verifyKeylessSignature(signed, root);
  throw new TrustError(
    'UNTRUSTED_SIGNER',
    `${signed.source}: signed with a public key (${describeHint(signed.keyHint)}); the signer can only be checked against a given key`,
    { details: { keyHint: signed.keyHint } },
  );
}

/**
 * `verify --bundle`: checks a Sigstore bundle against a local file's bytes (like cosign
 * verify-blob). The subject is the file's sha256, or its sha512 when the bundle states only that
 * algorithm (npm provenance); either way the digest is computed here from the bytes.
 */
export function verifyArtifact(
  bytes: Uint8Array,
  bundleJson: string,
  source: string,
  requirements: readonly SignerRequirement[],
  root: TrustRoot,
): VerifiedSigner & { digest: Digest } {
  const digest = digestOf(bytes, statedDigestAlgorithm(bundleJson));
  const signer = verifyEvidence(digest, { kind: 'bundle', bundleJson, source }, requirements, root, {
    subjectBytes: bytes,
  });
  return { ...signer, digest };
}

/** sha512 when the bundle's message digest or every in-toto subject uses it; sha256 otherwise. */
function statedDigestAlgorithm(bundleJson: string): 'sha256' | 'sha512' {
  try {
    const json = JSON.parse(bundleJson) as {
      messageSignature?: { messageDigest?: { algorithm?: unknown } };
      dsseEnvelope?: { payload?: unknown };
    };
    const algorithm = json.messageSignature?.messageDigest?.algorithm;
    if (algorithm !== undefined) return algorithm === 'SHA2_512' ? 'sha512' : 'sha256';
    const payload = json.dsseEnvelope?.payload;
    if (typeof payload !== 'string') return 'sha256';
    const statement = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { subject?: unknown };
    const subjects = Array.isArray(statement.subject) ? (statement.subject as unknown[]) : [];
    const has = (name: string) =>
      subjects.some(
        (s) => typeof (s as { digest?: Record<string, unknown> } | null)?.digest?.[name] === 'string',
      );
    return !has('sha256') && has('sha512') ? 'sha512' : 'sha256';
  } catch {
    return 'sha256'; // verifyEvidence reports what is wrong with the bundle
  }
}

// ---------------------------------------------------------------------------------------------
// Requirements

interface CompiledKeyless {
  identity?: string;
  identityPattern?: RegExp;
  issuer: string;
  describe: string;
}
interface CompiledKey {
  key: KeyObject;
  ids: readonly string[];
  name: string;
}
interface CompiledRequirements {
  keyless: CompiledKeyless[];
  keys: CompiledKey[];
  describe: string[];
}

function compileRequirements(requirements: readonly SignerRequirement[]): CompiledRequirements {
  const compiled: CompiledRequirements = { keyless: [], keys: [], describe: [] };
  for (const requirement of requirements) {
    if (requirement.kind === 'keyless') {
      const entry = compileKeyless(requirement);
      compiled.keyless.push(entry);
      compiled.describe.push(entry.describe);
    } else {
      const entry = compileKey(requirement);
      compiled.keys.push(entry);
      compiled.describe.push(`key ${entry.name}`);
    }
  }
  return compiled;
}

function compileKeyless(requirement: Extract<SignerRequirement, { kind: 'keyless' }>): CompiledKeyless {
  const { identity, identityRegexp, issuer } = requirement;
  if (!issuer) {
    throw new TrustError('POLICY_INVALID', 'a keyless requirement needs an OIDC issuer, found none');
  }
  // An identity-less requirement would accept anyone who can log in at the issuer.
  if (!identity && !identityRegexp) {
    throw new TrustError(
      'POLICY_INVALID',
      `a keyless requirement needs an identity or an identity regexp (issuer ${issuer}), found neither`,
    );
  }
  const compiled: CompiledKeyless = { issuer, describe: '' };
  const parts: string[] = [];
  if (identity) {
    compiled.identity = identity;
    parts.push(`identity "${identity}"`);
  }
  if (identityRegexp) {
    compiled.identityPattern = anchoredPattern(identityRegexp);
    parts.push(`identity matching ${compiled.identityPattern.source}`);
  }
  compiled.describe = `${parts.join(' and ')} with issuer "${issuer}"`;
  return compiled;
}

/** sigstore-js and cosign match a SAN pattern anywhere in it; a policy means the whole SAN. */
export function anchoredPattern(identityRegexp: string): RegExp {
  try {
    return new RegExp(`^(?:${identityRegexp})$`);
  } catch (err) {
    throw new TrustError(
      'POLICY_INVALID',
      `identity regexp ${JSON.stringify(identityRegexp)}: ${describeError(err)}`,
      {
        cause: err,
      },
    );
  }
}

function compileKey(requirement: Extract<SignerRequirement, { kind: 'key' }>): CompiledKey {
  let key: KeyObject;
  try {
    key = createPublicKey(requirement.publicKeyPem);
  } catch (err) {
    const what = requirement.name ? `public key ${requirement.name}` : 'a public key';
    throw new TrustError('POLICY_INVALID', `${what} is not a PEM public key: ${describeError(err)}`, {
      cause: err,
    });
  }
  const ids = keyIds(key);
  return { key, ids, name: requirement.name ?? ids[0] ?? 'unnamed key' };
}

/** The spellings of a key id seen in bundle hints: npm's `SHA256:<base64>`, plain hex and base64. */
function keyIds(key: KeyObject): string[] {
  const hash = createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest();
  return [
    `SHA256:${hash.toString('base64').replace(/=+$/, '')}`,
    hash.toString('hex'),
    hash.toString('base64'),
  ];
}

function checkKeylessIdentity(signer: VerifiedSigner, accepted: CompiledRequirements): void {
  const { identity, issuer } = signer;
  const match = accepted.keyless.find(
    (r) =>
      identity !== undefined &&
      issuer === r.issuer &&
      (r.identity === undefined || identity === r.identity) &&
      (r.identityPattern === undefined || r.identityPattern.test(identity)),
  );
  if (match) return;
  const required =
    accepted.describe.length > 0 ? accepted.describe.join('; or ') : 'nothing (no requirement given)';
  throw new TrustError(
    'UNTRUSTED_SIGNER',
    `${signer.source}: valid signature by identity "${identity ?? '(none)'}" with issuer "${issuer ?? '(none)'}", which is not accepted; required: ${required}`,
    { details: { identity, issuer, required: accepted.describe } },
  );
}

// ---------------------------------------------------------------------------------------------
// Evidence → one sigstore bundle plus what its signed content says about the subject

/** What the signature covers, converted once from the wire formats. */
interface SignedContent {
  format: VerifiedSigner['format'];
  source: string;
  bundle: Bundle;
  /** The signed bytes of a message signature (legacy payload or subject bytes). */
  artifact?: Buffer;
  /** Set for keyed signatures (a public-key hint instead of a certificate). */
  keyHint?: string;
  /** Checks, once the signature is known to be good, that the signed content names the subject. */
  checkSubject: () => { predicateType?: string };
}

function toSignedContent(subject: Digest, evidence: Evidence, options: VerifyOptions): SignedContent {
  return evidence.kind === 'bundle'
    ? bundleContent(subject, evidence.bundleJson, evidence.source, options)
    : legacyCosignContent(subject, evidence);
}

function bundleContent(
  subject: Digest,
  bundleJson: string,
  source: string,
  options: VerifyOptions,
): SignedContent {
  let json: unknown;
  try {
    json = JSON.parse(bundleJson);
  } catch (err) {
    throw signatureInvalid(source, `the bundle is not JSON (${describeError(err)})`, err);
  }
  const signatures = (json as { dsseEnvelope?: { signatures?: unknown } } | null)?.dsseEnvelope?.signatures;
  if (Array.isArray(signatures) && signatures.length !== 1) {
    // sigstore-js would check only the first; a second signer could be anyone.
    throw signatureInvalid(
      source,
      `the DSSE envelope carries ${signatures.length} signatures; exactly one is accepted`,
    );
  }
  const bundle = parseBundle(json, source);
  const material = bundle.verificationMaterial.content;
  const keyHint = material.$case === 'publicKey' ? material.publicKey.hint : undefined;
  const base = { format: 'bundle' as const, source, bundle, keyHint };

  if (bundle.content.$case === 'dsseEnvelope') {
    const envelope = bundle.content.dsseEnvelope;
    return {
      ...base,
      checkSubject: () => checkInTotoSubject(subject, envelope.payloadType, envelope.payload, source),
    };
  }
  // A message signature covers bytes whose digest the bundle states: that digest must be the subject.
  const { messageDigest } = bundle.content.messageSignature;
  const algorithm = messageDigest ? HASH_NAMES[messageDigest.algorithm] : undefined;
  const stated =
    messageDigest && algorithm ? `${algorithm}:${messageDigest.digest.toString('hex')}` : undefined;
  if (stated !== subject) {
    throw new TrustError(
      'SUBJECT_MISMATCH',
      `${source}: the bundle signs ${stated ?? 'an unknown digest'}, expected ${subject}`,
      {
        details: { expected: subject, found: stated },
      },
    );
  }
  if (!options.subjectBytes) {
    throw signatureInvalid(
      source,
      `a message-signature bundle signs the bytes of ${subject}, and they were not given to the verifier`,
    );
  }
  const actual = digestOf(options.subjectBytes, digestAlgorithm(subject));
  if (actual !== subject) {
    throw new TrustError(
      'SUBJECT_MISMATCH',
      `${source}: the subject bytes given have digest ${actual}, expected ${subject}`,
    );
  }
  return { ...base, artifact: Buffer.from(options.subjectBytes), checkSubject: () => ({}) };
}

const HASH_NAMES: Partial<Record<HashAlgorithm, 'sha256' | 'sha512'>> = {
  [HashAlgorithm.SHA2_256]: 'sha256',
  [HashAlgorithm.SHA2_512]: 'sha512',
};

function parseBundle(json: unknown, source: string): Bundle {
  try {
    return bundleFromJSON(json);
  } catch (err) {
    const fields = err instanceof ValidationError && err.fields ? `: ${err.fields.join(', ')}` : '';
    throw signatureInvalid(source, `not a valid Sigstore bundle (${describeError(err)}${fields})`, err);
  }
}

const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
const IN_TOTO_STATEMENT_TYPES = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'];

interface InTotoStatement {
  _type?: unknown;
  predicateType?: unknown;
  subject?: unknown;
}

/** A DSSE bundle signs an in-toto statement: one of its subjects must carry the subject digest. */
function checkInTotoSubject(
  subject: Digest,
  payloadType: string,
  payload: Buffer,
  source: string,
): { predicateType?: string } {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new TrustError(
      'SUBJECT_MISMATCH',
      `${source}: expected a DSSE payload of type ${IN_TOTO_PAYLOAD_TYPE}, found ${JSON.stringify(payloadType)}`,
    );
  }
  let statement: InTotoStatement;
  try {
    statement = JSON.parse(payload.toString('utf8')) as InTotoStatement;
  } catch (err) {
    throw new TrustError('SUBJECT_MISMATCH', `${source}: the signed in-toto statement is not JSON`, {
      cause: err,
    });
  }
  if (
    typeof statement !== 'object' ||
    statement === null ||
    !IN_TOTO_STATEMENT_TYPES.includes(String(statement._type))
  ) {
    throw new TrustError(
      'SUBJECT_MISMATCH',
      `${source}: expected an in-toto statement (${IN_TOTO_STATEMENT_TYPES.join(' or ')}), found _type ${JSON.stringify(statement?._type)}`,
    );
  }
  const algorithm = digestAlgorithm(subject);
  const found: string[] = [];
  for (const entry of Array.isArray(statement.subject) ? (statement.subject as unknown[]) : []) {
    const value = (entry as { digest?: Record<string, unknown> } | null)?.digest?.[algorithm];
    if (typeof value !== 'string') continue;
    const digest = `${algorithm}:${value.toLowerCase()}`;
    if (digest === subject) {
      return typeof statement.predicateType === 'string' ? { predicateType: statement.predicateType } : {};
    }
    found.push(digest);
  }
  throw new TrustError(
    'SUBJECT_MISMATCH',
    `${source}: the signed statement is about ${found.length > 0 ? found.join(', ') : `no ${algorithm} digest`}, expected ${subject}`,
    { details: { expected: subject, found } },
  );
}

const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';

interface SimpleSigningPayload {
  critical?: { type?: unknown; image?: { 'docker-manifest-digest'?: unknown } };
}

/**
 * cosign 2.x `.sig` layers: sigstore-js cannot read them, so they become an in-memory v0.1
 * message-signature bundle (the payload is the signed message, the Rekor SET its inclusion promise)
 * and go through the same verifier as every other bundle.
 */
function legacyCosignContent(
  subject: Digest,
  evidence: Extract<Evidence, { kind: 'cosign-legacy' }>,
): SignedContent {
  const { source, payload } = evidence;
  const payloadDigest = sha256(payload);
  if (payloadDigest !== evidence.payloadDigest) {
    throw signatureInvalid(
      source,
      `the payload has digest ${payloadDigest}, but its layer says ${evidence.payloadDigest}`,
    );
  }
  const signature = strictBase64(evidence.signature, source, 'signature');
  const certificates = evidence.certificate
    ? [
        ...pemCertificates(evidence.certificate, source, 'certificate'),
        ...pemCertificates(evidence.chain ?? '', source, 'chain'),
      ]
    : [];
  if (evidence.certificate && certificates.length === 0) {
    throw signatureInvalid(source, 'the certificate annotation holds no PEM certificate');
  }
  const serialized = {
    mediaType: 'application/vnd.dev.sigstore.bundle+json;version=0.1',
    verificationMaterial: {
      ...(certificates.length > 0
        ? {
            x509CertificateChain: {
              certificates: certificates.map((der) => ({ rawBytes: der.toString('base64') })),
            },
          }
        : { publicKey: { hint: '' } }),
      tlogEntries: evidence.rekorBundle ? [rekorSetToTlogEntry(evidence.rekorBundle, source)] : [],
    },
    messageSignature: {
      messageDigest: {
        algorithm: 'SHA2_256',
        digest: Buffer.from(digestHex(payloadDigest), 'hex').toString('base64'),
      },
      signature: signature.toString('base64'),
    },
  };
  return {
    format: 'cosign-legacy',
    source,
    bundle: parseBundle(serialized, source),
    artifact: Buffer.from(payload),
    keyHint: certificates.length > 0 ? undefined : '',
    checkSubject: () => checkSimpleSigningSubject(subject, payload, source),
  };
}

function checkSimpleSigningSubject(
  subject: Digest,
  payload: Uint8Array,
  source: string,
): { predicateType?: string } {
  let parsed: SimpleSigningPayload;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8')) as SimpleSigningPayload;
  } catch (err) {
    throw signatureInvalid(source, 'the simple-signing payload is not JSON', err);
  }
  const type = parsed?.critical?.type;
  if (type !== COSIGN_SIGNATURE_TYPE) {
    throw signatureInvalid(
      source,
      `expected a payload of type "${COSIGN_SIGNATURE_TYPE}", found ${JSON.stringify(type)}`,
    );
  }
  const signed = parsed.critical?.image?.['docker-manifest-digest'];
  if (signed !== subject) {
    throw new TrustError(
      'SUBJECT_MISMATCH',
      `${source}: the payload signs ${JSON.stringify(signed)}, expected ${subject}`,
      {
        details: { expected: subject, found: signed },
      },
    );
  }
  return {};
}

interface RekorSet {
  SignedEntryTimestamp?: unknown;
  Payload?: { body?: unknown; integratedTime?: unknown; logIndex?: unknown; logID?: unknown };
}

/** cosign's `dev.sigstore.cosign/bundle` annotation → a bundle tlog entry with an inclusion promise. */
function rekorSetToTlogEntry(rekorBundle: string, source: string): Record<string, unknown> {
  let set: RekorSet;
  try {
    set = JSON.parse(rekorBundle) as RekorSet;
  } catch (err) {
    throw signatureInvalid(source, 'the Rekor bundle annotation is not JSON', err);
  }
  const payload = set?.Payload;
  const { body, integratedTime, logIndex, logID } = payload ?? {};
  if (
    typeof set?.SignedEntryTimestamp !== 'string' ||
    typeof body !== 'string' ||
    typeof integratedTime !== 'number' ||
    typeof logIndex !== 'number' ||
    typeof logID !== 'string' ||
    !/^[0-9a-f]{64}$/.test(logID)
  ) {
    throw signatureInvalid(
      source,
      'expected a Rekor bundle {SignedEntryTimestamp, Payload: {body, integratedTime, logIndex, logID}}',
    );
  }
  const canonicalizedBody = strictBase64(body, source, 'Rekor entry body');
  let entry: { kind?: unknown; apiVersion?: unknown };
  try {
    entry = JSON.parse(canonicalizedBody.toString('utf8')) as typeof entry;
  } catch (err) {
    throw signatureInvalid(source, 'the Rekor entry body is not JSON', err);
  }
  return {
    logIndex: String(logIndex),
    logId: { keyId: Buffer.from(logID, 'hex').toString('base64') },
    kindVersion: { kind: String(entry?.kind), version: String(entry?.apiVersion) },
    integratedTime: String(integratedTime),
    inclusionPromise: {
      signedEntryTimestamp: strictBase64(set.SignedEntryTimestamp, source, 'SET').toString('base64'),
    },
    canonicalizedBody: canonicalizedBody.toString('base64'),
  };
}

function strictBase64(text: string, source: string, what: string): Buffer {
  const trimmed = text.trim();
  if (trimmed.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || trimmed.length % 4 === 1) {
    throw signatureInvalid(source, `the ${what} is not base64`);
  }
  return Buffer.from(trimmed, 'base64');
}

function pemCertificates(text: string, source: string, what: string): Buffer[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) =>
    strictBase64(block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''), source, what),
  );
}

// ---------------------------------------------------------------------------------------------
// Cryptographic verification (sigstore-js), then the subject

const KEYLESS_THRESHOLDS = { ctlogThreshold: 1, tlogThreshold: 1, timestampThreshold: 1 };
// A key is its own trust anchor: a log entry or timestamp is checked when present, not required.
const KEYED_THRESHOLDS = { ctlogThreshold: 0, tlogThreshold: 0, timestampThreshold: 0 };

function verifyKeylessSignature(signed: SignedContent, root: TrustRoot): VerifiedSigner {
  const verifier = new Verifier(trustMaterialOf(root), KEYLESS_THRESHOLDS);
  let identity: string | undefined;
  let issuer: string | undefined;
  try {
    // No policy here: sigstore-js matches identities unanchored; ours is checked afterwards.
    const signer = verifier.verify(toSignedEntity(signed.bundle, signed.artifact));
    identity = signer.identity?.subjectAlternativeName;
    issuer = signer.identity?.extensions?.issuer;
  } catch (err) {
    throw verificationFailed(signed.source, root, err);
  }
  const { predicateType } = signed.checkSubject();
  return compact({
    format: signed.format,
    method: 'keyless',
    identity,
    issuer,
    tlogTime: signatureTime(signed.bundle),
    predicateType,
    source: signed.source,
  });
}

function verifyKeyedSignature(
  signed: SignedContent,
  keys: readonly CompiledKey[],
  root: TrustRoot,
): VerifiedSigner {
  const hint = signed.keyHint ?? '';
  if (keys.length === 0) {
    throw new TrustError(
      'UNTRUSTED_SIGNER',
      `${signed.source}: signed with a public key (${describeHint(hint)}), and no key is accepted`,
      { details: { keyHint: hint } },
    );
  }
  // The hint is unauthenticated: it only orders the keys; the signature decides.
  const ordered = [...keys].sort((a, b) => Number(b.ids.includes(hint)) - Number(a.ids.includes(hint)));
  const base = trustMaterialOf(root);
  let signatureError: unknown;
  for (const candidate of ordered) {
    const material: TrustMaterial = {
      ...base,
      publicKey: () => ({ publicKey: candidate.key, validFor: () => true }),
    };
    try {
      new Verifier(material, KEYED_THRESHOLDS).verify(toSignedEntity(signed.bundle, signed.artifact));
    } catch (err) {
      if (sigstoreCode(err) !== 'SIGNATURE_ERROR') throw verificationFailed(signed.source, root, err);
      signatureError ??= err;
      continue;
    }
    const { predicateType } = signed.checkSubject();
    return compact({
      format: signed.format,
      method: 'key',
      keyName: candidate.name,
      tlogTime: signatureTime(signed.bundle),
      predicateType,
      source: signed.source,
    });
  }
  const names = keys.map((k) => k.name);
  if (hint !== '' && !keys.some((k) => k.ids.includes(hint))) {
    // The (unauthenticated) hint names some other key: most likely a signer we do not accept.
    throw new TrustError(
      'UNTRUSTED_SIGNER',
      `${signed.source}: signed with a public key (${describeHint(hint)}) that is none of the accepted keys: ${names.join(', ')}`,
      { cause: signatureError, details: { keyHint: hint, required: names } },
    );
  }
  throw verificationFailed(
    signed.source,
    root,
    signatureError,
    `the signature verifies with none of the accepted keys (${names.join(', ')})`,
  );
}

/** The earliest verified time: a transparency-log integration time, else a TSA timestamp. */
function signatureTime(bundle: Bundle): string | undefined {
  const logged = bundle.verificationMaterial.tlogEntries
    .map((entry) => Number(entry.integratedTime))
    .filter((seconds) => Number.isFinite(seconds) && seconds > 0);
  if (logged.length > 0) return new Date(Math.min(...logged) * 1000).toISOString();
  const stamped = (bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).map((ts) =>
    RFC3161Timestamp.parse(Buffer.from(ts.signedTimestamp)).signingTime.getTime(),
  );
  return stamped.length > 0 ? new Date(Math.min(...stamped)).toISOString() : undefined;
}

/** Leaves absent facts out rather than present as undefined (stored and printed as JSON). */
function compact(signer: VerifiedSigner): VerifiedSigner {
  return Object.fromEntries(
    Object.entries(signer).filter(([, value]) => value !== undefined),
  ) as VerifiedSigner;
}

function describeHint(hint: string): string {
  return hint ? `key hint ${hint}` : 'no key hint';
}

function sigstoreCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function verificationFailed(source: string, root: TrustRoot, err: unknown, why?: string): TrustError {
  const code = sigstoreCode(err);
  const detail =
    code === 'CERTIFICATE_ERROR'
      ? `the certificate does not chain to a certificate authority of trusted root ${root.source} (${describeError(err)})`
      : (why ?? describeError(err));
  return new TrustError(
    'SIGNATURE_INVALID',
    `${source}: signature verification failed: ${detail}${code && !detail.includes(code) ? ` (${code})` : ''}`,
    {
      cause: err,
      details: code ? { sigstoreCode: code } : undefined,
    },
  );
}

function signatureInvalid(source: string, why: string, cause?: unknown): TrustError {
  return new TrustError('SIGNATURE_INVALID', `${source}: ${why}`, { cause });
}
