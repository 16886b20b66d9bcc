import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { TrustError, type ErrorCode } from '../../../lib/core/errors.js';
import type { Evidence } from '../../../lib/trust/evidence.js';
import { type TrustRoot, publicGoodTrustRoot, trustRootFromJson } from '../../../lib/trust/trusted-root.js';
import {
  type SignerRequirement,
  anchoredPattern,
  identifySigner,
  verifyEvidence,
} from '../../../lib/trust/verify.js';
import { type LocalSigstore, simpleSigningPayload, startLocalSigstore } from './local-sigstore.js';

const fixtures = fileURLToPath(new URL('../../fixtures/sigstore/', import.meta.url));
const fixture = (name: string): string => readFileSync(`${fixtures}${name}`, 'utf8');

const GITHUB_ACTIONS = 'https://token.actions.githubusercontent.com';
const GITHUB_OAUTH = 'https://github.com/login/oauth';
const SIGSTORE_JS_RELEASE =
  'https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main';
const NPM_SIGSTORE_1_3_0 =
  'sha512:76176ffa33808b54602c7c35de5c6e9a4deb96066dba6533f50ac234f4f1f4c6b3527515dc17c06fbe2860030f410eee69ea20079bd3a2c6f3dcf3b329b10751';

/** The real vectors, each with the in-toto subject digest of its statement and its signer. */
const VECTORS = {
  'cosign-oci-attestation': {
    subject: 'sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4',
    identity: 'cody@soyland.com',
    issuer: GITHUB_OAUTH,
  },
  'npm-sigstore-1.3.0-provenance': {
    subject: NPM_SIGSTORE_1_3_0,
    identity: SIGSTORE_JS_RELEASE,
    issuer: GITHUB_ACTIONS,
  },
  'sigstore-js-2.0.0-provenance': {
    subject:
      'sha512:46d4e2f74c4877316640000a6fdf8a8b59f1e0847667973e9859f774dd31b8f1e0937813b777fb66a2ac67d50540fe34640966eee9fc2ccca387082b4c85cd3c',
    identity: SIGSTORE_JS_RELEASE,
    issuer: GITHUB_ACTIONS,
  },
  dsse: {
    subject:
      'sha512:bbfd372fc9beeb777fe35d05bb10c0c70a9733d366a75fed7dd18866c7391de3ee7e88ba74dd47abf3e15c845e547fcf0e5c3da80854c751554224d3a6d4e55f',
    identity: 'brian@dehamer.com',
    issuer: GITHUB_OAUTH,
  },
} as const;
type VectorName = keyof typeof VECTORS;

const OTHER_SHA256 = `sha256:${'0'.repeat(64)}`;

function bundle(name: string, edit?: (json: BundleJson) => void): Evidence {
  const json = JSON.parse(fixture(`${name}.sigstore.json`)) as BundleJson;
  edit?.(json);
  return { kind: 'bundle', bundleJson: JSON.stringify(json), source: `referrer ${name}` };
}
interface BundleJson {
  dsseEnvelope: { payload: string; signatures: { sig: string }[] };
  verificationMaterial: Record<string, unknown>;
}

