/**
 * `wtools verify --bundle FILE.sigstore.json FILE` (like cosign verify-blob), through the built CLI.
 * Positive cases are signed here over a temp file (keyed DSSE with lib/trust's signer, keyed
 * message signature with @sigstore/sign, keyless against the local Sigstore stand-in); the real
 * public-good vectors show that a genuine signature over some other artifact is refused.
 */
import { createHash, sign } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { bundleToJSON } from '@sigstore/bundle';
import { MessageSignatureBundleBuilder } from '@sigstore/sign';
import { describe, expect, it } from 'vitest';
import { generateKeyPair, loadPrivateKey } from '../../lib/trust/keys.js';
import { signManifestKeyed } from '../../lib/trust/sign.js';
import { type Sandbox, describeRun, jsonOf, sandbox } from '../harness/cli.js';
import {
  type ErrorJson,
  IDENTITY,
  ISSUER,
  type VerifyJson,
  keylessFlags,
  useSigstoreServer,
  writeKeylessBundle,
  writeTrustedRoot,
} from '../harness/signing.js';

const vector = (name: string) => new URL(`../fixtures/sigstore/${name}`, import.meta.url).pathname;

interface Signed {
  sb: Sandbox;
  file: string;
  other: string;
  digest: string;
  pub: string;
  otherPub: string;
  bundle: string;
}

/** A sandbox with an artifact, another file, a key pair, a stranger's public key, and a DSSE bundle. */
async function signedArtifact(): Promise<Signed> {
  const sb = await sandbox({ trustPolicy: false });
  const file = sb.path('tool.wasm');
  const other = sb.path('other.wasm');
  await writeFile(file, Buffer.from('\0asm\x0d\0\x01\0 the artifact'));
  await writeFile(other, Buffer.from('\0asm\x0d\0\x01\0 something else'));
  const digest = `sha256:${createHash('sha256')
    .update(await readFile(file))
    .digest('hex')}`;
  const pair = generateKeyPair();
  const pub = sb.path('release.pub');
  const otherPub = sb.path('stranger.pub');
  await writeFile(pub, pair.publicKeyPem);
  await writeFile(otherPub, generateKeyPair().publicKeyPem);
  const signed = await signManifestKeyed(digest, 'tool.wasm', loadPrivateKey(pair.privateKeyPem));
  const bundle = sb.path('tool.wasm.sigstore.json');
  await writeFile(bundle, signed.bundleJson);
  return { sb, file, other, digest, pub, otherPub, bundle };
}

