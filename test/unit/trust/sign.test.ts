import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ErrorCode, WtoolsError } from '../../../lib/core/errors.js';
import type { Evidence } from '../../../lib/trust/evidence.js';
import { generateKeyPair, keyId, loadPrivateKey } from '../../../lib/trust/keys.js';
import { SIGN_PREDICATE_TYPE } from '../../../lib/trust/constants.js';
import { signManifestKeyed, signManifestKeyless } from '../../../lib/trust/sign.js';
import { type TrustRoot, publicGoodTrustRoot, trustRootFromJson } from '../../../lib/trust/trusted-root.js';
import { type SignerRequirement, verifyEvidence } from '../../../lib/trust/verify.js';
import { type SigstoreServer, startSigstoreServer } from '../../harness/sigstore-server.js';

const SUBJECT = `sha256:${'ab'.repeat(32)}`;
const OTHER_SUBJECT = `sha256:${'cd'.repeat(32)}`;
const NAME = 'registry.local.test/components/hello';
const IDENTITY = 'dev@example.com';
const ISSUER = 'https://issuer.local.test';

function evidence(bundleJson: string): Evidence {
  return { kind: 'bundle', bundleJson, source: 'referrer test' };
}

function caught(run: () => unknown): WtoolsError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(WtoolsError);
    return err as WtoolsError;
  }
  throw new Error('expected an error');
}

async function caughtAsync(run: () => Promise<unknown>): Promise<WtoolsError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(WtoolsError);
    return err as WtoolsError;
  }
  throw new Error('expected an error');
}

function expectCode(error: WtoolsError, ...codes: ErrorCode[]): void {
  expect(codes, error.message).toContain(error.code);
}

interface BundleJson {
  mediaType: string;
  dsseEnvelope: { payload: string; payloadType: string; signatures: { sig: string; keyid: string }[] };
  verificationMaterial: {
    publicKey?: { hint: string };
    certificate?: { rawBytes: string };
    tlogEntries?: unknown[];
    timestampVerificationData?: { rfc3161Timestamps?: unknown[] };
  };
}

