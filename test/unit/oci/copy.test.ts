import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { OciError, bytesStream, sha256 } from '../../../lib/core/index.js';
import {
  type Descriptor,
  MediaType,
  MemoryTarget,
  OciLayout,
  type ProgressEvent,
  RegistryClient,
  type Target,
  copy,
  copyGraph,
  listReferrers,
  parseManifest,
  referrersTag,
  successors,
} from '../../../lib/oci/index.js';
import { fakeRegistry } from '../../harness/fake-registry.js';
import { type Content, content, expectCode, tempDir } from '../../harness/unit.js';

/** Wraps a target and records the digests pushed to it, in order. */
class RecordingTarget implements Target {
  readonly pushed: Descriptor[] = [];
  readonly description: string;
  constructor(readonly inner: Target) {
    this.description = `recording ${inner.description}`;
  }
  resolve(reference: string) {
    return this.inner.resolve(reference);
  }
  fetch(descriptor: Descriptor) {
    return this.inner.fetch(descriptor);
  }
  exists(descriptor: Descriptor) {
    return this.inner.exists(descriptor);
  }
  async push(descriptor: Descriptor, stream: ReadableStream<Uint8Array>) {
    await this.inner.push(descriptor, stream);
    this.pushed.push(descriptor);
  }
  tag(descriptor: Descriptor, tag: string) {
    return this.inner.tag(descriptor, tag);
  }
}

async function pushAll(target: Target, ...items: Content[]): Promise<void> {
  for (const item of items) await target.push(item.descriptor, bytesStream(item.bytes));
}

function image(note: string, subject?: Descriptor) {
  const config = content(MediaType.wasmConfig, { note });
  const layer = content(MediaType.wasm, `\0asm layer ${note}`);
  const manifest = content(MediaType.ociManifest, {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    artifactType: subject ? 'application/vnd.example.sig' : undefined,
    config: config.descriptor,
    layers: [layer.descriptor],
    ...(subject ? { subject } : {}),
  });
  return { config, layer, manifest, all: [config, layer, manifest] };
}

