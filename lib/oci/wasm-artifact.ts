import { OciError, sha256 } from '../core/index.js';
import { type Descriptor, type ImageIndex, type ImageManifest, encodeJson } from './manifest.js';
import {
  MediaType,
  TAR_LAYER_MEDIA_TYPES,
  WASM_LAYER_MEDIA_TYPES,
  isManifestMediaType,
} from './media-types.js';

/** The CNCF Wasm OCI artifact config (`application/vnd.wasm.config.v0+json`). */
export interface WasmConfig {
  created?: string | null;
  author?: string | null;
  architecture?: string | null;
  os?: string | null;
  layerDigests?: string[] | null;
  component?: { exports?: string[] | null; imports?: string[] | null; target?: string | null } | null;
}

export interface BuiltArtifact {
  manifest: Descriptor;
  manifestBytes: Uint8Array;
  config: Descriptor;
  configBytes: Uint8Array;
  layer: Descriptor;
  /** The policy layer, when the publisher shipped one. */
  policy?: Descriptor;
}

/** A policy layer is a short YAML document; anything larger is refused unread. */
export const MAX_POLICY_BYTES = 64 * 1024;

export interface ArtifactInput {
  component: Uint8Array;
  exports: readonly string[];
  imports: readonly string[];
  annotations?: Record<string, string>;
  /** Fixed for reproducible artifacts; defaults to now. */
  created?: string;
  author?: string;
  /**
   * What the component asks to be allowed, as a policy file (`application/vnd.wasm.policy.v1+yaml`,
   * the layer Wassette reads). Consumers show it to a human as a request; it grants nothing.
   */
  policy?: Uint8Array;
}

/**
 * Builds the manifest and config of a CNCF Wasm OCI artifact around one component layer, with the
 * publisher's policy layer after it when there is one.
 */
export function buildWasmArtifact(input: ArtifactInput): BuiltArtifact {
  const layer: Descriptor = {
    mediaType: MediaType.wasm,
    digest: sha256(input.component),
    size: input.component.byteLength,
  };
  const config: WasmConfig = {
    created: input.created ?? new Date().toISOString(),
    ...(input.author ? { author: input.author } : {}),
    architecture: 'wasm',
    os: 'wasip2',
    layerDigests: [layer.digest],
    component: { exports: [...input.exports], imports: [...input.imports] },
  };
  const configBytes = encodeJson(config);
  const configDescriptor: Descriptor = {
    mediaType: MediaType.wasmConfig,
    digest: sha256(configBytes),
    size: configBytes.byteLength,
  };
  const policy: Descriptor | undefined = input.policy && {
    mediaType: MediaType.wasmPolicy,
    digest: sha256(input.policy),
    size: input.policy.byteLength,
  };
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: MediaType.wasmConfig,
    config: configDescriptor,
    layers: policy ? [layer, policy] : [layer],
    ...(input.annotations && Object.keys(input.annotations).length > 0
      ? { annotations: input.annotations }
      : {}),
  };
  const manifestBytes = encodeJson(manifest);
  return {
    manifest: {
      mediaType: MediaType.ociManifest,
      digest: sha256(manifestBytes),
      size: manifestBytes.byteLength,
    },
    manifestBytes,
    config: configDescriptor,
    configBytes,
    layer,
    ...(policy ? { policy } : {}),
  };
}

/** The publisher's policy layer, when the manifest has one. */
export function findPolicyLayer(manifest: ImageManifest): Descriptor | undefined {
  return manifest.layers.find((l) => l.mediaType === MediaType.wasmPolicy);
}

/** What a config says a component exports and imports: lenient (publishers leave fields null or out) but typed. */
export interface WasmConfigSummary {
  exports: string[];
  imports: string[];
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Reads a Wasm config leniently: anything that is not a list of strings counts as absent. */
export function parseWasmConfig(bytes: Uint8Array): WasmConfigSummary {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    const component = (value as { component?: unknown } | null)?.component;
    if (typeof component !== 'object' || component === null) return { exports: [], imports: [] };
    const { exports, imports } = component as { exports?: unknown; imports?: unknown };
    return { exports: stringList(exports), imports: stringList(imports) };
  } catch {
    return { exports: [], imports: [] };
  }
}

const WASM_OS = new Set(['wasip2', 'wasip1', 'wasi', 'wasip3']);

/** From an index, the manifest for WebAssembly (platform wasm/wasip2, or a wasm artifact type). */
export function selectWasmManifest(index: ImageIndex, what: string): Descriptor {
  const candidates = index.manifests.filter((d) => isManifestMediaType(d.mediaType));
  const wasm = candidates.find(
    (d) =>
      d.platform?.architecture === 'wasm' ||
      WASM_OS.has(d.platform?.os ?? '') ||
      d.artifactType === MediaType.wasmConfig,
  );
  if (wasm) return wasm;
  const listing = candidates
    .map((d) => {
      const platform = d.platform
        ? `${d.platform.os}/${d.platform.architecture}`
        : (d.artifactType ?? 'no platform');
      return `  ${d.digest} ${platform}`;
    })
    .join('\n');
  throw new OciError(
    'NO_WASM_LAYER',
    `${what} is an index without a WebAssembly manifest (expected platform wasm/wasip2); it contains:\n${listing || '  nothing'}`,
  );
}

export type ComponentPackaging = 'wasm' | 'tar' | 'tar+gzip';

export interface ComponentLayer {
  layer: Descriptor;
  packaging: ComponentPackaging;
}

/** The layer that holds the component: a wasm layer, else one tar layer of an ordinary image. */
export function findComponentLayer(manifest: ImageManifest, what: string): ComponentLayer {
  const wasmLayers = manifest.layers.filter((l) => WASM_LAYER_MEDIA_TYPES.includes(l.mediaType));
  if (wasmLayers.length === 1) return { layer: wasmLayers[0]!, packaging: 'wasm' };
  if (wasmLayers.length > 1) {
    throw new OciError(
      'NO_WASM_LAYER',
      `${what} has ${wasmLayers.length} wasm layers; expected exactly one component`,
    );
  }
  const tarLayers = manifest.layers.filter((l) => TAR_LAYER_MEDIA_TYPES.includes(l.mediaType));
  if (tarLayers.length === 1) {
    const layer = tarLayers[0]!;
    return { layer, packaging: layer.mediaType.endsWith('gzip') ? 'tar+gzip' : 'tar' };
  }
  const found = manifest.layers.map((l) => l.mediaType).join(', ') || 'no layers';
  throw new OciError(
    'NO_WASM_LAYER',
    `${what} holds no WebAssembly component: expected one layer of ${WASM_LAYER_MEDIA_TYPES.join(' or ')} ` +
      `(or an image with one tar layer holding a .wasm), found ${found}`,
  );
}