function flipByte(base64: string, at: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('keys', () => {
  it('generates an ECDSA P-256 pair whose private half loads and names the public half', () => {
    const pair = generateKeyPair();
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(pair.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const key = loadPrivateKey(pair.privateKeyPem);
    expect(key.publicKeyPem).toBe(pair.publicKeyPem);
    expect(key.keyId).toBe(keyId(pair.publicKeyPem));
    expect(key.keyId).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('encrypts with a passphrase: the right one loads it, none or a wrong one is KEY_PASSPHRASE', () => {
    const pair = generateKeyPair('correct horse');
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(loadPrivateKey(pair.privateKeyPem, 'correct horse').publicKeyPem).toBe(pair.publicKeyPem);
    const wrong = caught(() => loadPrivateKey(pair.privateKeyPem, 'battery staple', 'key.pem'));
    expectCode(wrong, 'KEY_PASSPHRASE');
    expect(wrong.message).toContain('wrong passphrase for key.pem');
    expectCode(
      caught(() => loadPrivateKey(pair.privateKeyPem)),
      'KEY_PASSPHRASE',
    );
    expect(caught(() => loadPrivateKey(pair.privateKeyPem)).message).toContain('encrypted');
  });

  it('refuses an empty passphrase rather than writing an unencrypted key', () => {
    expectCode(
      caught(() => generateKeyPair('')),
      'INVALID_ARGUMENT',
    );
  });

  it('refuses what is not a private key, and other curves and algorithms', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const pair = generateKeyPair();
    expectCode(
      caught(() => loadPrivateKey(pair.publicKeyPem)),
      'KEY_INVALID',
    );
    expect(caught(() => loadPrivateKey(pair.publicKeyPem)).message).toContain(
      'PUBLIC KEY, not a private key',
    );
    expectCode(
      caught(() => loadPrivateKey('not a key')),
      'KEY_INVALID',
    );
    expectCode(
      caught(() => loadPrivateKey('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n')),
      'KEY_INVALID',
    );
    const p384 = generateKeyPairSync('ec', {
      namedCurve: 'P-384',
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const p384Error = caught(() => loadPrivateKey(p384.privateKey));
    expectCode(p384Error, 'KEY_UNSUPPORTED');
    expect(p384Error.message).toContain('secp384r1');
    const ed = generateKeyPairSync('ed25519', {
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expectCode(
      caught(() => loadPrivateKey(ed.privateKey)),
      'KEY_UNSUPPORTED',
    );
    const cosign =
      '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n';
    expectCode(
      caught(() => loadPrivateKey(cosign, 'pw')),
      'KEY_UNSUPPORTED',
    );
  });

  it('reads a SEC1 "EC PRIVATE KEY" as made by openssl ecparam', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const sec1 = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
      privateKeyEncoding: { type: 'sec1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    expect(loadPrivateKey(sec1.privateKey).publicKeyPem).toBe(sec1.publicKey);
  });
});

describe('keyed signing', () => {
  const pair = generateKeyPair();
  const key = loadPrivateKey(pair.privateKeyPem);
  const byKey: SignerRequirement[] = [{ kind: 'key', publicKeyPem: pair.publicKeyPem }];
  let root: TrustRoot;
  beforeAll(() => {
    root = publicGoodTrustRoot();
  });

  it('makes a v0.3 DSSE bundle over an in-toto statement about the digest, with no tlog entry', async () => {
    const signed = await signManifestKeyed(SUBJECT, NAME, key);
    expect(signed.signer).toEqual({ method: 'key', keyId: key.keyId });
    const bundle = JSON.parse(signed.bundleJson) as BundleJson;
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.publicKey).toEqual({ hint: key.keyId });
    // Protobuf JSON leaves out an empty list.
    expect(bundle.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(bundle.dsseEnvelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(bundle.dsseEnvelope.signatures).toHaveLength(1);
    expect(JSON.parse(Buffer.from(bundle.dsseEnvelope.payload, 'base64').toString('utf8'))).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: NAME, digest: { sha256: 'ab'.repeat(32) } }],
      predicateType: SIGN_PREDICATE_TYPE,
      predicate: {},
    });
  });

  it('verifies with the right key, under any trust root', async () => {
    const signed = await signManifestKeyed(SUBJECT, NAME, key);
    expect(verifyEvidence(SUBJECT, evidence(signed.bundleJson), byKey, root)).toEqual({
      format: 'bundle',
      method: 'key',
      keyName: key.keyId,
      predicateType: SIGN_PREDICATE_TYPE,
      source: 'referrer test',
    });
  });

  it('is refused with another key', async () => {
    const signed = await signManifestKeyed(SUBJECT, NAME, key);
    const other = generateKeyPair();
    const error = caught(() =>
      verifyEvidence(
        SUBJECT,
        evidence(signed.bundleJson),
        [{ kind: 'key', publicKeyPem: other.publicKeyPem }],
        root,
      ),
    );
    expectCode(error, 'UNTRUSTED_SIGNER', 'SIGNATURE_INVALID');
  });

  it('is refused for another digest', async () => {
    const signed = await signManifestKeyed(SUBJECT, NAME, key);
    expectCode(
      caught(() => verifyEvidence(OTHER_SUBJECT, evidence(signed.bundleJson), byKey, root)),
      'SUBJECT_MISMATCH',
    );
  });

  it('is refused with a flipped byte in the payload or the signature', async () => {
    const signed = await signManifestKeyed(SUBJECT, NAME, key);
    for (const edit of [
      (b: BundleJson) => (b.dsseEnvelope.payload = flipByte(b.dsseEnvelope.payload, 40)),
      (b: BundleJson) => {
        const signature = b.dsseEnvelope.signatures[0]!;
        signature.sig = flipByte(signature.sig, 20);
      },
    ]) {
      const bundle = JSON.parse(signed.bundleJson) as BundleJson;
      edit(bundle);
      expectCode(
        caught(() => verifyEvidence(SUBJECT, evidence(JSON.stringify(bundle)), byKey, root)),
        'SIGNATURE_INVALID',
      );
    }
  });

  it('refuses a subject that is not a digest', async () => {
    expectCode(await caughtAsync(() => signManifestKeyed('latest', NAME, key)), 'INVALID_DIGEST');
  });
});

describe('signing against a local Sigstore (mock Fulcio, Rekor, TSA over HTTP)', () => {
  let sigstore: SigstoreServer;
  let root: TrustRoot;
  beforeAll(async () => {
    sigstore = await startSigstoreServer();
    root = trustRootFromJson(sigstore.trustedRootJson, 'local mock');
  });
  afterAll(() => sigstore?.close());
  const keyless = (identity = IDENTITY, issuer = ISSUER): SignerRequirement[] => [
    { kind: 'keyless', identity, issuer },
  ];

  it('signs keylessly: the bundle verifies with the token identity and is logged', async () => {
    const signed = await signManifestKeyless(SUBJECT, NAME, {
      identityToken: sigstore.identityToken(IDENTITY, ISSUER),
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
    });
    expect(signed.signer).toEqual({ method: 'keyless', identity: IDENTITY, issuer: ISSUER });
    const bundle = JSON.parse(signed.bundleJson) as BundleJson;
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.certificate?.rawBytes).toBeTruthy();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const signer = verifyEvidence(SUBJECT, evidence(signed.bundleJson), keyless(), root);
    expect(signer).toMatchObject({
      format: 'bundle',
      method: 'keyless',
      identity: IDENTITY,
      issuer: ISSUER,
      predicateType: SIGN_PREDICATE_TYPE,
    });
    expect(signer.tlogTime).toMatch(/^20\d\d-/);
  });

  it('a keyless bundle is refused for another identity, another issuer, or the public-good root', async () => {
    const signed = await signManifestKeyless(SUBJECT, NAME, {
      identityToken: sigstore.identityToken(IDENTITY, ISSUER),
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
    });
    const item = evidence(signed.bundleJson);
    expectCode(
      caught(() => verifyEvidence(SUBJECT, item, keyless('dev@example.com.evil.io'), root)),
      'UNTRUSTED_SIGNER',
    );
    expectCode(
      caught(() => verifyEvidence(SUBJECT, item, keyless(IDENTITY, 'https://accounts.google.com'), root)),
      'UNTRUSTED_SIGNER',
    );
    expectCode(
      caught(() => verifyEvidence(SUBJECT, item, keyless(), publicGoodTrustRoot())),
      'SIGNATURE_INVALID',
    );
  });

  it('adds an RFC 3161 timestamp when a TSA is given', async () => {
    const signed = await signManifestKeyless(SUBJECT, NAME, {
      identityToken: sigstore.identityToken(IDENTITY, ISSUER),
      fulcioURL: sigstore.url,
      rekorURL: sigstore.url,
      tsaServerURL: sigstore.url,
    });
    const bundle = JSON.parse(signed.bundleJson) as BundleJson;
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(verifyEvidence(SUBJECT, evidence(signed.bundleJson), keyless(), root).identity).toBe(IDENTITY);
  });

  it('logs a keyed signature in Rekor when asked', async () => {
    const pair = generateKeyPair();
    const signed = await signManifestKeyed(SUBJECT, NAME, loadPrivateKey(pair.privateKeyPem), {
      rekorURL: sigstore.url,
    });
    const bundle = JSON.parse(signed.bundleJson) as BundleJson;
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const signer = verifyEvidence(
      SUBJECT,
      evidence(signed.bundleJson),
      [{ kind: 'key', publicKeyPem: pair.publicKeyPem, name: 'release key' }],
      root,
    );
    expect(signer).toMatchObject({ method: 'key', keyName: 'release key' });
    expect(signer.tlogTime).toMatch(/^20\d\d-/);
  });

  it('refuses a malformed or expired token before contacting anyone, without repeating it', async () => {
    const before = sigstore.requests.length;
    const options = { fulcioURL: sigstore.url, rekorURL: sigstore.url };
    const malformed = await caughtAsync(() =>
      signManifestKeyless(SUBJECT, NAME, { ...options, identityToken: 'secret-not-a-jwt' }),
    );
    expectCode(malformed, 'INVALID_ARGUMENT');
    expect(malformed.message).not.toContain('secret-not-a-jwt');
    const expired = await caughtAsync(() =>
      signManifestKeyless(SUBJECT, NAME, {
        ...options,
        identityToken: sigstore.identityToken(IDENTITY, ISSUER, { expiresInSeconds: -60 }),
      }),
    );
    expectCode(expired, 'INVALID_ARGUMENT');
    expect(expired.message).toContain('expired');
    expect(sigstore.requests.length).toBe(before);
  });

  it('reports a Fulcio that is not there as SIGNING_FAILED', async () => {
    const error = await caughtAsync(() =>
      signManifestKeyless(SUBJECT, NAME, {
        identityToken: sigstore.identityToken(IDENTITY, ISSUER),
        fulcioURL: `${sigstore.url}/nothing-here`,
        rekorURL: sigstore.url,
        timeoutMs: 5_000,
      }),
    );
    expectCode(error, 'SIGNING_FAILED');
    expect(error.message).toContain('Fulcio');
  });
});
