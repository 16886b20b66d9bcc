import { type Digest, OciError, readVerified } from '../core/index.js';
import { describeNotComponent, wasmKind } from '../component/binary.js';
import {
  type ComponentPackaging,
  type Descriptor,
  type ImageManifest,
  MAX_CONFIG_BYTES,
  type ProgressListener,
  type Reference,
  ManifestMemo,
  copyGraph,
  extractWasmFromTar,
  fetchManifestBytes,
  findComponentLayer,
  formatReference,
  parseManifest,
  parseReference,
  parseWasmConfig,
  referenceSelector,
  selectWasmManifest,
  withDigest,
} from '../oci/index.js';
import type { WtoolsContext } from './context.js';
import { StoreAnnotation, findStored, storeName } from './store-entries.js';

export interface PullOptions {
  onProgress?: ProgressListener;
}

export interface PullResult {
  /** The reference as asked for, normalised. */
  reference: string;
  /** The same reference pinned to what was stored: everything after uses this. */
  pinned: string;
  digest: Digest;
  /** Manifest, config and layer bytes together. */
  size: number;
  /** The index the manifest was chosen from, when the reference named an index. */
  indexDigest?: Digest;
  component: { digest: Digest; size: number; mediaType: string; packaging: ComponentPackaging };
  exports: string[];
  imports: string[];
  /** True when the digest was already in the store and nothing was fetched. */
  cached: boolean;
}

/**
 * Pulls a component into the local store: resolve the reference once to a digest, fetch by that
 * digest only, check it is a WebAssembly component, and only then give it a name in the store.
 */
export async function pull(
  context: WtoolsContext,
  input: string,
  options: PullOptions = {},
): Promise<PullResult> {
  const ref = parseReference(input);
  if (ref.digest) {
    const stored = await findStored(
      context.store,
      (entry) =>
        entry.descriptor.digest === ref.digest ||
        entry.descriptor.annotations?.[StoreAnnotation.index] === ref.digest,
    );
    if (stored) {
      if (stored.name !== storeName(ref))
        await context.store.tag(stored.descriptor, storeName(ref), stored.descriptor.annotations);
      return describePull(context, ref, stored.descriptor, true);
    }
  }
  const source = new ManifestMemo(context.target(ref));
  const root = await source.resolve(referenceSelector(ref));
  const what = formatReference(withDigest(ref, root.digest));

  let chosen = root;
  let manifest = parseManifest(await source.manifestBytes(root), root.mediaType, what);
  if (manifest.kind === 'index') {
    chosen = selectWasmManifest(manifest.value, what);
    manifest = parseManifest(
      await source.manifestBytes(chosen),
      chosen.mediaType,
      `${what} → ${chosen.digest}`,
    );
    if (manifest.kind !== 'manifest') {
      throw new OciError('MANIFEST_INVALID', `${what}: the wasm entry ${chosen.digest} is itself an index`);
    }
  }
  const { layer, packaging } = findComponentLayer(manifest.value, what);

  await context.store.init();
  await copyGraph(source, context.store, chosen, {
    repairExisting: true,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    checkHead: (descriptor, head) => {
      if (descriptor.digest === layer.digest && packaging === 'wasm') requireComponent(head, what);
    },
  });
  if (packaging !== 'wasm') {
    const archive = await readVerified(await context.store.fetch(layer), {
      digest: layer.digest,
      size: layer.size,
      maxSize: MAX_TAR_LAYER_BYTES,
      what: `${what} image layer ${layer.digest}`,
    });
    const file = extractWasmFromTar(archive, packaging === 'tar+gzip', what);
    requireComponent(file.bytes, `${what} (${file.name})`);
  }

  await context.store.tag(chosen, storeName(ref), {
    [StoreAnnotation.source]: formatReference(withDigest(ref, chosen.digest)),
    [StoreAnnotation.pulled]: new Date().toISOString(),
    ...(chosen.digest !== root.digest ? { [StoreAnnotation.index]: root.digest } : {}),
  });
  return describePull(context, ref, chosen, false, chosen.digest !== root.digest ? root.digest : undefined);
}

/** Image layers are read whole to find the .wasm inside; components are far smaller than this. */
const MAX_TAR_LAYER_BYTES = 256 * 1024 * 1024;

function requireComponent(head: Uint8Array, what: string): void {
  if (wasmKind(head) === 'component') return;
  throw new OciError(
    'NOT_A_COMPONENT',
    `${what}: the layer ${describeNotComponent(head)}; wtools runs components (WASI 0.2)`,
  );
}

async function describePull(
  context: WtoolsContext,
  ref: Reference,
  descriptor: Descriptor,
  cached: boolean,
  indexDigest?: Digest,
): Promise<PullResult> {
  const parsed = parseManifest(await fetchManifestBytes(context.store, descriptor), descriptor.mediaType);
  const manifest = parsed.value as ImageManifest;
  const { layer, packaging } = findComponentLayer(manifest, formatReference(ref));
  const config =
    manifest.config.size <= MAX_CONFIG_BYTES
      ? parseWasmConfig(
          await readVerified(await context.store.fetch(manifest.config), {
            digest: manifest.config.digest,
            size: manifest.config.size,
            maxSize: MAX_CONFIG_BYTES,
          }),
        )
      : { exports: [], imports: [] };
  const size = descriptor.size + manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0);
  return {
    reference: formatReference(ref),
    pinned: formatReference(withDigest(ref, descriptor.digest)),
    digest: descriptor.digest,
    size,
    ...(indexDigest ? { indexDigest } : {}),
    component: { digest: layer.digest, size: layer.size, mediaType: layer.mediaType, packaging },
    exports: config.exports,
    imports: config.imports,
    cached,
  };
}
