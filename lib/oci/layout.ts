import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  DigestVerifier,
  type Digest,
  OciError,
  StoreError,
  describeError,
  digestAlgorithm,
  digestHex,
  isDigest,
  syncDirectory,
  tempPathFor,
  verifyingStream,
  withFileLock,
  writeFileAtomic,
} from '../core/index.js';
import { type Descriptor, type ImageIndex, parseDescriptor, parseManifest, successors } from './manifest.js';
import { MAX_MANIFEST_BYTES, MediaType, isManifestMediaType } from './media-types.js';
import { fetchManifestBytes, indexReferrerIfSubject } from './referrers.js';
import type { Target, TagLister } from './target.js';

const WRITE_BATCH_BYTES = 1024 * 1024;
/** index.json lists names; even a large store's is a few megabytes. A bigger one is refused unread. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024;
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
// OCI image-layout's ref.name grammar, which also admits full references such as "ghcr.io/x/y:1.0".
const REF_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.:@+\-/]*[A-Za-z0-9_])?$/;

export interface LayoutEntry {
  name: string;
  descriptor: Descriptor;
}

export interface GcResult {
  removedBlobs: number;
  freedBytes: number;
  keptRecent: number;
}

/**
 * An OCI image layout directory (`oci-layout`, `index.json`, `blobs/<alg>/<hex>`), readable and
 * writable by skopeo, oras and others. Blobs are committed by rename only after their digest checks;
 * index.json changes happen under a cross-process lock and are written atomically.
 */
export class OciLayout implements Target, TagLister {
  readonly description: string;

  constructor(readonly root: string) {
    this.description = `layout ${root}`;
  }

  blobPath(digest: Digest): string {
    return path.join(this.root, 'blobs', digestAlgorithm(digest), digestHex(digest));
  }

  private get indexPath(): string {
    return path.join(this.root, 'index.json');
  }

  /** Creates the layout's marker files when missing; safe to call concurrently. */
  async init(): Promise<void> {
    await fs.mkdir(path.join(this.root, 'blobs', 'sha256'), { recursive: true });
    const marker = path.join(this.root, 'oci-layout');
    try {
      await fs.access(marker);
    } catch {
      await writeFileAtomic(marker, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    }
    try {
      await fs.access(this.indexPath);
    } catch {
      await withFileLock(`${this.indexPath}.lock`, async () => {
        try {
          await fs.access(this.indexPath);
        } catch {
          await this.writeIndex({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] });
        }
      });
    }
  }

  /** Reading from a folder that is not a layout says so, instead of "tag not found". */
  private async requireLayout(): Promise<void> {
    try {
      await fs.access(path.join(this.root, 'oci-layout'));
    } catch {
      const what = await fs.stat(this.root).then(
        (st) => (st.isDirectory() ? 'a folder without an oci-layout file' : 'a file'),
        () => 'nothing there',
      );
      throw new OciError('NOT_FOUND', `expected an OCI image layout at ${this.root}, found ${what}`);
    }
  }

  async readIndex(): Promise<ImageIndex> {
    let text: string;
    try {
      const size = (await fs.stat(this.indexPath)).size;
      if (size > MAX_INDEX_BYTES) {
        throw new StoreError(
          'STORE_CORRUPT',
          `${this.description}: index.json is ${size} bytes; expected at most ${MAX_INDEX_BYTES}`,
        );
      }
      text = await fs.readFile(this.indexPath, 'utf8');
    } catch (err) {
      if (err instanceof StoreError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
      }
      throw new StoreError('IO', `${this.description}: cannot read index.json: ${describeError(err)}`, {
        cause: err,
      });
    }
    try {
      const parsed = parseManifest(
        new TextEncoder().encode(text),
        MediaType.ociIndex,
        `${this.description} index.json`,
      );
      if (parsed.kind !== 'index') throw new Error('not an index');
      return parsed.value;
    } catch (err) {
      throw new StoreError(
        'STORE_CORRUPT',
        `${this.description}: index.json is not a valid OCI index (${describeError(err)}); nothing was changed`,
        { cause: err },
      );
    }
  }

  private async writeIndex(index: ImageIndex): Promise<void> {
    await writeFileAtomic(this.indexPath, `${JSON.stringify(index, null, 2)}\n`);
  }

