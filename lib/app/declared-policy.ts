/**
 * What a component's publisher says it needs: the policy layer of its artifact. This is a request
 * for a human to judge (shown by `pull`, `inspect` and the load-time prompt, offered unticked), never
 * a grant. A layer that cannot be read as a policy is reported, not fatal: nothing depends on it.
 */
import { type Digest, describeError, readVerified } from '../core/index.js';
import { type Limits, formatCapability, formatLimits, parseGrantPolicy } from '../grants/index.js';
import { type ImageManifest, MAX_POLICY_BYTES, type Target, findPolicyLayer } from '../oci/index.js';

export interface DeclaredPolicy {
  /** The policy layer's digest. */
  layer: Digest;
  /** What it asks to be allowed, as grant strings (relative paths resolved against `baseDir`). */
  asks: string[];
  /** Limits it asks for, as `memory:…`/`timeout:…` strings. */
  limits: Partial<Limits>;
  /** Entries of the layer that have no exact grant here, and why. */
  skipped: string[];
  /** Why the layer could not be read as a policy; nothing else is set then. */
  problem?: string;
}

/**
 * Reads the policy layer of a manifest from a target that holds it (the store, after a pull).
 * Relative storage paths (Wassette writes `fs://workspace/**`) mean the directory wtools runs in.
 */
export async function readDeclaredPolicy(
  target: Target,
  manifest: ImageManifest,
  what: string,
  baseDir: string = process.cwd(),
): Promise<DeclaredPolicy | undefined> {
  const layer = findPolicyLayer(manifest);
  if (!layer) return undefined;
  const empty = { layer: layer.digest, asks: [], limits: {}, skipped: [] };
  if (layer.size > MAX_POLICY_BYTES) {
    return {
      ...empty,
      problem: `the policy layer is ${layer.size} bytes; expected at most ${MAX_POLICY_BYTES}`,
    };
  }
  try {
    const bytes = await readVerified(await target.fetch(layer), {
      digest: layer.digest,
      size: layer.size,
      maxSize: MAX_POLICY_BYTES,
      what: `${what} policy layer ${layer.digest}`,
    });
    const policy = parseGrantPolicy(new TextDecoder().decode(bytes), `the policy layer of ${what}`, baseDir);
    return {
      layer: layer.digest,
      asks: policy.allow.map(formatCapability),
      limits: policy.limits,
      skipped: policy.skipped,
    };
  } catch (err) {
    return { ...empty, problem: describeError(err) };
  }
}

/** Everything a declared policy asks for, as grant strings (`memory:512MiB` for limits too). */
export function declaredRequests(declared: DeclaredPolicy): string[] {
  return [...declared.asks, ...formatLimits(declared.limits).map(([key, value]) => `${key}:${value}`)];
}
