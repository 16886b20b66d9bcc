import type { Digest } from '../core/index.js';
import {
  type ProgressListener,
  copy,
  formatReference,
  parseReference,
  referenceSelector,
  withDigest,
} from '../oci/index.js';
import type { WtoolsContext } from './context.js';

export interface CopyResult {
  source: string;
  destination: string;
  digest: Digest;
  size: number;
  mediaType: string;
}

/** Copies an artifact between any two targets: registry ↔ registry, registry ↔ OCI layout. */
export async function copyReference(
  context: WtoolsContext,
  sourceInput: string,
  destinationInput: string,
  options: { withReferrers?: boolean; onProgress?: ProgressListener } = {},
): Promise<CopyResult> {
  const sourceRef = parseReference(sourceInput);
  const destinationRef = parseReference(destinationInput);
  // A destination without a tag keeps the source's; with neither, the copy is by digest only.
  const tag = destinationRef.tag ?? sourceRef.tag;
  const root = await copy(
    context.target(sourceRef),
    referenceSelector(sourceRef),
    context.target(destinationRef),
    tag,
    {
      ...(options.withReferrers ? { withReferrers: true } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
  return {
    source: formatReference(sourceRef),
    destination: formatReference(tag ? { ...destinationRef, tag } : withDigest(destinationRef, root.digest)),
    digest: root.digest,
    size: root.size,
    mediaType: root.mediaType,
  };
}
