import { OciError, bytesStream, readVerified, verifyingStream } from '../core/index.js';
import type { Descriptor } from './manifest.js';
import { indexReferrerIfSubject } from './referrers.js';
import type { Target, TagLister } from './target.js';
import { isValidTag } from './reference.js';

/** A Target in memory: for tests and for staging content before it is committed elsewhere. */
export class MemoryTarget implements Target, TagLister {
  readonly description: string;
  private readonly blobs = new Map<string, { descriptor: Descriptor; bytes: Uint8Array }>();
  private readonly tagMap = new Map<string, Descriptor>();

  constructor(name = 'memory') {
    this.description = name;
  }

  async resolve(reference: string): Promise<Descriptor> {
    const found = this.tagMap.get(reference) ?? this.blobs.get(reference)?.descriptor;
    if (!found) throw new OciError('NOT_FOUND', `${this.description}: ${reference} not found`);
    return found;
  }

  async fetch(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const entry = this.blobs.get(descriptor.digest);
    if (!entry) throw new OciError('NOT_FOUND', `${this.description}: ${descriptor.digest} not found`);
    return verifyingStream(bytesStream(entry.bytes), { digest: descriptor.digest, size: descriptor.size });
  }

  async exists(descriptor: Descriptor): Promise<boolean> {
    return this.blobs.has(descriptor.digest);
  }

  async push(descriptor: Descriptor, content: ReadableStream<Uint8Array>): Promise<void> {
    const bytes = await readVerified(content, { digest: descriptor.digest, size: descriptor.size });
    this.blobs.set(descriptor.digest, { descriptor, bytes });
    await indexReferrerIfSubject(this, descriptor, bytes);
  }

  async tag(descriptor: Descriptor, tag: string): Promise<void> {
    if (!isValidTag(tag))
      throw new OciError('INVALID_REFERENCE', `${this.description}: "${tag}" is not a valid tag`);
    if (!this.blobs.has(descriptor.digest)) {
      throw new OciError(
        'NOT_FOUND',
        `${this.description}: cannot tag ${descriptor.digest}, it is not stored`,
      );
    }
    this.tagMap.set(tag, descriptor);
  }

  async tags(): Promise<string[]> {
    return [...this.tagMap.keys()].sort();
  }

  /** Test and inspection helper: raw bytes of stored content. */
  bytes(digest: string): Uint8Array | undefined {
    return this.blobs.get(digest)?.bytes;
  }
}
