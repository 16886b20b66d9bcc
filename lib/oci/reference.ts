import { isDigest, type Digest, WtoolsError } from '../core/index.js';

/** A repository in a registry, by tag and/or digest (a digest wins when both are given). */
export interface RegistryReference {
  readonly kind: 'registry';
  /** Canonical registry name as people write it: "ghcr.io", "localhost:5000", "docker.io". */
  readonly registry: string;
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

/** An OCI image layout directory, `oci:PATH[:tag|@digest]`. */
export interface LayoutReference {
  readonly kind: 'layout';
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export type Reference = RegistryReference | LayoutReference;

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

export const REFERENCE_GRAMMAR = [
  'expected one of:',
  '  [REGISTRY/]REPOSITORY[:TAG][@sha256:HEX]   e.g. ghcr.io/org/tool:1.0, localhost:5000/x@sha256:…',
  '  oci:PATH[:TAG|@sha256:HEX]                  an OCI image layout directory',
  'REPOSITORY is lowercase path components ([a-z0-9] separated by ".", "_", "__" or "-"), joined by "/";',
  'TAG is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; a bare name means docker.io/library/NAME.',
].join('\n');

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// A host name or IPv4, optionally a bracketed IPv6, optionally a port.
const REGISTRY =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function invalid(input: string, why: string): WtoolsError {
  return new WtoolsError('INVALID_REFERENCE', `invalid reference "${input}": ${why}\n${REFERENCE_GRAMMAR}`);
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

/** Splits "…@digest" off the end, checking the digest. */
function splitDigest(input: string, rest: string): [string, Digest | undefined] {
  const at = rest.lastIndexOf('@');
  if (at < 0) return [rest, undefined];
  const digest = rest.slice(at + 1);
  if (!isDigest(digest)) throw invalid(input, `"${digest}" is not a digest (sha256:<64 lowercase hex>)`);
  return [rest.slice(0, at), digest];
}

export function parseReference(input: string): Reference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'it is empty');
  if (text.startsWith('oci:')) return parseLayoutReference(input, text.slice(4));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw invalid(input, 'a reference has no URL scheme');

  const [nameAndTag, digest] = splitDigest(input, text);
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  const name = colon >= 0 ? nameAndTag.slice(0, colon) : nameAndTag;
  const tag = colon >= 0 ? nameAndTag.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) throw invalid(input, `"${tag}" is not a valid tag`);

  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  // As docker does: the first component is a registry when it looks like a host.
  const hasRegistry =
    slash >= 0 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first.startsWith('['));
  let registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (hasRegistry && !REGISTRY.test(registry))
    throw invalid(input, `"${registry}" is not a registry host[:port]`);
  if (registry === 'index.docker.io' || registry === DOCKER_HUB_API_HOST) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;

  if (repository === '') throw invalid(input, 'the repository is missing');
  for (const part of repository.split('/')) {
    if (!COMPONENT.test(part)) {
      throw invalid(
        input,
        `repository component "${part}" is not lowercase [a-z0-9] with . _ __ - separators`,
      );
    }
  }
  if (registry.length + 1 + repository.length > 255)
    throw invalid(input, 'the name is longer than 255 characters');

  return {
    kind: 'registry',
    registry,
    repository,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

function parseLayoutReference(input: string, rest: string): LayoutReference {
  const [pathAndTag, digest] = splitDigest(input, rest);
  let layoutPath = pathAndTag;
  let tag: string | undefined;
  // A tag follows the last ":" that comes after the last path separator (paths may contain ":").
  const colon = pathAndTag.lastIndexOf(':');
  if (colon > pathAndTag.lastIndexOf('/') && digest === undefined) {
    layoutPath = pathAndTag.slice(0, colon);
    tag = pathAndTag.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(input, `"${tag}" is not a valid tag`);
  }
  if (layoutPath === '') throw invalid(input, 'the layout directory path is missing');
  return {
    kind: 'layout',
    path: layoutPath,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}

/** The tag or digest to resolve: the digest when present, else the tag, else "latest". */
export function referenceSelector(ref: Reference): string {
  return ref.digest ?? ref.tag ?? 'latest';
}

export function formatReference(ref: Reference): string {
  const suffix = `${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
  if (ref.kind === 'layout') return `oci:${ref.path}${suffix}`;
  return `${ref.registry}/${ref.repository}${suffix}`;
}

/** The same repository pinned to a digest (tag dropped): what everything after verification uses. */
export function withDigest<R extends Reference>(ref: R, digest: Digest): R {
  const { tag: _tag, ...rest } = ref;
  return { ...rest, digest } as R;
}

export function withTag<R extends Reference>(ref: R, tag: string | undefined): R {
  const { tag: _tag, digest: _digest, ...rest } = ref;
  return (tag === undefined ? rest : { ...rest, tag }) as R;
}

/** Host name without port, lowercased, for policy decisions such as allowing plain HTTP. */
export function registryHost(registry: string): string {
  if (registry.startsWith('[')) return registry.slice(1, registry.indexOf(']'));
  const colon = registry.lastIndexOf(':');
  return (colon >= 0 ? registry.slice(0, colon) : registry).toLowerCase();
}

/** The host:port that serves the registry API for a canonical registry name. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry;
}
