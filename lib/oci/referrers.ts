import {
  type Digest,
  OciError,
  bytesStream,
  digestHex,
  isWtoolsError,
  readVerified,
  sha256,
} from '../core/index.js';
import { type Descriptor, type ImageIndex, encodeJson, parseManifest } from './manifest.js';
import { MAX_MANIFEST_BYTES, MediaType, isManifestMediaType } from './media-types.js';
import { type ReadOnlyTarget, type Target, hasReferrersApi } from './target.js';

/** The OCI 1.1 referrers tag schema: `sha256-<hex>` names an index of the subject's referrers. */
export function referrersTag(subject: Digest): string {
  return `${subject.slice(0, subject.indexOf(':'))}-${digestHex(subject)}`;
}

export async function fetchManifestBytes(
  target: ReadOnlyTarget,
  descriptor: Descriptor,
): Promise<Uint8Array> {
  if (descriptor.size > MAX_MANIFEST_BYTES) {
    throw new OciError(
      'MANIFEST_TOO_LARGE',
      `${target.description}: manifest ${descriptor.digest} is ${descriptor.size} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`,
    );
  }
  return readVerified(await target.fetch(descriptor), {
    digest: descriptor.digest,
    size: descriptor.size,
    maxSize: MAX_MANIFEST_BYTES,
    what: `${target.description} manifest ${descriptor.digest}`,
  });
}

/** The referrers index behind the fallback tag, or an empty one when the tag does not exist. */
async function readFallbackIndex(target: ReadOnlyTarget, subject: Digest): Promise<ImageIndex> {
  let descriptor: Descriptor;
  try {
    descriptor = await target.resolve(referrersTag(subject));
  } catch (err) {
    if (isWtoolsError(err, 'NOT_FOUND'))
      return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    throw err;
  }
  const parsed = parseManifest(await fetchManifestBytes(target, descriptor), descriptor.mediaType);
  if (parsed.kind !== 'index') {
    throw new OciError(
      'MANIFEST_INVALID',
      `${target.description}: referrers tag ${referrersTag(subject)} is not an index`,
    );
  }
  return parsed.value;
}

/**
 * Lists the manifests that name `subject` as their subject: the referrers API where the target has
 * one, else the tag schema (our registry, OCI layouts).
 */
export async function listReferrers(
  target: ReadOnlyTarget,
  subject: Digest,
  artifactType?: string,
): Promise<Descriptor[]> {
  const native = hasReferrersApi(target) ? await target.referrersApi(subject, artifactType) : undefined;
  const all = native ?? (await readFallbackIndex(target, subject)).manifests;
  return artifactType === undefined ? all : all.filter((d) => d.artifactType === artifactType);
}

/**
 * After a manifest with a `subject` is pushed to a target without a referrers API, adds it to the
 * subject's fallback index, keeping every entry already there.
 */
export async function addToFallbackIndex(
  target: Target,
  subject: Digest,
  referrer: Descriptor,
): Promise<void> {
  const index = await readFallbackIndex(target, subject);
  if (index.manifests.some((d) => d.digest === referrer.digest)) return;
  const updated: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [...index.manifests, referrer],
  };
  const bytes = encodeJson(updated);
  const descriptor: Descriptor = {
    mediaType: MediaType.ociIndex,
    digest: sha256(bytes),
    size: bytes.byteLength,
  };
  await target.push(descriptor, bytesStream(bytes));
  await target.tag(descriptor, referrersTag(subject));
}

/** The descriptor a referrers index lists for a manifest: its type, artifact type and annotations. */
export function referrerDescriptor(
  descriptor: Descriptor,
  manifestBytes: Uint8Array,
): Descriptor | undefined {
  if (!isManifestMediaType(descriptor.mediaType)) return undefined;
  let parsed;
  try {
    parsed = parseManifest(manifestBytes, descriptor.mediaType);
  } catch {
    return undefined;
  }
  const subject = parsed.value.subject;
  if (!subject) return undefined;
  const artifactType =
    parsed.value.artifactType ?? (parsed.kind === 'manifest' ? parsed.value.config.mediaType : undefined);
  return {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(artifactType ? { artifactType } : {}),
    ...(parsed.value.annotations ? { annotations: parsed.value.annotations } : {}),
  };
}

/** For targets that keep referrers by the tag schema: index a freshly pushed manifest that has a subject. */
export async function indexReferrerIfSubject(
  target: Target,
  descriptor: Descriptor,
  bytes: Uint8Array,
): Promise<void> {
  const referrer = referrerDescriptor(descriptor, bytes);
  if (!referrer) return;
  const subject = parseManifest(bytes, descriptor.mediaType).value.subject;
  if (subject) await addToFallbackIndex(target, subject.digest, referrer);
}
