import type { Digest } from '../core/index.js';
import type { Descriptor } from './manifest.js';

/**
 * The seams of OCI content, after oras-go: a registry repository, an OCI layout directory and
 * memory are all Targets, so one copy algorithm serves every pair.
 *
 * Every `fetch` returns a stream that is checked against the descriptor while it is read (size
 * limit and digest), and errors instead of ending when the content does not match.
 */
export interface ReadOnlyTarget {
  /** Names the target in errors and progress: "registry ghcr.io/org/x", "layout ./dir". */
  readonly description: string;
  /** A tag or digest to a descriptor of the manifest or index. */
  resolve(reference: string): Promise<Descriptor>;
  fetch(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>>;
  exists(descriptor: Descriptor): Promise<boolean>;
}

export interface Target extends ReadOnlyTarget {
  /**
   * Stores content that must match the descriptor; content that does not is never committed.
   * A manifest with a `subject` is also made findable as a referrer of that subject.
   */
  push(descriptor: Descriptor, content: ReadableStream<Uint8Array>): Promise<void>;
  /** Points a tag at a manifest or index that the target already holds. */
  tag(descriptor: Descriptor, tag: string): Promise<void>;
}

export interface TagLister {
  tags(): Promise<string[]>;
}

/** Targets that may answer referrers natively; `undefined` means "no API here, use the tag schema". */
export interface ReferrersApi {
  referrersApi(subject: Digest, artifactType?: string): Promise<Descriptor[] | undefined>;
}

export interface ProgressEvent {
  phase: 'start' | 'progress' | 'done' | 'skip';
  descriptor: Descriptor;
  /** Bytes moved so far for this descriptor. */
  bytes: number;
}
export type ProgressListener = (event: ProgressEvent) => void;

export function hasReferrersApi(target: object): target is ReferrersApi {
  return typeof (target as Partial<ReferrersApi>).referrersApi === 'function';
}
