import { isDigest, type Digest, OciError } from '../core/index.js';
import { MediaType, isIndexMediaType, isManifestMediaType } from './media-types.js';

export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  variant?: string;
}

/** What every OCI content reference is: a typed, sized, digested pointer. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  artifactType?: string;
  platform?: Platform;
  urls?: string[];
  data?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export type Manifest = { kind: 'manifest'; value: ImageManifest } | { kind: 'index'; value: ImageIndex };

function fail(what: string, why: string): never {
  throw new OciError('MANIFEST_INVALID', `${what}: ${why}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(what: string, value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    fail(what, 'expected annotations to be an object of strings');
  }
  return value as Record<string, string>;
}

export function parseDescriptor(what: string, value: unknown): Descriptor {
  if (!isRecord(value)) fail(what, `expected a descriptor object, found ${JSON.stringify(value)}`);
  const { mediaType, digest, size } = value;
  if (typeof mediaType !== 'string' || mediaType === '') fail(what, 'descriptor has no mediaType');
  if (typeof digest !== 'string' || !isDigest(digest)) {
    fail(what, `expected descriptor digest sha256:<hex>, found ${JSON.stringify(digest)}`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    fail(what, `expected a non-negative integer size, found ${JSON.stringify(size)}`);
  }
  const descriptor: Descriptor = { mediaType, digest, size };
  const annotations = stringMap(what, value.annotations);
  if (annotations) descriptor.annotations = annotations;
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType;
  if (isRecord(value.platform)) descriptor.platform = value.platform as unknown as Platform;
  if (Array.isArray(value.urls))
    descriptor.urls = value.urls.filter((u): u is string => typeof u === 'string');
  if (typeof value.data === 'string') descriptor.data = value.data;
  return descriptor;
}

/**
 * Parses manifest bytes, checking they are what the descriptor's media type says. The declared
 * media type (from the registry's Content-Type or the parent descriptor) and the body must agree.
 */
export function parseManifest(
  bytes: Uint8Array,
  declaredMediaType: string | undefined,
  what = 'manifest',
): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    fail(what, `expected JSON, found unparsable content (${(err as Error).message})`);
  }
  if (!isRecord(json)) fail(what, 'expected a JSON object');
  if (json.schemaVersion !== 2)
    fail(what, `expected schemaVersion 2, found ${JSON.stringify(json.schemaVersion)}`);
  const bodyType = typeof json.mediaType === 'string' ? json.mediaType : undefined;
  let mediaType = bodyType ?? declaredMediaType;
  if (mediaType === undefined || mediaType === '' || mediaType === 'application/json') {
    // OCI allows manifests without mediaType: tell them apart by shape.
    mediaType = Array.isArray(json.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  }
  if (
    bodyType &&
    declaredMediaType &&
    isManifestMediaType(declaredMediaType) &&
    bodyType !== declaredMediaType
  ) {
    fail(what, `declared media type ${declaredMediaType} but the body says ${bodyType}`);
  }
  if (!isManifestMediaType(mediaType)) {
    throw new OciError(
      'UNSUPPORTED_MEDIA_TYPE',
      `${what}: unsupported manifest media type ${mediaType}; expected an OCI or Docker v2 manifest or index`,
    );
  }
  const annotations = stringMap(what, json.annotations);
  const subject =
    json.subject === undefined || json.subject === null
      ? undefined
      : parseDescriptor(`${what} subject`, json.subject);
  const artifactType = typeof json.artifactType === 'string' ? json.artifactType : undefined;
  const common = {
    schemaVersion: 2 as const,
    ...(bodyType ? { mediaType: bodyType } : {}),
    ...(artifactType ? { artifactType } : {}),
    ...(subject ? { subject } : {}),
    ...(annotations ? { annotations } : {}),
  };
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(json.manifests)) fail(what, 'expected an index with a "manifests" array');
    const manifests = json.manifests.map((d, i) => parseDescriptor(`${what} manifests[${i}]`, d));
    return { kind: 'index', value: { ...common, manifests } };
  }
  if (!Array.isArray(json.layers)) fail(what, 'expected an image manifest with a "layers" array');
  const config = parseDescriptor(`${what} config`, json.config);
  const layers = json.layers.map((d, i) => parseDescriptor(`${what} layers[${i}]`, d));
  return { kind: 'manifest', value: { ...common, config, layers } };
}

/** The media type to label a manifest with: its own field, else by shape. */
export function manifestMediaType(manifest: Manifest): string {
  return manifest.value.mediaType ?? (manifest.kind === 'index' ? MediaType.ociIndex : MediaType.ociManifest);
}

/** Descriptors a manifest points to, in the order a copy must push them (children first). */
export function successors(manifest: Manifest): Descriptor[] {
  if (manifest.kind === 'index') return [...manifest.value.manifests];
  return [manifest.value.config, ...manifest.value.layers];
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}
