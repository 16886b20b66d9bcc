import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { type Digest, WtoolsError, bytesStream, describeError, sha256 } from '../core/index.js';
import {
  type Descriptor,
  type ImageManifest,
  MediaType,
  MemoryTarget,
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  copyGraph,
  encodeJson,
  formatReference,
  parseReference,
  referenceSelector,
  withDigest,
  withTag,
} from '../oci/index.js';
import type { BundleSigner, SignedBundle, SigningKey } from '../trust/index.js';
import { loadTrustApi } from './trust-api.js';
import type { WtoolsContext } from './context.js';

/** How cosign 3.x and actions/attest attach a bundle: the referrer's artifact type and its layer's type. */
/** The OCI empty descriptor's content, `{}`. */
const EMPTY_JSON = new TextEncoder().encode('{}');

export interface SignReferenceOptions {
  /** Sign with a local ECDSA P-256 private key (PEM). */
  key?: {
    pem: string;
    passphrase?: string;
    /** Names the key file in errors. */
    name?: string;
    /** Also log the signature in this Rekor; by default a keyed bundle has no tlog entry. */
    rekorURL?: string;
    /** Also timestamp the signature at this TSA. */
    tsaServerURL?: string;
  };
  /** Sign keylessly: Fulcio certifies the identity of `identityToken`; Rekor logs the signature. */
  keyless?: { identityToken: string; fulcioURL: string; rekorURL: string; tsaServerURL?: string };
  /** The referrer's org.opencontainers.image.created (defaults to now). */
  created?: string;
  timeoutMs?: number;
}

export interface SignResult {
  /** The reference as given, formatted. */
  reference: string;
  /** The manifest digest that was signed: what the tag pointed at when it was resolved, once. */
  digest: Digest;
  /** reference@digest, the signed content pinned. */
  pinned: string;
  /** The pushed referrer manifest holding the bundle. */
  referrer: { digest: Digest; mediaType: string; artifactType: string; size: number };
  signer: BundleSigner;
  predicateType: string;
}

/**
 * `wtools sign REF`: resolves the reference once, signs exactly that digest, and pushes the
 * Sigstore bundle as an OCI 1.1 referrer of it (empty config, one bundle layer, `subject`), which
 * every target also indexes under the referrers tag schema.
 */
export async function signReference(
  context: WtoolsContext,
  input: string,
  options: SignReferenceOptions,
): Promise<SignResult> {
  // The key is read before the registry is touched: a wrong passphrase costs no network round trip.
  const key = await checkSignOptions(options);

  const ref = parseReference(input);
  const target = context.target(ref);
  const resolved = await target.resolve(referenceSelector(ref));
  const subject: Descriptor = { mediaType: resolved.mediaType, digest: resolved.digest, size: resolved.size };
  const subjectName = formatReference(withTag(ref, undefined));

  const timeout = options.timeoutMs ? { timeoutMs: options.timeoutMs } : {};
  const signed: SignedBundle = options.keyless
    ? await (
        await loadTrustApi()
      ).signManifestKeyless(subject.digest, subjectName, { ...options.keyless, ...timeout })
    : await (
        await loadTrustApi()
      ).signManifestKeyed(subject.digest, subjectName, key!, {
        ...(options.key?.rekorURL ? { rekorURL: options.key.rekorURL } : {}),
        ...(options.key?.tsaServerURL ? { tsaServerURL: options.key.tsaServerURL } : {}),
        ...timeout,
      });

  const referrer = bundleReferrer(subject, signed, options.created ?? new Date().toISOString());
  const staging = new MemoryTarget('signature');
  await staging.push(referrer.config, bytesStream(EMPTY_JSON));
  await staging.push(referrer.layer, bytesStream(referrer.layerBytes));
  await staging.push(referrer.manifest, bytesStream(referrer.manifestBytes));
  await copyGraph(staging, target, referrer.manifest);

  return {
    reference: formatReference(ref),
    digest: subject.digest,
    pinned: formatReference(withDigest(ref, subject.digest)),
    referrer: {
      digest: referrer.manifest.digest,
      mediaType: referrer.manifest.mediaType,
      artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
      size: referrer.manifest.size,
    },
    signer: signed.signer,
    predicateType: signed.predicateType,
  };
}

