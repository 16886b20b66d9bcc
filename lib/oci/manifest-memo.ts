import { bytesStream, verifyingStream } from '../core/index.js';
import type { Descriptor } from './manifest.js';
import { fetchManifestBytes } from './referrers.js';
import type { ReadOnlyTarget } from './target.js';

/**
 * A source that answers fetches of manifests it has already read from memory, so a pull that
 * inspects a manifest before copying it does not download it twice. Bytes are still verified.
 */
export class ManifestMemo implements ReadOnlyTarget {
  private readonly known = new Map<string, Uint8Array>();

  constructor(private readonly source: ReadOnlyTarget) {}

  get description(): string {
    return this.source.description;
  }

  resolve(reference: string): Promise<Descriptor> {
    return this.source.resolve(reference);
  }

  exists(descriptor: Descriptor): Promise<boolean> {
    return this.source.exists(descriptor);
  }

  async fetch(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const bytes = this.known.get(descriptor.digest);
    if (!bytes) return this.source.fetch(descriptor);
    return verifyingStream(bytesStream(bytes), { digest: descriptor.digest, size: descriptor.size });
  }

  async manifestBytes(descriptor: Descriptor): Promise<Uint8Array> {
    let bytes = this.known.get(descriptor.digest);
    if (!bytes) {
      bytes = await fetchManifestBytes(this.source, descriptor);
      this.known.set(descriptor.digest, bytes);
    }
    return bytes;
  }
}
