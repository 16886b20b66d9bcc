import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Digest, OciError, WtoolsError, bytesStream, describeError } from '../core/index.js';
import { readComponentNames, wasmKind } from '../component/binary.js';
import { parseGrantPolicy } from '../grants/index.js';
import {
  MAX_POLICY_BYTES,
  MemoryTarget,
  type ProgressListener,
  buildWasmArtifact,
  copyGraph,
  formatReference,
  parseReference,
  withDigest,
} from '../oci/index.js';
import type { WtoolsContext } from './context.js';
import { type SignReferenceOptions, type SignResult, checkSignOptions, signReference } from './sign.js';

export interface PushOptions {
  annotations?: Record<string, string>;
  /** org.opencontainers.image.source */
  source?: string;
  /** org.opencontainers.image.version */
  version?: string;
  /** Fixed creation time for reproducible artifacts (defaults to now). */
  created?: string;
  /** A policy file (ours or Wassette's) shipped as the artifact's policy layer: what it asks for. */
  policyFile?: string;
  onProgress?: ProgressListener;
}

export interface PushResult {
  reference: string;
  pinned: string;
  digest: Digest;
  size: number;
  component: { digest: Digest; size: number };
  /** The policy layer, when one was shipped. */
  policy?: { digest: Digest; size: number };
  exports: string[];
  imports: string[];
}

/**
 * Reads a policy file to ship, and checks it reads as a policy here (a publisher's typo should fail
 * at push, not at every consumer's load).
 */
async function readPolicyFile(file: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new WtoolsError('INVALID_ARGUMENT', `cannot read policy file ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
  if (bytes.byteLength > MAX_POLICY_BYTES) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `policy file ${file} is ${bytes.byteLength} bytes; expected at most ${MAX_POLICY_BYTES}`,
    );
  }
  parseGrantPolicy(new TextDecoder().decode(bytes), file, path.dirname(path.resolve(file)));
  return bytes;
}

/** Pushes a component file as a CNCF Wasm OCI artifact to a registry or an OCI layout. */
export async function push(
  context: WtoolsContext,
  file: string,
  input: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const ref = parseReference(input);
  if (ref.digest) {
    throw new WtoolsError(
      'INVALID_REFERENCE',
      `push needs a tag, not a digest: the digest follows from the content (${input})`,
    );
  }
  let component: Uint8Array;
  try {
    component = await readFile(file);
  } catch (err) {
    throw new WtoolsError('INVALID_ARGUMENT', `cannot read component file ${file}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const kind = wasmKind(component);
  if (kind !== 'component') {
    throw new OciError(
      'NOT_A_COMPONENT',
      kind === 'core-module'
        ? `${file} is a core WebAssembly module, not a component; make one with \`jco new\` or \`wasm-tools component new\``
        : `${file} is not WebAssembly (expected the "\\0asm" header)`,
    );
  }
  const names = readComponentNames(component);
  const policy = options.policyFile ? await readPolicyFile(options.policyFile) : undefined;
  const created = options.created ?? new Date().toISOString();
  const annotations: Record<string, string> = {
    'org.opencontainers.image.created': created,
    ...(options.source ? { 'org.opencontainers.image.source': options.source } : {}),
    ...(options.version ? { 'org.opencontainers.image.version': options.version } : {}),
    ...options.annotations,
  };
  const artifact = buildWasmArtifact({
    component,
    exports: names.exports,
    imports: names.imports,
    annotations,
    created,
    ...(policy ? { policy } : {}),
  });

  // Stage in memory so the one copy algorithm does the pushing (skips, mounts, order).
  const staging = new MemoryTarget('component file');
  await staging.push(artifact.layer, bytesStream(component));
  await staging.push(artifact.config, bytesStream(artifact.configBytes));
  if (artifact.policy && policy) await staging.push(artifact.policy, bytesStream(policy));
  await staging.push(artifact.manifest, bytesStream(artifact.manifestBytes));

  const destination = context.target(ref);
  await copyGraph(
    staging,
    destination,
    artifact.manifest,
    options.onProgress ? { onProgress: options.onProgress } : {},
  );
  const tag = ref.tag ?? 'latest';
  await destination.tag(artifact.manifest, tag);

  const tagged = { ...ref, tag };
  return {
    reference: formatReference(tagged),
    pinned: formatReference(withDigest(tagged, artifact.manifest.digest)),
    digest: artifact.manifest.digest,
    size: artifact.manifest.size + artifact.config.size + artifact.layer.size + (artifact.policy?.size ?? 0),
    component: { digest: artifact.layer.digest, size: artifact.layer.size },
    ...(artifact.policy ? { policy: { digest: artifact.policy.digest, size: artifact.policy.size } } : {}),
    exports: names.exports,
    imports: names.imports,
  };
}

export interface PushSignedResult extends PushResult {
  /** The signature pushed as a referrer of exactly `digest`. */
  signature: SignResult;
}

/**
 * `wtools push --sign`: checks the signing key first (a wrong passphrase pushes nothing), pushes,
 * then signs the digest the push produced, by digest: the tag is never resolved again, so a tag moved
 * by someone else in between cannot get the signature.
 */
export async function pushSigned(
  context: WtoolsContext,
  file: string,
  input: string,
  options: PushOptions,
  signOptions: SignReferenceOptions,
): Promise<PushSignedResult> {
  await checkSignOptions(signOptions);
  const pushed = await push(context, file, input, options);
  let signature: SignResult;
  try {
    signature = await signReference(context, pushed.pinned, signOptions);
  } catch (err) {
    if (!(err instanceof WtoolsError)) throw err;
    throw new WtoolsError(
      err.code,
      `pushed ${pushed.pinned}, but signing it failed: ${err.message} (sign it later with \`wtools sign ${pushed.pinned}\`)`,
      { cause: err, details: { ...err.details, pushed: pushed.pinned } },
    );
  }
  if (signature.digest !== pushed.digest) {
    // signReference resolved the pinned digest; anything else would be a bug worth stopping on.
    throw new WtoolsError(
      'SIGNING_FAILED',
      `signed ${signature.digest}, but the push produced ${pushed.digest}`,
    );
  }
  return { ...pushed, signature };
}
