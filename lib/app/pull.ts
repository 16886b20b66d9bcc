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
  findSignatureEvidence,
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
import { type DeclaredPolicy, readDeclaredPolicy } from './declared-policy.js';
import { StoreAnnotation, findStored, storeName } from './store-entries.js';
import { type StoredTrust, readStoredTrust, recordTrust, storeSignatureEvidence } from './trust-record.js';
import { type TrustContext, type TrustOptions, decideTrust, loadTrustContext, toEvidence } from './verify.js';

export interface PullOptions {
  onProgress?: ProgressListener;
  /** Trust material for this run; the user and default policies with the shipped root when absent. */
  trust?: TrustContext;
  /** Signers from the command line, or --allow-unsigned. */
  trustOptions?: TrustOptions;
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
  /** Why it may be used: its verified signer and the rule, or an explicit acceptance of no signature. */
  trust: StoredTrust;
  /** What its publisher's policy layer asks for: a request for a human, never a grant. */
  declaredPolicy?: DeclaredPolicy;
  /** The manifest's annotations (the publisher's, signed with the manifest). */
  annotations: Record<string, string>;
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
  const trustOptions = options.trustOptions ?? {};
  const trust = options.trust ?? (await loadTrustContext(context, trustOptions));
  if (ref.digest) {
    const stored = await findStored(
      context.store,
      (entry) =>
        entry.descriptor.digest === ref.digest ||
        entry.descriptor.annotations?.[StoreAnnotation.index] === ref.digest,
    );
    if (stored) return pullFromStore(context, ref, stored.name, stored.descriptor, trust, trustOptions);
  }
  const source = new ManifestMemo(context.target(ref));
  // The one resolution of the reference: everything below uses this digest, never the tag again.
  const root = await source.resolve(referenceSelector(ref));
  const what = formatReference(withDigest(ref, root.digest));

  const rootBytes = await source.manifestBytes(root);
  const rawEvidence = await findSignatureEvidence(source, root.digest);
  const decision = decideTrust(ref, root.digest, rawEvidence.map(toEvidence), trust, trustOptions, rootBytes);

  let chosen = root;
  let manifest = parseManifest(rootBytes, root.mediaType, what);
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
  // The signatures travel with the content, so the store can re-verify offline when policy changes.
  await storeSignatureEvidence(source, context.store, rawEvidence);
  const storedTrust = await recordTrust(context, decision);

  await context.store.tag(chosen, storeName(ref), {
    [StoreAnnotation.source]: formatReference(withDigest(ref, chosen.digest)),
    [StoreAnnotation.pulled]: new Date().toISOString(),
    [StoreAnnotation.trust]: JSON.stringify(storedTrust),
    ...(chosen.digest !== root.digest ? { [StoreAnnotation.index]: root.digest } : {}),
  });
  return describePull(
    context,
    ref,
    chosen,
    false,
    storedTrust,
    chosen.digest !== root.digest ? root.digest : undefined,
  );
}

/**
 * A digest already stored: no network. Its trust record is reused while the policy and trust
 * root are the ones it was made with (and no signer was named on the command line); otherwise
 * it is verified again from the signatures kept beside it.
 */
async function pullFromStore(
  context: WtoolsContext,
  ref: Reference,
  name: string,
  descriptor: Descriptor,
  trust: TrustContext,
  trustOptions: TrustOptions,
): Promise<PullResult> {
  const subject =
    (descriptor.annotations?.[StoreAnnotation.index] as Digest | undefined) ?? descriptor.digest;
  let storedTrust = readStoredTrust(descriptor);
  const stillValid =
    storedTrust !== undefined &&
    !trustOptions.signers?.length &&
    storedTrust.policy === trust.policy.fingerprint &&
    storedTrust.trustRoot === trust.root.fingerprint;
  if (!stillValid) {
    const subjectDescriptor =
      subject === descriptor.digest ? descriptor : await context.store.resolve(subject);
    const subjectBytes = await fetchManifestBytes(context.store, subjectDescriptor);
    const evidence = (await findSignatureEvidence(context.store, subject)).map(toEvidence);
    storedTrust = await recordTrust(
      context,
      decideTrust(ref, subject, evidence, trust, trustOptions, subjectBytes),
    );
  }
  const annotations = { ...descriptor.annotations, [StoreAnnotation.trust]: JSON.stringify(storedTrust) };
  if (name !== storeName(ref) || !stillValid)
    await context.store.tag(descriptor, storeName(ref), annotations);
  if (!stillValid && name !== storeName(ref)) await context.store.tag(descriptor, name, annotations);
  return describePull(context, ref, descriptor, true, storedTrust!);
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
  trust: StoredTrust,
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
  const declaredPolicy = await readDeclaredPolicy(context.store, manifest, formatReference(ref));
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
    trust,
    ...(declaredPolicy ? { declaredPolicy } : {}),
    annotations: manifest.annotations ?? {},
  };
}

/** The component bytes of a pulled reference, read back from the store and checked against its digest. */
export async function readPulledComponent(context: WtoolsContext, pulled: PullResult): Promise<Uint8Array> {
  const { component } = pulled;
  const layer = { digest: component.digest, size: component.size, mediaType: component.mediaType };
  const bytes = await readVerified(await context.store.fetch(layer), {
    digest: layer.digest,
    size: layer.size,
    maxSize: MAX_TAR_LAYER_BYTES,
    what: `${pulled.pinned} layer ${layer.digest}`,
  });
  if (component.packaging === 'wasm') return bytes;
  return extractWasmFromTar(bytes, component.packaging === 'tar+gzip', pulled.pinned).bytes;
}