describe('e2e: verify --bundle, keyed', () => {
  it('verifies a local file against a DSSE bundle whose in-toto subject is its sha256 (exit 0)', async () => {
    const { sb, file, digest, pub, bundle } = await signedArtifact();
    const result = await sb.run(['verify', '--bundle', bundle, file, '--key', pub, '--json']);
    expect(result.code, describeRun(result)).toBe(0);
    const json = jsonOf<VerifyJson>(result);
    expect(json.ok).toBe(true);
    expect(json.results[0]).toMatchObject({
      file,
      ok: true,
      digest,
      signer: { method: 'key', format: 'bundle' },
    });
    const text = await sb.run(['verify', '--bundle', bundle, file, '--key', pub]);
    expect(text.code, describeRun(text)).toBe(0);
    expect(text.stdout).toContain(`${file}@${digest}`);
  });

  it('refuses another file (SUBJECT_MISMATCH, exit 1)', async () => {
    const { sb, other, pub, bundle } = await signedArtifact();
    const result = await sb.run(['verify', '--bundle', bundle, other, '--key', pub, '--json']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(jsonOf<VerifyJson>(result).results[0]?.error?.code).toBe('SUBJECT_MISMATCH');
  });

  it('refuses a signature by another key (exit 1)', async () => {
    const { sb, file, otherPub, bundle } = await signedArtifact();
    const result = await sb.run(['verify', '--bundle', bundle, file, '--key', otherPub, '--json']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(jsonOf<VerifyJson>(result).results[0]?.error?.code).toBe('UNTRUSTED_SIGNER');
  });

  it('refuses a tampered bundle (SIGNATURE_INVALID, exit 1)', async () => {
    const { sb, file, pub, bundle } = await signedArtifact();
    const json = JSON.parse(await readFile(bundle, 'utf8')) as {
      dsseEnvelope: { signatures: { sig: string }[] };
    };
    const sig = Buffer.from(json.dsseEnvelope.signatures[0]!.sig, 'base64');
    sig[sig.length - 1]! ^= 1;
    json.dsseEnvelope.signatures[0]!.sig = sig.toString('base64');
    await writeFile(bundle, JSON.stringify(json));
    const result = await sb.run(['verify', '--bundle', bundle, file, '--key', pub, '--json']);
    expect(result.code, describeRun(result)).toBe(1);
    expect(jsonOf<VerifyJson>(result).results[0]?.error?.code).toBe('SIGNATURE_INVALID');
  });

  it('verifies a message-signature bundle over the file bytes', async () => {
    const { sb, file, other, pub } = await signedArtifact();
    const pair = generateKeyPair();
    const key = loadPrivateKey(pair.privateKeyPem);
    await writeFile(pub, pair.publicKeyPem);
    const builder = new MessageSignatureBundleBuilder({
      signer: {
        sign: (data) =>
          Promise.resolve({
            signature: sign('sha256', data, key.privateKey),
            key: { $case: 'publicKey', publicKey: key.publicKeyPem, hint: key.keyId },
          }),
      },
      witnesses: [],
    });
    const bundle = sb.path('message.sigstore.json');
    const built = await builder.create({ data: await readFile(file) });
    await writeFile(bundle, JSON.stringify(bundleToJSON(built)));
    const ok = await sb.run(['verify', '--bundle', bundle, file, '--key', pub, '--json']);
    expect(ok.code, describeRun(ok)).toBe(0);
    const bad = await sb.run(['verify', '--bundle', bundle, other, '--key', pub, '--json']);
    expect(bad.code, describeRun(bad)).toBe(1);
    expect(jsonOf<VerifyJson>(bad).results[0]?.error?.code).toBe('SUBJECT_MISMATCH');
  });

  it('needs the signer named: no flags is a usage error (exit 2) naming the flags', async () => {
    const { sb, file, bundle } = await signedArtifact();
    const result = await sb.run(['verify', '--bundle', bundle, file, '--json']);
    expect(result.code, describeRun(result)).toBe(2);
    const json = jsonOf<ErrorJson>(result);
    expect(json.error.code).toBe('USAGE');
    expect(json.error.message).toContain('--key');
    expect(json.error.message).toContain('--certificate-identity');
    expect(json.error.message).toContain('--certificate-oidc-issuer');
  });

  it('takes exactly one file with --bundle (exit 2), and unreadable inputs are usage errors', async () => {
    const { sb, file, other, pub, bundle } = await signedArtifact();
    const two = await sb.run(['verify', '--bundle', bundle, file, other, '--key', pub]);
    expect(two.code, describeRun(two)).toBe(2);
    const none = await sb.run(['verify', '--bundle', bundle, '--key', pub]);
    expect(none.code, describeRun(none)).toBe(2);
    const missing = await sb.run(['verify', '--bundle', sb.path('nope.json'), file, '--key', pub]);
    expect(missing.code, describeRun(missing)).toBe(2);
    expect(missing.stderr).toContain('nope.json');
    const noRef = await sb.run(['verify']);
    expect(noRef.code, describeRun(noRef)).toBe(2);
  });
});

describe('e2e: verify --bundle with the real public-good vectors', () => {
  it('npm-publish-keyed: the signature checks out with its key, but it is about another artifact (exit 1)', async () => {
    const { sb, file, otherPub } = await signedArtifact();
    const bundle = vector('npm-publish-keyed.sigstore.json');
    const result = await sb.run([
      'verify',
      '--bundle',
      bundle,
      file,
      '--key',
      vector('npm-publish-keyed.pub'),
      '--json',
    ]);
    expect(result.code, describeRun(result)).toBe(1);
    const error = jsonOf<VerifyJson>(result).results[0]?.error;
    expect(error?.code).toBe('SUBJECT_MISMATCH');
    expect(error?.message).toContain('sha512:'); // the npm statement names a sha512 digest
    const wrongKey = await sb.run(['verify', '--bundle', bundle, file, '--key', otherPub, '--json']);
    expect(wrongKey.code, describeRun(wrongKey)).toBe(1);
    expect(jsonOf<VerifyJson>(wrongKey).results[0]?.error?.code).toBe('UNTRUSTED_SIGNER');
  });

  it('dsse (keyless, shipped root): a genuine signature about another artifact is refused (exit 1)', async () => {
    const { sb, file } = await signedArtifact();
    const result = await sb.run([
      'verify',
      '--bundle',
      vector('dsse.sigstore.json'),
      file,
      '--certificate-identity',
      'brian@dehamer.com',
      '--certificate-oidc-issuer',
      'https://github.com/login/oauth',
      '--json',
    ]);
    expect(result.code, describeRun(result)).toBe(1);
    expect(jsonOf<VerifyJson>(result).results[0]?.error?.code).toBe('SUBJECT_MISMATCH');
  });
});

describe('e2e: verify --bundle, keyless against a local Sigstore', () => {
  const server = useSigstoreServer();

  it('verifies the identity and issuer; another identity is refused (exit 1)', async () => {
    const sigstore = server();
    const { sb, file, digest } = await signedArtifact();
    const bundle = await writeKeylessBundle(sigstore, digest, 'tool.wasm', sb.path('keyless.sigstore.json'));
    const root = await writeTrustedRoot(sb, sigstore.trustedRootJson);
    const args = [
      'verify',
      '--bundle',
      bundle,
      file,
      '--trusted-root',
      root,
      '--certificate-oidc-issuer',
      ISSUER,
    ];
    const ok = await sb.run([...args, '--certificate-identity', IDENTITY, '--json']);
    expect(ok.code, describeRun(ok)).toBe(0);
    expect(jsonOf<VerifyJson>(ok).results[0]?.signer).toMatchObject({
      method: 'keyless',
      identity: IDENTITY,
      issuer: ISSUER,
    });
    const evil = await sb.run([
      ...args,
      '--certificate-identity-regexp',
      'release-bot@example\\.co',
      '--json',
    ]);
    expect(evil.code, describeRun(evil)).toBe(1);
    expect(jsonOf<VerifyJson>(evil).results[0]?.error?.code).toBe('UNTRUSTED_SIGNER');
    // Without --trusted-root the shipped public-good root does not know the local CA.
    const shipped = await sb.run(['verify', '--bundle', bundle, file, ...keylessFlags(), '--json']);
    expect(shipped.code, describeRun(shipped)).toBe(1);
    expect(jsonOf<VerifyJson>(shipped).results[0]?.error?.code).toBe('SIGNATURE_INVALID');
  });
});
