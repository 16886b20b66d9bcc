import type { Digest } from '../core/index.js';
import {
  type ProgressListener,
  copy,
  formatReference,
  listReferrers,
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
      ...(destinationRef.digest ? { expectDigest: destinationRef.digest } : {}),
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

export interface ReferrerListing {
  reference: string;
  digest: Digest;
  referrers: {
    digest: Digest;
    artifactType?: string;
    mediaType: string;
    size: number;
    annotations?: Record<string, string>;
  }[];
}

/** The manifests that refer to an artifact (signatures, attestations, SBOMs), API or tag schema. */
export async function listReferrersOf(
  context: WtoolsContext,
  input: string,
  artifactType?: string,
): Promise<ReferrerListing> {
  const ref = parseReference(input);
  const target = context.target(ref);
  const root = await target.resolve(referenceSelector(ref));
  const found = await listReferrers(target, root.digest, artifactType);
  return {
    reference: formatReference(ref),
    digest: root.digest,
    referrers: found.map((d) => ({
      digest: d.digest,
      mediaType: d.mediaType,
      size: d.size,
      ...(d.artifactType ? { artifactType: d.artifactType } : {}),
      ...(d.annotations ? { annotations: d.annotations } : {}),
    })),
  };
}
