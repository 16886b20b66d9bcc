import { OciError, bytesStream } from '../core/index.js';
import { type Descriptor, parseManifest, successors } from './manifest.js';
import { isManifestMediaType } from './media-types.js';
import { fetchManifestBytes, listReferrers } from './referrers.js';
import { RegistryRepository } from './registry.js';
import type { ProgressListener, ReadOnlyTarget, Target } from './target.js';

export interface CopyOptions {
  /** Also copy every manifest that refers to the root (signatures, attestations), recursively. */
  withReferrers?: boolean;
  /** Blobs transferred at once. */
  concurrency?: number;
  onProgress?: ProgressListener;
  /**
   * Sees the first bytes of each blob before the destination commits it, and throws to refuse it
   * (pull uses it to refuse a core module before anything is stored).
   */
  checkHead?: (descriptor: Descriptor, head: Uint8Array) => void;
  /** Refuse to copy unless the source resolves to this digest (a destination written with @digest). */
  expectDigest?: string;
  /** Also check the children of manifests the destination already has (cheap for local layouts). */
  repairExisting?: boolean;
}

/**
 * Copies the graph under `reference` from one target to another, children before parents, so the
 * destination never holds a manifest whose content is missing. Content the destination already
 * has is skipped; blobs within one registry are mounted instead of transferred.
 * Returns the root descriptor (its digest is what was copied, whatever the tag says later).
 */
export async function copy(
  source: ReadOnlyTarget,
  reference: string,
  destination: Target,
  destinationTag: string | undefined,
  options: CopyOptions = {},
): Promise<Descriptor> {
  const root = await source.resolve(reference);
  if (options.expectDigest !== undefined && options.expectDigest !== root.digest) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${source.description} ${reference} is ${root.digest}; the destination names ${options.expectDigest}`,
    );
  }
  await copyGraph(source, destination, root, options);
  if (options.withReferrers) await copyReferrers(source, destination, root, options, new Set());
  if (destinationTag !== undefined) await destination.tag(root, destinationTag);
  return root;
}

async function copyReferrers(
  source: ReadOnlyTarget,
  destination: Target,
  subject: Descriptor,
  options: CopyOptions,
  seen: Set<string>,
): Promise<void> {
  if (seen.has(subject.digest)) return;
  seen.add(subject.digest);
  for (const referrer of await listReferrers(source, subject.digest)) {
    await copyGraph(source, destination, referrer, options);
    await copyReferrers(source, destination, referrer, options, seen);
  }
}

export async function copyGraph(
  source: ReadOnlyTarget,
  destination: Target,
  root: Descriptor,
  options: CopyOptions = {},
): Promise<void> {
  const limit = createLimiter(options.concurrency ?? 3);
  const started = new Map<string, Promise<void>>();

  const copyNode = (descriptor: Descriptor): Promise<void> => {
    let running = started.get(descriptor.digest);
    if (!running) {
      running = copyOne(descriptor);
      started.set(descriptor.digest, running);
    }
    return running;
  };

  const copyOne = async (descriptor: Descriptor): Promise<void> => {
    if (await destination.exists(descriptor)) {
      // A local store may hold a manifest whose children a gc removed meanwhile: look below it too.
      if (options.repairExisting && isManifestMediaType(descriptor.mediaType)) {
        const bytes = await fetchManifestBytes(destination, descriptor);
        await settleAll(successors(parseManifest(bytes, descriptor.mediaType)).map(copyNode));
      }
      options.onProgress?.({ phase: 'skip', descriptor, bytes: descriptor.size });
      return;
    }
    if (isManifestMediaType(descriptor.mediaType)) {
      const bytes = await fetchManifestBytes(source, descriptor);
      const manifest = parseManifest(
        bytes,
        descriptor.mediaType,
        `${source.description} ${descriptor.digest}`,
      );
      await settleAll(successors(manifest).map(copyNode));
      await destination.push(descriptor, bytesStream(bytes));
      options.onProgress?.({ phase: 'done', descriptor, bytes: descriptor.size });
      return;
    }
    await limit(async () => {
      if (await tryMount(source, destination, descriptor)) {
        options.onProgress?.({ phase: 'skip', descriptor, bytes: descriptor.size });
        return;
      }
      options.onProgress?.({ phase: 'start', descriptor, bytes: 0 });
      let content = countingStream(await source.fetch(descriptor), descriptor, options.onProgress);
      if (options.checkHead) content = headCheckingStream(content, descriptor, options.checkHead);
      try {
        await destination.push(descriptor, content);
      } catch (err) {
        // A push that failed before reading leaves the source's connection open: close it.
        await content.cancel(err).catch(() => {});
        throw err;
      }
      options.onProgress?.({ phase: 'done', descriptor, bytes: descriptor.size });
    });
  };

  await copyNode(root);
}

/**
 * Waits for every child before reporting the first failure, so that nothing still writes to the
 * destination once copyGraph has rejected.
 */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const settled = await Promise.allSettled(tasks);
  const failed = settled.find((c): c is PromiseRejectedResult => c.status === 'rejected');
  if (failed) throw failed.reason;
}

async function tryMount(
  source: ReadOnlyTarget,
  destination: Target,
  descriptor: Descriptor,
): Promise<boolean> {
  if (!(source instanceof RegistryRepository) || !(destination instanceof RegistryRepository)) return false;
  if (source.client.registry !== destination.client.registry || source.name === destination.name)
    return false;
  try {
    return await destination.mount(descriptor, source.name);
  } catch {
    return false; // mounting is an optimisation; the transfer below is the real thing
  }
}

function countingStream(
  content: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  onProgress: ProgressListener | undefined,
): ReadableStream<Uint8Array> {
  if (!onProgress) return content;
  let bytes = 0;
  return content.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        onProgress({ phase: 'progress', descriptor, bytes });
        controller.enqueue(chunk);
      },
    }),
  );
}

const HEAD_BYTES = 16;

function headCheckingStream(
  content: ReadableStream<Uint8Array>,
  descriptor: Descriptor,
  check: (descriptor: Descriptor, head: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  let head: Uint8Array | undefined = new Uint8Array(0);
  const release = () => {
    if (head !== undefined) check(descriptor, head);
    head = undefined;
  };
  return content.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        if (head !== undefined) {
          const joined = new Uint8Array(head.byteLength + chunk.byteLength);
          joined.set(head);
          joined.set(chunk, head.byteLength);
          head = joined;
          if (head.byteLength >= HEAD_BYTES) release();
        }
        controller.enqueue(chunk);
      },
      flush: release,
    }),
  );
}

function createLimiter(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => queue.push(resolve));
    active += 1;
    try {
      return await task();
    } finally {
      active -= 1;
      queue.shift()?.();
    }
  };
}