/** An index over two platform manifests. */
function multiPlatform() {
  const a = image('a');
  const b = image('b');
  const index = content(MediaType.ociIndex, {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: [
      { ...a.manifest.descriptor, platform: { architecture: 'wasm', os: 'wasip2' } },
      { ...b.manifest.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
    ],
  });
  return { a, b, index, all: [...a.all, ...b.all, index] };
}

async function layoutIn(): Promise<OciLayout> {
  return new OciLayout(path.join(await tempDir('wtools-copy-'), 'layout'));
}

/** Every manifest in `pushed` came after all of its children. */
async function expectChildrenFirst(target: Target, pushed: Descriptor[]): Promise<void> {
  const order = new Map(pushed.map((d, i) => [d.digest, i]));
  for (const descriptor of pushed) {
    if (descriptor.mediaType !== MediaType.ociManifest && descriptor.mediaType !== MediaType.ociIndex)
      continue;
    const stream = await target.fetch(descriptor);
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
    for (const child of successors(parseManifest(bytes, descriptor.mediaType))) {
      expect(order.get(child.digest), `${child.digest} before ${descriptor.digest}`).toBeLessThan(
        order.get(descriptor.digest)!,
      );
    }
  }
}

describe('copy', () => {
  it('copies an index graph from memory to a layout, children before parents', async () => {
    const source = new MemoryTarget('source');
    const graph = multiPlatform();
    await pushAll(source, ...graph.all);
    await source.tag(graph.index.descriptor, 'v1');
    const layout = await layoutIn();
    const destination = new RecordingTarget(layout);

    const root = await copy(source, 'v1', destination, 'v1');
    expect(root).toEqual(graph.index.descriptor);
    expect(destination.pushed).toHaveLength(7);
    await expectChildrenFirst(layout, destination.pushed);
    expect(destination.pushed.at(-1)?.digest).toBe(graph.index.descriptor.digest);
    expect((await layout.resolve('v1')).digest).toBe(graph.index.descriptor.digest);
  });

  it('copies from a layout to memory', async () => {
    const layout = await layoutIn();
    const graph = multiPlatform();
    await pushAll(layout, ...graph.all);
    await layout.tag(graph.index.descriptor, 'v1');
    const memory = new MemoryTarget();
    await copy(layout, 'v1', memory, 'copied');
    expect(await memory.tags()).toEqual(['copied']);
    for (const item of graph.all) expect(memory.bytes(item.descriptor.digest)).toEqual(item.bytes);
  });

  it('skips content the destination already has', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    const layout = await layoutIn();
    await copyGraph(source, layout, one.manifest.descriptor);

    const destination = new RecordingTarget(layout);
    const events: ProgressEvent[] = [];
    await copyGraph(source, destination, one.manifest.descriptor, { onProgress: (e) => events.push(e) });
    expect(destination.pushed).toEqual([]);
    expect(events.map((e) => e.phase)).toEqual(['skip']);

    // With only the layer present, config and manifest are copied and the layer skipped.
    const partial = new RecordingTarget(new MemoryTarget());
    await pushAll(partial.inner, one.layer);
    await copyGraph(source, partial, one.manifest.descriptor);
    expect(partial.pushed.map((d) => d.digest)).toEqual([
      one.config.descriptor.digest,
      one.manifest.descriptor.digest,
    ]);
  });

  it('reports progress for transferred blobs', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    const events: ProgressEvent[] = [];
    await copyGraph(source, new MemoryTarget(), one.manifest.descriptor, {
      onProgress: (e) => events.push(e),
    });
    const forLayer = events
      .filter((e) => e.descriptor.digest === one.layer.descriptor.digest)
      .map((e) => e.phase);
    expect(forLayer).toEqual(['start', 'progress', 'done']);
    expect(events.at(-1)).toMatchObject({ phase: 'done', descriptor: one.manifest.descriptor });
  });

  it('copies the referrer graph with withReferrers, recursively', async () => {
    const source = new MemoryTarget();
    const app = image('app');
    const sig = image('sig', app.manifest.descriptor);
    const sigOfSig = image('countersig', sig.manifest.descriptor);
    await pushAll(source, ...app.all, ...sig.all, ...sigOfSig.all);
    await source.tag(app.manifest.descriptor, 'v1');

    const plain = await layoutIn();
    await copy(source, 'v1', plain, 'v1');
    expect(await listReferrers(plain, app.manifest.descriptor.digest)).toEqual([]);

    const layout = await layoutIn();
    await copy(source, 'v1', layout, 'v1', { withReferrers: true });
    const referrers = await listReferrers(layout, app.manifest.descriptor.digest);
    expect(referrers.map((d) => d.digest)).toEqual([sig.manifest.descriptor.digest]);
    expect(referrers[0]?.artifactType).toBe('application/vnd.example.sig');
    const nested = await listReferrers(layout, sig.manifest.descriptor.digest);
    expect(nested.map((d) => d.digest)).toEqual([sigOfSig.manifest.descriptor.digest]);
    for (const item of [...sig.all, ...sigOfSig.all]) expect(await layout.exists(item.descriptor)).toBe(true);
    expect(await layout.tags()).toEqual(
      [
        referrersTag(app.manifest.descriptor.digest),
        referrersTag(sig.manifest.descriptor.digest),
        'v1',
      ].sort(),
    );
  });

  it('stores neither the refused blob nor its manifest when checkHead refuses', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    await source.tag(one.manifest.descriptor, 'v1');
    const layout = await layoutIn();
    const seen: string[] = [];
    const err = await expectCode(
      copy(source, 'v1', layout, 'v1', {
        checkHead: (descriptor, head) => {
          seen.push(descriptor.digest);
          if (descriptor.digest === one.layer.descriptor.digest) {
            expect(Buffer.from(head.subarray(0, 4)).toString('latin1')).toBe('\0asm');
            throw new OciError('NOT_A_COMPONENT', 'refused by the test');
          }
        },
      }),
      'NOT_A_COMPONENT',
    );
    expect(err.message).toBe('refused by the test');
    expect(seen).toContain(one.layer.descriptor.digest);
    expect(await layout.exists(one.layer.descriptor)).toBe(false);
    expect(await layout.exists(one.manifest.descriptor)).toBe(false);
    expect(await layout.tags()).toEqual([]);
  });

  it('rejects only after sibling transfers have settled', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    const memory = new MemoryTarget();
    let configSettled = false;
    const slow = new RecordingTarget(memory);
    slow.push = async (descriptor, stream) => {
      if (descriptor.digest === one.config.descriptor.digest) {
        for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
        configSettled = true;
      }
      await memory.push(descriptor, stream);
    };
    await expectCode(
      copyGraph(source, slow, one.manifest.descriptor, {
        checkHead: (descriptor) => {
          if (descriptor.digest === one.layer.descriptor.digest) throw new OciError('NOT_A_COMPONENT', 'no');
        },
      }),
      'NOT_A_COMPONENT',
    );
    expect(configSettled).toBe(true);
    expect(await memory.exists(one.manifest.descriptor)).toBe(false);
  });

  it('copies between repositories of one registry by mounting', async () => {
    const registry = fakeRegistry();
    const built = registry.addImage('org/src', {
      tag: 'v1',
      layers: [{ mediaType: MediaType.wasm, data: 'layer' }],
    });
    const client = new RegistryClient(registry.host, { fetch: registry.fetch, retry: { baseDelayMs: 1 } });
    await copy(client.repository('org/src'), 'v1', client.repository('org/dst'), 'v1');
    expect(registry.matching({ method: 'POST' }).map((r) => r.query.get('from'))).toEqual([
      'org/src',
      'org/src',
    ]);
    expect(registry.matching({ method: 'PATCH' })).toHaveLength(0);
    expect(registry.matching({ path: /\/blobs\/uploads\/u/ })).toHaveLength(0);
    expect(registry.blob('org/dst', built.layers[0]!.digest)).toBeDefined();
    expect(registry.manifest('org/dst', 'v1')).toEqual(registry.manifest('org/src', 'v1'));
  });

  it('transfers when the registry refuses to mount', async () => {
    const registry = fakeRegistry({ mount: false });
    const built = registry.addImage('org/src', {
      tag: 'v1',
      layers: [{ mediaType: MediaType.wasm, data: 'layer' }],
    });
    const client = new RegistryClient(registry.host, { fetch: registry.fetch, retry: { baseDelayMs: 1 } });
    await copy(client.repository('org/src'), 'v1', client.repository('org/dst'), undefined);
    expect(registry.cancelledUploads).toHaveLength(2);
    expect(registry.blob('org/dst', built.layers[0]!.digest)).toEqual(
      registry.blob('org/src', built.layers[0]!.digest),
    );
    expect(registry.tagsOf('org/dst')).toEqual([]);
  });

  it('pushes a layout into a registry, manifests after their blobs', async () => {
    const registry = fakeRegistry();
    const layout = await layoutIn();
    const graph = multiPlatform();
    await pushAll(layout, ...graph.all);
    await layout.tag(graph.index.descriptor, 'v1');
    const client = new RegistryClient(registry.host, { fetch: registry.fetch, retry: { baseDelayMs: 1 } });
    await copy(layout, 'v1', client.repository('org/multi'), 'v1');
    // The fake refuses manifests whose children are missing, so success proves the order.
    expect(registry.manifest('org/multi', 'v1')?.bytes).toEqual(graph.index.bytes);
    expect(registry.tagsOf('org/multi')).toEqual(['v1']);
  });
});