function flipByte(base64: string, at: number): string {
  const bytes = Buffer.from(base64, 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

function keyless(identity: string, issuer: string): SignerRequirement {
  return { kind: 'keyless', identity, issuer };
}

function trustError(run: () => unknown, code: ErrorCode): TrustError {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a TrustError').toBeInstanceOf(TrustError);
  const error = caught as TrustError;
  expect(error.code, error.message).toBe(code);
  return error;
}

let publicGood: TrustRoot;
beforeAll(() => {
  publicGood = publicGoodTrustRoot();
});

describe('Sigstore bundles: real public-good vectors, offline', () => {
  it.each(Object.keys(VECTORS) as VectorName[])('%s verifies with its signer', (name) => {
    const { subject, identity, issuer } = VECTORS[name];
    const signer = verifyEvidence(subject, bundle(name), [keyless(identity, issuer)], publicGood);
    expect(signer).toMatchObject({
      format: 'bundle',
      method: 'keyless',
      identity,
      issuer,
      source: `referrer ${name}`,
    });
    expect(signer.tlogTime).toMatch(/^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  it('reports the logged time and the predicate type of the cosign OCI attestation', () => {
    const { subject, identity, issuer } = VECTORS['cosign-oci-attestation'];
    expect(
      verifyEvidence(subject, bundle('cosign-oci-attestation'), [keyless(identity, issuer)], publicGood),
    ).toEqual({
      format: 'bundle',
      method: 'keyless',
      identity,
      issuer,
      tlogTime: '2025-02-28T19:18:11.000Z',
      predicateType: 'https://cosign.sigstore.dev/attestation/v1',
      source: 'referrer cosign-oci-attestation',
    });
  });

  it('verifies the cosign vector with the trusted root cosign ships for it', () => {
    const root = trustRootFromJson(fixture('cosign-public-good.trusted_root.json'), 'cosign-public-good');
    const { subject, identity, issuer } = VECTORS['cosign-oci-attestation'];
    expect(
      verifyEvidence(subject, bundle('cosign-oci-attestation'), [keyless(identity, issuer)], root).identity,
    ).toBe(identity);
  });

  it('accepts when any one of several requirements is met', () => {
    const { subject, identity, issuer } = VECTORS.dsse;
    const requirements: SignerRequirement[] = [
      keyless('someone@else.example', issuer),
      { kind: 'key', publicKeyPem: fixture('npm-publish-keyed.pub') },
      keyless(identity, issuer),
    ];
    expect(verifyEvidence(subject, bundle('dsse'), requirements, publicGood).identity).toBe(identity);
  });

  it('accepts an identity regexp that matches the whole SAN', () => {
    const { subject } = VECTORS['sigstore-js-2.0.0-provenance'];
    const requirement: SignerRequirement = {
      kind: 'keyless',
      identityRegexp:
        'https://github\\.com/sigstore/sigstore-js/\\.github/workflows/release\\.yml@refs/heads/.+',
      issuer: GITHUB_ACTIONS,
    };
    expect(
      verifyEvidence(subject, bundle('sigstore-js-2.0.0-provenance'), [requirement], publicGood).identity,
    ).toBe(SIGSTORE_JS_RELEASE);
  });

  it('verifies the keyed npm publish attestation with its public key', () => {
    const requirement: SignerRequirement = {
      kind: 'key',
      publicKeyPem: fixture('npm-publish-keyed.pub'),
      name: 'npm registry',
    };
    expect(
      verifyEvidence(NPM_SIGSTORE_1_3_0, bundle('npm-publish-keyed'), [requirement], publicGood),
    ).toEqual({
      format: 'bundle',
      method: 'key',
      keyName: 'npm registry',
      tlogTime: '2023-04-18T17:45:16.000Z',
      predicateType: 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1',
      source: 'referrer npm-publish-keyed',
    });
  });

  it('names an unnamed key by its SHA256 key id', () => {
    const signer = verifyEvidence(
      NPM_SIGSTORE_1_3_0,
      bundle('npm-publish-keyed'),
      [{ kind: 'key', publicKeyPem: fixture('npm-publish-keyed.pub') }],
      publicGood,
    );
    expect(signer.keyName).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('identifySigner tells who signed without any requirement', () => {
    const { subject, identity, issuer } = VECTORS['npm-sigstore-1.3.0-provenance'];
    expect(identifySigner(subject, bundle('npm-sigstore-1.3.0-provenance'), publicGood)).toMatchObject({
      method: 'keyless',
      identity,
      issuer,
      tlogTime: '2023-04-18T17:45:12.000Z',
    });
  });
});

describe('Sigstore bundles: refused', () => {
  const cody = VECTORS['cosign-oci-attestation'];
  const codyEvidence = (): Evidence => bundle('cosign-oci-attestation');

  it('refuses another identity, naming what it found and what was required', () => {
    const error = trustError(
      () =>
        verifyEvidence(cody.subject, codyEvidence(), [keyless('dev@example.com', cody.issuer)], publicGood),
      'UNTRUSTED_SIGNER',
    );
    expect(error.message).toContain(
      'identity "cody@soyland.com" with issuer "https://github.com/login/oauth"',
    );
    expect(error.message).toContain('required: identity "dev@example.com"');
    expect(error.details).toMatchObject({ identity: cody.identity, issuer: cody.issuer });
  });

  it('refuses the right identity from another issuer', () => {
    trustError(
      () =>
        verifyEvidence(
          cody.subject,
          codyEvidence(),
          [keyless(cody.identity, 'https://accounts.google.com')],
          publicGood,
        ),
      'UNTRUSTED_SIGNER',
    );
  });

  it.each([
    ['a prefix of the SAN', 'cody@soyland\\.co'],
    ['a suffix of the SAN', 'soyland\\.com'],
    ['another address', 'dev@example\\.com'],
    ['a pattern found inside the SAN', 'y@soy'],
  ])('anchors identity regexps at both ends: %s does not match', (_what, identityRegexp) => {
    trustError(
      () =>
        verifyEvidence(
          cody.subject,
          codyEvidence(),
          [{ kind: 'keyless', identityRegexp, issuer: cody.issuer }],
          publicGood,
        ),
      'UNTRUSTED_SIGNER',
    );
  });

  it('anchors alternatives as a whole', () => {
    expect(anchoredPattern('a|b').test('ab')).toBe(false);
    expect(anchoredPattern('a|b').test('b')).toBe(true);
    expect(anchoredPattern('cody@soyland\\.com').test('cody@soyland.com\n')).toBe(false);
  });

  it('refuses a flipped byte in the DSSE signature', () => {
    const evidence = bundle('cosign-oci-attestation', (json) => {
      const signature = json.dsseEnvelope.signatures[0]!;
      signature.sig = flipByte(signature.sig, 20);
    });
    const error = trustError(
      () => verifyEvidence(cody.subject, evidence, [keyless(cody.identity, cody.issuer)], publicGood),
      'SIGNATURE_INVALID',
    );
    expect(error.cause).toBeDefined();
    expect(error.message).toMatch(/\((TLOG_BODY_ERROR|SIGNATURE_ERROR)\)/);
  });

  it.each(Object.keys(VECTORS) as VectorName[])('refuses %s with a flipped byte in its payload', (name) => {
    const { subject, identity, issuer } = VECTORS[name];
    const evidence = bundle(name, (json) => {
      json.dsseEnvelope.payload = flipByte(json.dsseEnvelope.payload, 40);
    });
    trustError(
      () => verifyEvidence(subject, evidence, [keyless(identity, issuer)], publicGood),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a valid signature over another subject', () => {
    const error = trustError(
      () => verifyEvidence(OTHER_SHA256, codyEvidence(), [keyless(cody.identity, cody.issuer)], publicGood),
      'SUBJECT_MISMATCH',
    );
    expect(error.message).toContain(cody.subject);
    expect(error.message).toContain(OTHER_SHA256);
  });

  it('refuses a statement whose subject has only another digest algorithm', () => {
    trustError(
      () => identifySigner(`sha256:${'1'.repeat(64)}`, bundle('dsse'), publicGood),
      'SUBJECT_MISMATCH',
    );
  });

  it('refuses a DSSE envelope with two signatures', () => {
    const { subject, identity, issuer } = VECTORS.dsse;
    const error = trustError(
      () => verifyEvidence(subject, bundle('dsse-2sigs.invalid'), [keyless(identity, issuer)], publicGood),
      'SIGNATURE_INVALID',
    );
    expect(error.message).toContain('2 signatures');
  });

  it('refuses a signer whose CA is not in the trusted root', () => {
    const rootJson = JSON.parse(fixture('public-good.trusted_root.json')) as Record<string, unknown>;
    rootJson['certificateAuthorities'] = [];
    const withoutFulcio = trustRootFromJson(JSON.stringify(rootJson), 'public-good without Fulcio');
    const error = trustError(
      () =>
        verifyEvidence(cody.subject, codyEvidence(), [keyless(cody.identity, cody.issuer)], withoutFulcio),
      'SIGNATURE_INVALID',
    );
    expect(error.message).toContain('certificate authority of trusted root public-good without Fulcio');
    expect(error.message).toContain('CERTIFICATE_ERROR');
  });

  it('refuses a certificate that is not in the transparency log the root trusts', () => {
    const rootJson = JSON.parse(fixture('public-good.trusted_root.json')) as Record<string, unknown>;
    rootJson['tlogs'] = [];
    const withoutRekor = trustRootFromJson(JSON.stringify(rootJson), 'public-good without Rekor');
    trustError(
      () => verifyEvidence(cody.subject, codyEvidence(), [keyless(cody.identity, cody.issuer)], withoutRekor),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a keyless signature when only keys are accepted, and the other way round', () => {
    trustError(
      () =>
        verifyEvidence(
          cody.subject,
          codyEvidence(),
          [{ kind: 'key', publicKeyPem: fixture('npm-publish-keyed.pub') }],
          publicGood,
        ),
      'UNTRUSTED_SIGNER',
    );
    trustError(
      () =>
        verifyEvidence(
          NPM_SIGSTORE_1_3_0,
          bundle('npm-publish-keyed'),
          [keyless(cody.identity, cody.issuer)],
          publicGood,
        ),
      'UNTRUSTED_SIGNER',
    );
  });

  it('refuses a keyed bundle under another key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      type: 'spki',
      format: 'pem',
    });
    const error = trustError(
      () =>
        verifyEvidence(
          NPM_SIGSTORE_1_3_0,
          bundle('npm-publish-keyed'),
          [{ kind: 'key', publicKeyPem: other.toString(), name: 'ours' }],
          publicGood,
        ),
      'UNTRUSTED_SIGNER',
    );
    expect(error.message).toContain('SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA');
    expect(error.message).toContain('ours');
  });

  it('refuses a keyed bundle with a flipped payload byte even under its own key', () => {
    const evidence = bundle('npm-publish-keyed', (json) => {
      json.dsseEnvelope.payload = flipByte(json.dsseEnvelope.payload, 40);
    });
    trustError(
      () =>
        verifyEvidence(
          NPM_SIGSTORE_1_3_0,
          evidence,
          [{ kind: 'key', publicKeyPem: fixture('npm-publish-keyed.pub') }],
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('cannot identify a keyed signer without its key', () => {
    trustError(
      () => identifySigner(NPM_SIGSTORE_1_3_0, bundle('npm-publish-keyed'), publicGood),
      'UNTRUSTED_SIGNER',
    );
  });

  it('accepts nobody when no requirement is given', () => {
    trustError(() => verifyEvidence(cody.subject, codyEvidence(), [], publicGood), 'UNTRUSTED_SIGNER');
  });

  it('refuses what is not a bundle', () => {
    trustError(
      () => identifySigner(cody.subject, { kind: 'bundle', bundleJson: 'not json', source: 'x' }, publicGood),
      'SIGNATURE_INVALID',
    );
    trustError(
      () =>
        identifySigner(
          cody.subject,
          { kind: 'bundle', bundleJson: '{"mediaType":"x"}', source: 'x' },
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses requirements that would accept anyone or cannot be read', () => {
    const issuerOnly = { kind: 'keyless', issuer: GITHUB_OAUTH } as SignerRequirement;
    trustError(
      () => verifyEvidence(cody.subject, codyEvidence(), [issuerOnly], publicGood),
      'POLICY_INVALID',
    );
    trustError(
      () => verifyEvidence(cody.subject, codyEvidence(), [keyless(cody.identity, '')], publicGood),
      'POLICY_INVALID',
    );
    trustError(
      () =>
        verifyEvidence(
          cody.subject,
          codyEvidence(),
          [{ kind: 'keyless', identityRegexp: '(', issuer: cody.issuer }],
          publicGood,
        ),
      'POLICY_INVALID',
    );
    trustError(
      () => verifyEvidence(cody.subject, codyEvidence(), [{ kind: 'key', publicKeyPem: 'nope' }], publicGood),
      'POLICY_INVALID',
    );
  });
});

describe('local Sigstore: cosign legacy signatures and message-signature bundles', () => {
  const IDENTITY = 'https://github.com/acme/tools/.github/workflows/release.yml@refs/heads/main';
  const SUBJECT = `sha256:${'ab'.repeat(32)}`;
  let sigstore: LocalSigstore;
  let localRoot: TrustRoot;
  let legacy: Extract<Evidence, { kind: 'cosign-legacy' }>;
  const accepted = (): SignerRequirement[] => [keyless(IDENTITY, GITHUB_ACTIONS)];

  beforeAll(async () => {
    sigstore = await startLocalSigstore();
    localRoot = trustRootFromJson(sigstore.trustedRootJson, 'local sigstore');
    legacy = await sigstore.signLegacy({ subject: SUBJECT, identity: IDENTITY, issuer: GITHUB_ACTIONS });
  });

  it('verifies a keyless cosign .sig layer: certificate, SCT and Rekor SET', () => {
    const signer = verifyEvidence(SUBJECT, legacy, accepted(), localRoot);
    expect(signer).toMatchObject({
      format: 'cosign-legacy',
      method: 'keyless',
      identity: IDENTITY,
      issuer: GITHUB_ACTIONS,
    });
    expect(signer.tlogTime).toBeDefined();
    expect(identifySigner(SUBJECT, legacy, localRoot).identity).toBe(IDENTITY);
  });

  it('verifies a keyed cosign .sig layer logged in Rekor, checking its SET', async () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyed = await sigstore.signLegacy({
      subject: SUBJECT,
      identity: '',
      issuer: '',
      privateKey: keys.privateKey,
    });
    expect(keyed.certificate).toBeUndefined();
    const signer = verifyEvidence(SUBJECT, keyed, [{ kind: 'key', publicKeyPem, name: 'ci' }], localRoot);
    expect(signer).toMatchObject({ format: 'cosign-legacy', method: 'key', keyName: 'ci' });
    expect(signer.tlogTime).toBeDefined();
    const set = JSON.parse(keyed.rekorBundle ?? '{}') as { SignedEntryTimestamp: string };
    set.SignedEntryTimestamp = flipByte(set.SignedEntryTimestamp, 12);
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          { ...keyed, rekorBundle: JSON.stringify(set) },
          [{ kind: 'key', publicKeyPem }],
          localRoot,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses another identity', () => {
    trustError(
      () => verifyEvidence(SUBJECT, legacy, [keyless(`${IDENTITY}x`, GITHUB_ACTIONS)], localRoot),
      'UNTRUSTED_SIGNER',
    );
  });

  it('refuses a payload that signs another manifest digest', () => {
    const error = trustError(
      () => verifyEvidence(OTHER_SHA256, legacy, accepted(), localRoot),
      'SUBJECT_MISMATCH',
    );
    expect(error.message).toContain(SUBJECT);
  });

  it('refuses a payload that is not a cosign container image signature', async () => {
    const evidence = await sigstore.signLegacy({
      subject: SUBJECT,
      identity: IDENTITY,
      issuer: GITHUB_ACTIONS,
      payload: simpleSigningPayload(SUBJECT, 'cosign attestation'),
    });
    const error = trustError(
      () => verifyEvidence(SUBJECT, evidence, accepted(), localRoot),
      'SIGNATURE_INVALID',
    );
    expect(error.message).toContain('"cosign attestation"');
  });

  it('refuses a payload whose bytes are not those of its layer digest', () => {
    trustError(
      () => verifyEvidence(SUBJECT, { ...legacy, payloadDigest: OTHER_SHA256 }, accepted(), localRoot),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a payload changed after signing (layer digest recomputed)', () => {
    const payload = Buffer.from(simpleSigningPayload(SUBJECT).replace('hello', 'hellp'));
    const evidence = {
      ...legacy,
      payload,
      payloadDigest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
    };
    trustError(() => verifyEvidence(SUBJECT, evidence, accepted(), localRoot), 'SIGNATURE_INVALID');
  });

  it('refuses a flipped byte in the signature', () => {
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          { ...legacy, signature: flipByte(legacy.signature, 12) },
          accepted(),
          localRoot,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a flipped byte in the Rekor SET', () => {
    const set = JSON.parse(legacy.rekorBundle ?? '{}') as { SignedEntryTimestamp: string };
    set.SignedEntryTimestamp = flipByte(set.SignedEntryTimestamp, 12);
    const error = trustError(
      () => verifyEvidence(SUBJECT, { ...legacy, rekorBundle: JSON.stringify(set) }, accepted(), localRoot),
      'SIGNATURE_INVALID',
    );
    expect(error.message).toContain('TLOG_INCLUSION_PROMISE_ERROR');
  });

  it('refuses a keyless signature with no transparency-log entry', () => {
    const { rekorBundle: _dropped, ...unlogged } = legacy;
    trustError(() => verifyEvidence(SUBJECT, unlogged, accepted(), localRoot), 'SIGNATURE_INVALID');
  });

  it('refuses a signer from a root other than the one given', () => {
    trustError(() => verifyEvidence(SUBJECT, legacy, accepted(), publicGood), 'SIGNATURE_INVALID');
  });

  it('does not let dev@example.com accept dev@example.com.evil.io or evil-dev@example.com', async () => {
    const manifest = Buffer.from('{"schemaVersion":2}');
    const subject = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    for (const san of ['dev@example.com.evil.io', 'evil-dev@example.com']) {
      const evil: Evidence = {
        kind: 'bundle',
        bundleJson: await sigstore.signBlob(manifest, san, 'https://accounts.google.com'),
        source: san,
      };
      expect(identifySigner(subject, evil, localRoot, { subjectBytes: manifest }).identity).toBe(san);
      for (const requirement of [
        { kind: 'keyless', identity: 'dev@example.com', issuer: 'https://accounts.google.com' },
        { kind: 'keyless', identityRegexp: 'dev@example\\.com', issuer: 'https://accounts.google.com' },
      ] as const) {
        trustError(
          () => verifyEvidence(subject, evil, [requirement], localRoot, { subjectBytes: manifest }),
          'UNTRUSTED_SIGNER',
        );
      }
    }
  });

  it('verifies a message-signature bundle over the subject bytes, and only over them', async () => {
    const manifest = Buffer.from(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}',
    );
    const subject = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
    const evidence: Evidence = {
      kind: 'bundle',
      bundleJson: await sigstore.signBlob(manifest, IDENTITY, GITHUB_ACTIONS),
      source: 'blob bundle',
    };
    expect(
      verifyEvidence(subject, evidence, accepted(), localRoot, { subjectBytes: manifest }),
    ).toMatchObject({
      format: 'bundle',
      method: 'keyless',
      identity: IDENTITY,
    });
    // the bytes are needed: the signature covers them, not their digest
    trustError(() => verifyEvidence(subject, evidence, accepted(), localRoot), 'SIGNATURE_INVALID');
    // bytes that are not the subject's
    trustError(
      () => verifyEvidence(subject, evidence, accepted(), localRoot, { subjectBytes: Buffer.from('other') }),
      'SUBJECT_MISMATCH',
    );
    // a bundle for another digest
    trustError(
      () => verifyEvidence(OTHER_SHA256, evidence, accepted(), localRoot, { subjectBytes: manifest }),
      'SUBJECT_MISMATCH',
    );
  });
});

describe('cosign legacy signatures with a key (cosign sign --key, no Rekor)', () => {
  const SUBJECT = `sha256:${'cd'.repeat(32)}`;
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyPem = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  function keyedLegacy(
    payloadText: string,
    privateKey = keys.privateKey,
  ): Extract<Evidence, { kind: 'cosign-legacy' }> {
    const payload = Buffer.from(payloadText);
    return {
      kind: 'cosign-legacy',
      payload,
      payloadDigest: `sha256:${createHash('sha256').update(payload).digest('hex')}`,
      signature: sign('sha256', payload, privateKey).toString('base64'),
      source: 'tag sha256-cdcd.sig',
    };
  }

  it('verifies with the key', () => {
    expect(
      verifyEvidence(
        SUBJECT,
        keyedLegacy(simpleSigningPayload(SUBJECT)),
        [{ kind: 'key', publicKeyPem, name: 'release' }],
        publicGood,
      ),
    ).toEqual({ format: 'cosign-legacy', method: 'key', keyName: 'release', source: 'tag sha256-cdcd.sig' });
  });

  it('refuses a signature by another key', () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          keyedLegacy(simpleSigningPayload(SUBJECT), other.privateKey),
          [{ kind: 'key', publicKeyPem }],
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a payload for another digest, of another type, or not matching its layer', () => {
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          keyedLegacy(simpleSigningPayload(OTHER_SHA256)),
          [{ kind: 'key', publicKeyPem }],
          publicGood,
        ),
      'SUBJECT_MISMATCH',
    );
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          keyedLegacy(simpleSigningPayload(SUBJECT, 'other')),
          [{ kind: 'key', publicKeyPem }],
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
    const good = keyedLegacy(simpleSigningPayload(SUBJECT));
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          { ...good, payloadDigest: OTHER_SHA256 },
          [{ kind: 'key', publicKeyPem }],
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('refuses a signature that is not base64', () => {
    const good = keyedLegacy(simpleSigningPayload(SUBJECT));
    trustError(
      () =>
        verifyEvidence(
          SUBJECT,
          { ...good, signature: 'not base64!' },
          [{ kind: 'key', publicKeyPem }],
          publicGood,
        ),
      'SIGNATURE_INVALID',
    );
  });

  it('cannot identify the signer without a key', () => {
    trustError(
      () => identifySigner(SUBJECT, keyedLegacy(simpleSigningPayload(SUBJECT)), publicGood),
      'UNTRUSTED_SIGNER',
    );
  });
});

describe('malformed material', () => {
  it('refuses a certificate that does not parse as SIGNATURE_INVALID', () => {
    const { subject } = VECTORS['cosign-oci-attestation'];
    const evidence = bundle('cosign-oci-attestation', (json) => {
      json.verificationMaterial['certificate'] = {
        rawBytes: Buffer.from('not a certificate').toString('base64'),
      };
    });
    trustError(() => identifySigner(subject, evidence, publicGoodTrustRoot()), 'SIGNATURE_INVALID');
  });

  it('refuses a subject that is not a digest', () => {
    expect(() => identifySigner('latest', bundle('dsse'), publicGoodTrustRoot())).toThrow(
      /expected a digest/,
    );
  });
});