/**
 * Checks that exactly one way of signing is given and that the private key (if any) opens with its
 * passphrase: what a caller runs before it changes anything a failed signature would leave half done.
 */
export async function checkSignOptions(options: SignReferenceOptions): Promise<SigningKey | undefined> {
  if (Boolean(options.key) === Boolean(options.keyless)) {
    throw new WtoolsError('USAGE', 'sign with exactly one of a key or an identity token (keyless)');
  }
  return options.key
    ? (await loadTrustApi()).loadPrivateKey(
        options.key.pem,
        options.key.passphrase,
        options.key.name ?? 'the signing key',
      )
    : undefined;
}

function bundleReferrer(subject: Descriptor, signed: SignedBundle, created: string) {
  const layerBytes = new TextEncoder().encode(signed.bundleJson);
  const layer: Descriptor = {
    mediaType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    digest: sha256(layerBytes),
    size: layerBytes.byteLength,
  };
  const config: Descriptor = { mediaType: MediaType.ociEmpty, digest: sha256(EMPTY_JSON), size: 2 };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
    config,
    layers: [layer],
    subject,
    annotations: {
      'org.opencontainers.image.created': created,
      // What cosign 3.x puts on its bundle referrers, so listings can tell signatures from attestations.
      'dev.sigstore.bundle.content': 'dsse-envelope',
      'dev.sigstore.bundle.predicateType': signed.predicateType,
    },
  };
  const manifestBytes = encodeJson(manifest);
  return {
    config,
    layer,
    layerBytes,
    manifestBytes,
    manifest: {
      mediaType: MediaType.ociManifest,
      digest: sha256(manifestBytes),
      size: manifestBytes.byteLength,
    } satisfies Descriptor,
  };
}

export interface KeyPairFiles {
  privateKeyPath: string;
  publicKeyPath: string;
  keyId: string;
  encrypted: boolean;
}

/**
 * `wtools keygen`: writes `PREFIX.key` (PKCS#8, mode 0600, encrypted when a passphrase is given)
 * and `PREFIX.pub`. An existing directory as prefix means `DIR/wtools`. Existing files are never
 * overwritten: a lost private key cannot be recovered, and a replaced one breaks every policy that
 * names the old public key.
 */
export async function writeKeyPair(prefix: string, passphrase?: string): Promise<KeyPairFiles> {
  let base = prefix;
  if (await isDirectory(prefix)) base = path.join(prefix, 'wtools');
  const privateKeyPath = `${base}.key`;
  const publicKeyPath = `${base}.pub`;
  for (const file of [privateKeyPath, publicKeyPath]) {
    if (await exists(file)) {
      throw new WtoolsError(
        'INVALID_ARGUMENT',
        `${file} already exists; refusing to overwrite a key (choose another --output-prefix, or remove it)`,
      );
    }
  }
  const pair = (await loadTrustApi()).generateKeyPair(passphrase);
  await writeNew(privateKeyPath, pair.privateKeyPem, 0o600);
  try {
    await writeNew(publicKeyPath, pair.publicKeyPem, 0o644);
  } catch (err) {
    await fs.rm(privateKeyPath, { force: true });
    throw err;
  }
  return {
    privateKeyPath,
    publicKeyPath,
    keyId: (await loadTrustApi()).keyId(pair.publicKeyPem),
    encrypted: passphrase !== undefined,
  };
}

/** Creates a file that must not exist yet (O_EXCL), with `mode` regardless of the umask. */
async function writeNew(file: string, text: string, mode: number): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new WtoolsError(
      code === 'EEXIST' || code === 'ENOENT' ? 'INVALID_ARGUMENT' : 'IO',
      code === 'EEXIST'
        ? `${file} already exists; refusing to overwrite a key`
        : `cannot create ${file}: ${describeError(err)}`,
      { cause: err },
    );
  }
  try {
    await handle.chmod(mode);
    await handle.writeFile(text);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(file, { force: true });
    throw new WtoolsError('IO', `cannot write ${file}: ${describeError(err)}`, { cause: err });
  }
  await handle.close();
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
