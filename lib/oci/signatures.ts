import { type Digest, OciError, digestHex, isWtoolsError, readVerified } from '../core/index.js';
import { type Descriptor, parseManifest } from './manifest.js';
import { fetchManifestBytes, listReferrers } from './referrers.js';
import type { ReadOnlyTarget } from './target.js';

/** Artifact types under which Sigstore bundles are attached as OCI referrers (cosign 3, actions/attest). */
/** What `wtools sign` writes, as cosign 3 does. */
export const SIGSTORE_BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const SIGSTORE_BUNDLE_ARTIFACT_TYPES: readonly string[] = [
  SIGSTORE_BUNDLE_V03_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
  'application/vnd.dev.sigstore.bundle+json;version=0.2',
  'application/vnd.dev.sigstore.bundle+json;version=0.1',
];
export const COSIGN_SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** Signatures and bundles are a few kilobytes; anything much larger is refused, not buffered. */
const MAX_EVIDENCE_BYTES = 1024 * 1024;

/** Signature material as it sits in the registry; lib/trust turns it into verifiable evidence. */
export type RawEvidence =
  | { kind: 'bundle'; bytes: Uint8Array; source: string; manifest: Descriptor }
  | {
      kind: 'cosign-legacy';
      payload: Uint8Array;
      layerDigest: Digest;
      annotations: Record<string, string>;
      source: string;
      /** The `.sig` manifest and the tag it is found under. */
      manifest: Descriptor;
      tag: string;
    };

/** cosign 2.x keeps signatures of `sha256:<hex>` under the tag `sha256-<hex>.sig`. */
export function cosignSignatureTag(subject: Digest): string {
  return `sha256-${digestHex(subject)}.sig`;
}

async function readLayer(target: ReadOnlyTarget, layer: Descriptor, what: string): Promise<Uint8Array> {
  if (layer.size > MAX_EVIDENCE_BYTES) {
    throw new OciError(
      'SIZE_EXCEEDED',
      `${what}: ${layer.size} bytes; signatures of at most ${MAX_EVIDENCE_BYTES} are read`,
    );
  }
  return readVerified(await target.fetch(layer), {
    digest: layer.digest,
    size: layer.size,
    maxSize: MAX_EVIDENCE_BYTES,
    what,
  });
}

/**
 * Everything that claims to sign `subject` in this target: Sigstore bundles among its referrers
 * (referrers API or tag schema) and cosign's legacy `.sig` tag. Nothing here is trusted yet;
 * every byte is digest-checked on the way in, and lib/trust decides what it proves.
 */
export async function findSignatureEvidence(target: ReadOnlyTarget, subject: Digest): Promise<RawEvidence[]> {
  const found: RawEvidence[] = [];
  for (const referrer of await listReferrers(target, subject)) {
    if (!SIGSTORE_BUNDLE_ARTIFACT_TYPES.includes(referrer.artifactType ?? '')) continue;
    const manifest = parseManifest(await fetchManifestBytes(target, referrer), referrer.mediaType);
    if (manifest.kind !== 'manifest') continue;
    if (manifest.value.subject?.digest !== subject) continue;
    for (const layer of manifest.value.layers) {
      if (!SIGSTORE_BUNDLE_ARTIFACT_TYPES.includes(layer.mediaType)) continue;
      const source = `referrer ${referrer.digest}`;
      const bytes = await readLayer(target, layer, `bundle in ${source}`);
      found.push({ kind: 'bundle', bytes, source, manifest: referrer });
    }
  }
  found.push(...(await findLegacyCosignSignatures(target, subject)));
  return found;
}

async function findLegacyCosignSignatures(target: ReadOnlyTarget, subject: Digest): Promise<RawEvidence[]> {
  const tag = cosignSignatureTag(subject);
  let descriptor: Descriptor;
  try {
    descriptor = await target.resolve(tag);
  } catch (err) {
    if (isWtoolsError(err, 'NOT_FOUND')) return [];
    throw err;
  }
  const manifest = parseManifest(await fetchManifestBytes(target, descriptor), descriptor.mediaType);
  if (manifest.kind !== 'manifest') return [];
  const found: RawEvidence[] = [];
  for (const layer of manifest.value.layers) {
    if (layer.mediaType !== COSIGN_SIMPLESIGNING_MEDIA_TYPE) continue;
    const source = `cosign signature ${tag} layer ${layer.digest}`;
    found.push({
      kind: 'cosign-legacy',
      payload: await readLayer(target, layer, source),
      layerDigest: layer.digest,
      annotations: layer.annotations ?? {},
      source,
      manifest: descriptor,
      tag,
    });
  }
  return found;
}