  /** Read-modify-write of index.json under the layout's lock. */
  async updateIndex(
    change: (manifests: Descriptor[]) => Descriptor[] | Promise<Descriptor[]>,
  ): Promise<void> {
    await this.init();
    await withFileLock(`${this.indexPath}.lock`, async () => {
      const index = await this.readIndex();
      const manifests = await change(index.manifests);
      await this.writeIndex({ ...index, mediaType: MediaType.ociIndex, manifests });
    });
  }

  /** The first digest under `descriptor` that is not stored, or undefined when the graph is whole. */
  async firstMissing(descriptor: Descriptor): Promise<string | undefined> {
    if (!(await this.exists(descriptor))) return descriptor.digest;
    if (!isManifestMediaType(descriptor.mediaType)) return undefined;
    const manifest = parseManifest(await fetchManifestBytes(this, descriptor), descriptor.mediaType);
    for (const child of successors(manifest)) {
      const missing = await this.firstMissing(child);
      if (missing) return missing;
    }
    return undefined;
  }

  async entries(): Promise<LayoutEntry[]> {
    const index = await this.readIndex();
    return index.manifests.flatMap((descriptor) => {
      const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
      return name === undefined ? [] : [{ name, descriptor }];
    });
  }

  async tags(): Promise<string[]> {
    return (await this.entries()).map((e) => e.name).sort();
  }