describe('copy failures', () => {
  /** A source whose blob streams record their cancellation; manifests come from memory. */
  function cancellableSource(inner: MemoryTarget) {
    const cancelled: { digest: string; reason: unknown }[] = [];
    const source: Target = {
      description: 'cancellable source',
      resolve: (reference) => inner.resolve(reference),
      exists: (descriptor) => inner.exists(descriptor),
      push: (descriptor, stream) => inner.push(descriptor, stream),
      tag: (descriptor, tag) => inner.tag(descriptor, tag),
      fetch: async (descriptor) => {
        if (descriptor.mediaType === MediaType.ociManifest) return inner.fetch(descriptor);
        // One byte per pull, as a slow connection would deliver it: never read to the end here.
        const bytes = inner.bytes(descriptor.digest)!;
        let at = 0;
        return new ReadableStream<Uint8Array>({
          pull(controller) {
            if (at === bytes.byteLength) controller.close();
            else controller.enqueue(bytes.subarray(at, ++at));
          },
          cancel(reason) {
            cancelled.push({ digest: descriptor.digest, reason });
          },
        });
      },
    };
    return { source, cancelled };
  }

  /** A destination that refuses every blob before reading any of it. */
  function refusingDestination(): Target {
    const memory = new MemoryTarget('refusing');
    return {
      description: 'refusing',
      resolve: (reference) => memory.resolve(reference),
      fetch: (descriptor) => memory.fetch(descriptor),
      exists: (descriptor) => memory.exists(descriptor),
      tag: (descriptor, tag) => memory.tag(descriptor, tag),
      push: async () => {
        throw new OciError('REGISTRY_ERROR', 'destination refused the upload');
      },
    };
  }

  it('cancels the source stream when the destination fails before reading it', async () => {
    const inner = new MemoryTarget();
    const one = image('one');
    await pushAll(inner, ...one.all);
    const { source, cancelled } = cancellableSource(inner);
    await expectCode(copyGraph(source, refusingDestination(), one.manifest.descriptor), 'REGISTRY_ERROR');
    expect(cancelled.map((c) => c.digest).sort()).toEqual(
      [one.config.descriptor.digest, one.layer.descriptor.digest].sort(),
    );
    // The stream is cancelled with the push's own error.
    for (const { reason } of cancelled)
      expect((reason as Error).message).toBe('destination refused the upload');
  });

  it('cancels the source stream through the progress and head-check wrappers too', async () => {
    const inner = new MemoryTarget();
    const one = image('one');
    await pushAll(inner, ...one.all);
    const { source, cancelled } = cancellableSource(inner);
    await expectCode(
      copyGraph(source, refusingDestination(), one.manifest.descriptor, {
        onProgress: () => {},
        checkHead: () => {},
      }),
      'REGISTRY_ERROR',
    );
    // Cancelling a piped stream reaches the source a little later.
    await vi.waitFor(() => expect(cancelled).toHaveLength(2), { timeout: 1_000, interval: 5 });
    expect(cancelled.map((c) => c.digest).sort()).toEqual(
      [one.config.descriptor.digest, one.layer.descriptor.digest].sort(),
    );
  });

  it('refuses with DIGEST_MISMATCH, pushing nothing, when the source is not the expected digest', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    await source.tag(one.manifest.descriptor, 'v1');
    const destination = new RecordingTarget(new MemoryTarget());
    const other = sha256('another manifest');
    const err = await expectCode(
      copy(source, 'v1', destination, 'v1', { expectDigest: other }),
      'DIGEST_MISMATCH',
    );
    expect(err.message).toContain(one.manifest.descriptor.digest);
    expect(err.message).toContain(other);
    expect(destination.pushed).toEqual([]);
    expect(await (destination.inner as MemoryTarget).tags()).toEqual([]);
  });

  it('copies when the source is the expected digest', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    await source.tag(one.manifest.descriptor, 'v1');
    const destination = new MemoryTarget();
    const root = await copy(source, 'v1', destination, undefined, {
      expectDigest: one.manifest.descriptor.digest,
    });
    expect(root.digest).toBe(one.manifest.descriptor.digest);
    expect(await destination.exists(one.layer.descriptor)).toBe(true);
  });

  it('with repairExisting, copies the missing children of a manifest the destination has', async () => {
    const source = new MemoryTarget();
    const one = image('one');
    await pushAll(source, ...one.all);
    const layout = await layoutIn();
    await copyGraph(source, layout, one.manifest.descriptor);
    await fs.rm(layout.blobPath(one.layer.descriptor.digest));

    await copyGraph(source, layout, one.manifest.descriptor);
    expect(await layout.exists(one.layer.descriptor)).toBe(false);

    const destination = new RecordingTarget(layout);
    await copyGraph(source, destination, one.manifest.descriptor, { repairExisting: true });
    expect(destination.pushed.map((d) => d.digest)).toEqual([one.layer.descriptor.digest]);
    expect(await layout.exists(one.layer.descriptor)).toBe(true);
  });
});