  async resolve(reference: string): Promise<Descriptor> {
    await this.requireLayout();
    const index = await this.readIndex();
    const byName = index.manifests.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === reference);
    if (byName) return stripRefName(byName);
    if (isDigest(reference)) {
      const listed = index.manifests.find((d) => d.digest === reference);
      if (listed) return stripRefName(listed);
      return this.describeStoredManifest(reference);
    }
    throw new OciError('NOT_FOUND', `${this.description}: no manifest is tagged "${reference}"`);
  }

  /** A digest that index.json does not list (a child manifest): describe it from the blob itself. */
  private async describeStoredManifest(digest: Digest): Promise<Descriptor> {
    let size: number;
    try {
      size = (await fs.stat(this.blobPath(digest))).size;
    } catch {
      throw new OciError('NOT_FOUND', `${this.description}: ${digest} not found`);
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new OciError(
        'MANIFEST_TOO_LARGE',
        `${this.description}: ${digest} is ${size} bytes, not a manifest`,
      );
    }
    const probe: Descriptor = { mediaType: 'application/octet-stream', digest, size };
    const bytes = await fetchManifestBytes(this, probe);
    const parsed = parseManifest(bytes, undefined, `${this.description} ${digest}`);
    return {
      mediaType:
        parsed.value.mediaType ?? (parsed.kind === 'index' ? MediaType.ociIndex : MediaType.ociManifest),
      digest,
      size,
    };
  }

  async fetch(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const file = this.blobPath(descriptor.digest);
    try {
      await fs.access(file);
    } catch {
      throw new OciError('NOT_FOUND', `${this.description}: blob ${descriptor.digest} not found`);
    }
    const stream = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    return verifyingStream(stream, {
      digest: descriptor.digest,
      size: descriptor.size,
      what: `${this.description} blob ${descriptor.digest}`,
    });
  }

  async exists(descriptor: Descriptor): Promise<boolean> {
    try {
      const stat = await fs.stat(this.blobPath(descriptor.digest));
      return stat.size === descriptor.size;
    } catch {
      return false;
    }
  }

  async push(descriptor: Descriptor, content: ReadableStream<Uint8Array>): Promise<void> {
    await this.init();
    const target = this.blobPath(descriptor.digest);
    await fs.mkdir(path.dirname(target), { recursive: true });
    if (await this.exists(descriptor)) {
      await content.cancel();
      return;
    }
    const temp = tempPathFor(target);
    const verifier = new DigestVerifier({
      digest: descriptor.digest,
      size: descriptor.size,
      what: `blob ${descriptor.digest} for ${this.description}`,
    });
    const keep: Uint8Array[] | undefined = isManifestMediaType(descriptor.mediaType) ? [] : undefined;
    const handle = await fs.open(temp, 'wx', 0o644);
    try {
      // Network chunks are small (≤ 64 KiB); gathering them into larger writes halves the cost.
      let batch: Uint8Array[] = [];
      let batchBytes = 0;
      for await (const chunk of content) {
        verifier.update(chunk);
        keep?.push(chunk);
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH_BYTES) {
          await handle.writev(batch);
          batch = [];
          batchBytes = 0;
        }
      }
      if (batchBytes > 0) await handle.writev(batch);
      verifier.finish();
      await handle.sync();
      await handle.close();
      // Only verified content gets its digest's name; a tampered or short blob never appears.
      await fs.rename(temp, target);
      await syncDirectory(path.dirname(target));
    } catch (err) {
      await handle.close().catch(() => {});
      await fs.rm(temp, { force: true });
      throw err;
    }
    if (keep) await indexReferrerIfSubject(this, descriptor, Buffer.concat(keep));
  }

  async tag(descriptor: Descriptor, name: string, annotations: Record<string, string> = {}): Promise<void> {
    if (!REF_NAME.test(name)) {
      throw new OciError(
        'INVALID_REFERENCE',
        `${this.description}: "${name}" is not a valid layout reference name`,
      );
    }
    if (!(await this.exists(descriptor))) {
      throw new OciError(
        'NOT_FOUND',
        `${this.description}: cannot tag ${descriptor.digest}, it is not stored`,
      );
    }
    const entry: Descriptor = {
      ...parseDescriptor('descriptor', descriptor),
      annotations: { ...stripRefName(descriptor).annotations, ...annotations, [REF_NAME_ANNOTATION]: name },
    };
    await this.updateIndex(async (manifests) => {
      // Checked under the lock that gc holds too: a name never points at content gc just removed.
      const missing = await this.firstMissing(descriptor);
      if (missing) {
        throw new OciError(
          'NOT_FOUND',
          `${this.description}: cannot name ${descriptor.digest} "${name}": ${missing} is not stored (removed by gc?)`,
        );
      }
      return [...manifests.filter((d) => d.annotations?.[REF_NAME_ANNOTATION] !== name), entry];
    });
  }

  /** Removes names; returns the entries removed. Blobs stay until gc(). */
  async untag(match: (entry: LayoutEntry) => boolean): Promise<LayoutEntry[]> {
    const removed: LayoutEntry[] = [];
    await this.updateIndex((manifests) =>
      manifests.filter((descriptor) => {
        const name = descriptor.annotations?.[REF_NAME_ANNOTATION];
        if (name !== undefined && match({ name, descriptor })) {
          removed.push({ name, descriptor });
          return false;
        }
        return true;
      }),
    );
    return removed;
  }

  /** Every digest reachable from index.json (manifests, their children, and subjects' referrers). */
  async reachable(): Promise<Set<string>> {
    const seen = new Set<string>();
    const visit = async (descriptor: Descriptor): Promise<void> => {
      if (seen.has(descriptor.digest)) return;
      seen.add(descriptor.digest);
      if (!isManifestMediaType(descriptor.mediaType) || !(await this.exists(descriptor))) return;
      const manifest = parseManifest(await fetchManifestBytes(this, descriptor), descriptor.mediaType);
      for (const child of successors(manifest)) await visit(child);
    };
    for (const descriptor of (await this.readIndex()).manifests) await visit(descriptor);
    return seen;
  }

  /**
   * Removes blobs that nothing in index.json reaches. Blobs younger than graceMs are kept: another
   * process may be pulling and not yet have tagged what it wrote.
   */
  async gc(options: { graceMs?: number } = {}): Promise<GcResult> {
    const graceMs = options.graceMs ?? 10 * 60_000;
    const result: GcResult = { removedBlobs: 0, freedBytes: 0, keptRecent: 0 };
    await this.init();
    await withFileLock(`${this.indexPath}.lock`, async () => {
      const keep = await this.reachable();
      const now = Date.now();
      for (const algorithm of ['sha256', 'sha512']) {
        const dir = path.join(this.root, 'blobs', algorithm);
        let names: string[];
        try {
          names = await fs.readdir(dir);
        } catch {
          continue;
        }
        for (const name of names) {
          const file = path.join(dir, name);
          const isTemp = name.startsWith('.');
          if (!isTemp && keep.has(`${algorithm}:${name}`)) continue;
          const stat = await fs.stat(file).catch(() => undefined);
          if (!stat) continue;
          if (now - stat.mtimeMs < graceMs) {
            result.keptRecent += 1;
            continue;
          }
          await fs.rm(file, { force: true });
          result.removedBlobs += 1;
          result.freedBytes += stat.size;
        }
      }
    });
    return result;
  }
}

function stripRefName(descriptor: Descriptor): Descriptor {
  if (!descriptor.annotations || !(REF_NAME_ANNOTATION in descriptor.annotations)) return descriptor;
  const { [REF_NAME_ANNOTATION]: _name, ...rest } = descriptor.annotations;
  const { annotations: _a, ...bare } = descriptor;
  return Object.keys(rest).length > 0 ? { ...bare, annotations: rest } : bare;
}
