import {
  DigestVerifier,
  type Digest,
  OciError,
  digestAlgorithm,
  digestOf,
  isDigest,
  readVerified,
  sha256,
  verifyingStream,
} from '../core/index.js';
import { AuthClient, parseChallenge } from './auth.js';
import type { CredentialProvider } from './credentials.js';
import type { HttpResponse } from './node-transport.js';
import { HttpClient, type HttpClientOptions, type HttpRequest, isLoopbackHost } from './http.js';
import { type Descriptor, manifestMediaType, parseManifest } from './manifest.js';
import { MANIFEST_MEDIA_TYPES, MAX_MANIFEST_BYTES, isManifestMediaType } from './media-types.js';
import { registryApiHost } from './reference.js';
import { addToFallbackIndex, referrerDescriptor } from './referrers.js';
import type { ReferrersApi, Target, TagLister } from './target.js';

export interface RegistryOptions extends HttpClientOptions {
  credentials?: CredentialProvider;
  /** Registries (host or host:port) that may be spoken to over plain HTTP besides loopback ones. */
  insecure?: readonly string[];
  /** Blobs up to this size go in one request; larger ones are sent in chunks of this size. */
  chunkSize?: number;
}

// Never "*/*": distribution then answers 404 for OCI manifests.
const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');
const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

interface RegistryErrorBody {
  errors?: { code?: string; message?: string }[];
}

/** One registry host: transport, auth and scheme; hands out repositories. */
export class RegistryClient {
  readonly http: HttpClient;
  readonly auth: AuthClient;
  readonly baseUrl: string;
  readonly chunkSize: number;

  constructor(
    readonly registry: string,
    options: RegistryOptions = {},
  ) {
    const insecure = options.insecure ?? [];
    const plainHttpAllowed = (url: URL) =>
      isLoopbackHost(url.hostname) || insecure.includes(url.host) || insecure.includes(url.hostname);
    this.http = new HttpClient({ ...options, plainHttpAllowed });
    this.auth = new AuthClient(this.http, options.credentials);
    this.chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const apiHost = registryApiHost(registry);
    const plain = plainHttpAllowed(new URL(`http://${apiHost}`));
    this.baseUrl = `${plain ? 'http' : 'https'}://${apiHost}`;
  }

  repository(name: string): RegistryRepository {
    return new RegistryRepository(this, name);
  }

  /** Repository names from the catalog API, where the registry offers it (many public ones do not). */
  async catalog(limit = 1000): Promise<string[]> {
    const all: string[] = [];
    const seen = new Set<string>();
    let next: string | undefined = `${this.baseUrl}/v2/_catalog?n=${Math.min(limit, 1000)}`;
    while (next && all.length < limit) {
      const response = await this.request({ method: 'GET', url: next }, ['registry:catalog:*']);
      if (!response.ok) {
        await response.body?.cancel();
        throw new OciError(
          response.status === 401 || response.status === 403 ? 'DENIED' : 'REGISTRY_ERROR',
          `${this.registry} does not list its repositories (catalog API: HTTP ${response.status})`,
        );
      }
      const body = (await response.json()) as { repositories?: string[] | null };
      all.push(...(body.repositories ?? []));
      next = nextLink(response, next, seen);
    }
    return all.slice(0, limit);
  }

  /**
   * Sends a request, answering one auth challenge if the registry poses it. `scopes` are the token
   * scopes the operation needs, e.g. "repository:org/x:pull".
   */
  async request(request: HttpRequest, scopes: readonly string[]): Promise<HttpResponse> {
    // Upload locations and pagination links come from the server: credentials go only to its origin.
    if (new URL(request.url).origin !== new URL(this.baseUrl).origin) return this.http.send(request);
    const cached = this.auth.cached(this.registry, scopes);
    const withAuth = (authorization: string | undefined): HttpRequest =>
      authorization ? { ...request, headers: { ...request.headers, authorization } } : request;
    let response = await this.http.send(withAuth(cached));
    if (response.status !== 401) return response;
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    await response.body?.cancel();
    const credential = await this.auth.credentialFor(this.registry);
    const authorization = challenge ? await this.auth.authorize(this.registry, challenge, scopes) : undefined;
    if (authorization === undefined) throw this.unauthorized(credential !== undefined);
    response = await this.http.send(withAuth(authorization));
    if (response.status === 401) {
      await response.body?.cancel();
      throw this.unauthorized(credential !== undefined);
    }
    return response;
  }

  private unauthorized(hadCredentials: boolean): OciError {
    return new OciError(
      'UNAUTHORIZED',
      hadCredentials
        ? `registry ${this.registry} refused the stored credentials; run \`wtools login ${this.registry}\` again`
        : `registry ${this.registry} requires credentials; run \`wtools login ${this.registry}\` (or \`docker login ${this.registry}\`)`,
      { details: { registry: this.registry } },
    );
  }

  /** Checks that the registry speaks the distribution API and accepts our credentials (for login). */
  async ping(): Promise<void> {
    const response = await this.request({ method: 'GET', url: `${this.baseUrl}/v2/` }, []);
    await response.body?.cancel();
    if (!response.ok) {
      throw new OciError(
        'REGISTRY_ERROR',
        `${this.registry}/v2/ answered ${response.status}; expected 200 from an OCI registry`,
      );
    }
  }
}

/** A repository of a registry, as a Target. */
export class RegistryRepository implements Target, TagLister, ReferrersApi {
  readonly description: string;
  /** Learnt from the OCI-Subject header: does the registry index referrers itself? */
  private referrersSupported: boolean | undefined;
  /** Manifests this process pushed, so tagging one does not download it again. */
  private readonly pushedManifests = new Map<string, Uint8Array>();

  constructor(
    readonly client: RegistryClient,
    readonly name: string,
  ) {
    this.description = `${client.registry}/${name}`;
  }

  private url(path: string): string {
    return `${this.client.baseUrl}/v2/${this.name}/${path}`;
  }

  private get pullScope(): string[] {
    return [`repository:${this.name}:pull`];
  }

  private get pushScope(): string[] {
    return [`repository:${this.name}:pull,push`];
  }

  private async failure(response: HttpResponse, what: string): Promise<OciError> {
    let detail = '';
    let registryCode: string | undefined;
    try {
      const body = (await response.json()) as RegistryErrorBody;
      const first = body.errors?.[0];
      registryCode = first?.code;
      detail = first ? `${first.code ?? ''}${first.message ? `: ${first.message}` : ''}` : '';
    } catch {
      // not JSON: the status says enough
    }
    const suffix = detail ? ` (${detail})` : '';
    if (response.status === 404) {
      return new OciError('NOT_FOUND', `${what}: not found in ${this.description}${suffix}`, {
        details: { registryCode },
      });
    }
    if (response.status === 403)
      return new OciError('DENIED', `${what}: access denied by ${this.client.registry}${suffix}`);
    return new OciError(
      'REGISTRY_ERROR',
      `${what}: ${this.client.registry} answered ${response.status}${suffix}`,
    );
  }

  async resolve(reference: string): Promise<Descriptor> {
    const what = `${this.description}${isDigest(reference) ? '@' : ':'}${reference}`;
    const response = await this.client.request(
      { method: 'HEAD', url: this.url(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT } },
      this.pullScope,
    );
    if (response.status === 404) throw new OciError('NOT_FOUND', `${what} not found`);
    if (!response.ok) throw await this.failure(response, what);
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const length = Number(response.headers.get('content-length') ?? NaN);
    const headerDigest = response.headers.get('docker-content-digest') ?? undefined;
    if (Number.isFinite(length) && length > MAX_MANIFEST_BYTES) {
      throw new OciError(
        'MANIFEST_TOO_LARGE',
        `${what}: manifest is ${length} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`,
      );
    }
    // The headers describe the manifest only with a manifest Content-Type: none, application/json or
    // an unknown type is settled by reading the body (which refuses unknown types).
    if (isManifestMediaType(mediaType)) {
      if (isDigest(reference) && Number.isFinite(length)) {
        return { mediaType, digest: reference, size: length };
      }
      if (headerDigest && isDigest(headerDigest) && Number.isFinite(length)) {
        return { mediaType, digest: headerDigest, size: length };
      }
    }
    // No usable headers: read the manifest once and digest it ourselves.
    return this.resolveByGet(reference, what);
  }

  private async resolveByGet(reference: string, what: string): Promise<Descriptor> {
    const response = await this.client.request(
      { method: 'GET', url: this.url(`manifests/${reference}`), headers: { accept: MANIFEST_ACCEPT } },
      this.pullScope,
    );
    if (!response.ok) throw await this.failure(response, what);
    const bytes = await readBounded(response, MAX_MANIFEST_BYTES, what);
    const digest = isDigest(reference) ? digestOf(bytes, digestAlgorithm(reference)) : sha256(bytes);
    if (isDigest(reference) && reference !== digest) {
      throw new OciError('DIGEST_MISMATCH', `${what}: expected digest ${reference}, found ${digest}`);
    }
    const declared = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const parsed = parseManifest(bytes, declared, what);
    const mediaType =
      parsed.value.mediaType ?? (isManifestMediaType(declared) ? declared : manifestMediaType(parsed));
    return { mediaType, digest, size: bytes.byteLength };
  }

  async fetch(descriptor: Descriptor): Promise<ReadableStream<Uint8Array>> {
    const manifest = isManifestMediaType(descriptor.mediaType);
    const what = `${manifest ? 'manifest' : 'blob'} ${descriptor.digest} of ${this.description}`;
    if (manifest && descriptor.size > MAX_MANIFEST_BYTES) {
      throw new OciError(
        'MANIFEST_TOO_LARGE',
        `${what}: ${descriptor.size} bytes; at most ${MAX_MANIFEST_BYTES} are accepted`,
      );
    }
    const response = await this.client.request(
      {
        method: 'GET',
        url: this.url(`${manifest ? 'manifests' : 'blobs'}/${descriptor.digest}`),
        headers: manifest ? { accept: MANIFEST_ACCEPT } : {},
      },
      this.pullScope,
    );
    if (!response.ok || !response.body) throw await this.failure(response, what);
    const length = Number(response.headers.get('content-length') ?? NaN);
    if (Number.isFinite(length) && length !== descriptor.size) {
      await response.body.cancel();
      throw new OciError(
        'SIZE_MISMATCH',
        `${what}: expected ${descriptor.size} bytes, the registry announces ${length}`,
      );
    }
    return verifyingStream(response.body as ReadableStream<Uint8Array>, {
      digest: descriptor.digest,
      size: descriptor.size,
      ...(manifest ? { maxSize: MAX_MANIFEST_BYTES } : {}),
      what,
    });
  }

  async exists(descriptor: Descriptor): Promise<boolean> {
    const manifest = isManifestMediaType(descriptor.mediaType);
    const response = await this.client.request(
      {
        method: 'HEAD',
        url: this.url(`${manifest ? 'manifests' : 'blobs'}/${descriptor.digest}`),
        headers: manifest ? { accept: MANIFEST_ACCEPT } : {},
      },
      this.pullScope,
    );
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw await this.failure(response, `HEAD ${descriptor.digest}`);
    return true;
  }

  async push(descriptor: Descriptor, content: ReadableStream<Uint8Array>): Promise<void> {
    if (isManifestMediaType(descriptor.mediaType)) {
      const bytes = await readVerified(content, {
        digest: descriptor.digest,
        size: descriptor.size,
        maxSize: MAX_MANIFEST_BYTES,
        what: `manifest ${descriptor.digest} for ${this.description}`,
      });
      await this.putManifest(descriptor, bytes, descriptor.digest);
      return;
    }
    if (await this.exists(descriptor)) {
      await content.cancel();
      return;
    }
    await this.uploadBlob(descriptor, content);
  }

  private async putManifest(descriptor: Descriptor, bytes: Uint8Array, reference: string): Promise<void> {
    const response = await this.client.request(
      {
        method: 'PUT',
        url: this.url(`manifests/${reference}`),
        headers: { 'content-type': descriptor.mediaType },
        body: bytes,
      },
      this.pushScope,
    );
    // The body of a failure carries the registry's error code: read it before discarding the body.
    if (response.status !== 201 && !response.ok) {
      throw await this.failure(response, `push manifest ${descriptor.digest} as ${reference}`);
    }
    await response.body?.cancel().catch(() => {});
    const echoed = response.headers.get('docker-content-digest');
    if (echoed && echoed !== descriptor.digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `${this.description} stored manifest as ${echoed}, expected ${descriptor.digest}`,
      );
    }
    this.pushedManifests.set(descriptor.digest, bytes);
    const referrer = referrerDescriptor(descriptor, bytes);
    if (!referrer) return;
    if (response.headers.get('oci-subject')) {
      this.referrersSupported = true;
      return;
    }
    // No OCI-Subject: the registry does not index referrers, keep the tag-schema index up to date.
    const subject = parseManifest(bytes, descriptor.mediaType).value.subject!;
    await addToFallbackIndex(this, subject.digest, referrer);
  }

  /** Blobs up to chunkSize in one PUT, larger ones in PATCHes of chunkSize; digest checked as it streams. */
  private async uploadBlob(descriptor: Descriptor, content: ReadableStream<Uint8Array>): Promise<void> {
    const what = `upload of blob ${descriptor.digest} to ${this.description}`;
    const verifier = new DigestVerifier({ digest: descriptor.digest, size: descriptor.size, what });
    let location = await this.startUpload(what);
    const chunkSize = this.client.chunkSize;
    let offset = 0;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      const body = Buffer.concat(pending, pendingBytes);
      const response = await this.client.request(
        {
          method: 'PATCH',
          url: location,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + body.byteLength - 1}`,
          },
          body,
        },
        this.pushScope,
      );
      if (response.status !== 202) throw await this.failure(response, what);
      await response.body?.cancel().catch(() => {});
      location = this.uploadLocation(response, location);
      offset += body.byteLength;
      pending = [];
      pendingBytes = 0;
    };
    try {
      for await (const chunk of content) {
        verifier.update(chunk);
        // Small blobs never flush here and go monolithically with the final PUT. Larger ones are cut
        // at chunkSize boundaries whatever size the stream's pieces have (one piece may be the whole blob).
        for (let at = 0; at < chunk.byteLength;) {
          const take =
            descriptor.size > chunkSize
              ? Math.min(chunkSize - pendingBytes, chunk.byteLength - at)
              : chunk.byteLength;
          pending.push(chunk.subarray(at, at + take));
          pendingBytes += take;
          at += take;
          if (pendingBytes >= chunkSize && descriptor.size > chunkSize) await flush();
        }
      }
      verifier.finish();
    } catch (err) {
      await this.cancelUpload(location);
      throw err;
    }
    const url = new URL(location);
    url.searchParams.set('digest', descriptor.digest);
    const body = Buffer.concat(pending, pendingBytes);
    const response = await this.client.request(
      {
        method: 'PUT',
        url: url.toString(),
        headers: { 'content-type': 'application/octet-stream' },
        body,
      },
      this.pushScope,
    );
    if (response.status !== 201 && !response.ok) throw await this.failure(response, what);
    await response.body?.cancel().catch(() => {});
  }

  private async startUpload(what: string, query = ''): Promise<string> {
    const response = await this.client.request(
      { method: 'POST', url: this.url(`blobs/uploads/${query}`), headers: { 'content-length': '0' } },
      this.pushScope,
    );
    if (response.status !== 202) throw await this.failure(response, what);
    await response.body?.cancel().catch(() => {});
    return this.uploadLocation(response, this.url('blobs/uploads/'));
  }

  private uploadLocation(response: HttpResponse, current: string): string {
    const location = response.headers.get('location');
    if (!location)
      throw new OciError('REGISTRY_ERROR', `${this.description}: upload response without Location`);
    return new URL(location, current).toString();
  }

  private async cancelUpload(location: string): Promise<void> {
    try {
      const response = await this.client.request({ method: 'DELETE', url: location }, this.pushScope);
      await response.body?.cancel();
    } catch {
      // best effort: the registry expires abandoned uploads
    }
  }

  /**
   * Cross-repository mount: the registry links a blob it holds in `from` without a transfer.
   * Returns false when it did not (then nothing was changed).
   */
  async mount(descriptor: Descriptor, from: string): Promise<boolean> {
    const query = `?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(from)}`;
    const response = await this.client.request(
      { method: 'POST', url: this.url(`blobs/uploads/${query}`), headers: { 'content-length': '0' } },
      [...this.pushScope, `repository:${from}:pull`],
    );
    await response.body?.cancel().catch(() => {});
    if (response.status === 201) return true;
    if (response.status === 202)
      await this.cancelUpload(this.uploadLocation(response, this.url('blobs/uploads/')));
    return false;
  }

  async tag(descriptor: Descriptor, tag: string): Promise<void> {
    let bytes = this.pushedManifests.get(descriptor.digest);
    if (!bytes) {
      bytes = await readVerified(await this.fetch(descriptor), {
        digest: descriptor.digest,
        size: descriptor.size,
        maxSize: MAX_MANIFEST_BYTES,
      });
    }
    await this.putManifest(descriptor, bytes, tag);
  }

  async tags(): Promise<string[]> {
    const all: string[] = [];
    let next: string | undefined = this.url('tags/list?n=1000');
    const seen = new Set<string>();
    while (next) {
      const response = await this.client.request({ method: 'GET', url: next }, this.pullScope);
      if (!response.ok) throw await this.failure(response, 'list tags');
      const body = (await response.json()) as { tags?: string[] | null };
      all.push(...(body.tags ?? []));
      next = nextLink(response, next, seen);
    }
    return all;
  }

  async referrersApi(subject: Digest, artifactType?: string): Promise<Descriptor[] | undefined> {
    if (this.referrersSupported === false) return undefined;
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const found: Descriptor[] = [];
    let next: string | undefined = this.url(`referrers/${subject}${query}`);
    const seen = new Set<string>();
    while (next) {
      const response = await this.client.request(
        { method: 'GET', url: next, headers: { accept: 'application/vnd.oci.image.index.v1+json' } },
        this.pullScope,
      );
      const type = response.headers.get('content-type') ?? '';
      if (response.status === 404 && !type.includes('application/vnd.oci.image.index.v1+json')) {
        // A plain 404 means the API is not there; a registry that has it answers with an index.
        await response.body?.cancel();
        this.referrersSupported = false;
        return undefined;
      }
      if (!response.ok) throw await this.failure(response, `referrers of ${subject}`);
      const bytes = await readBounded(response, MAX_MANIFEST_BYTES, `referrers of ${subject}`);
      const parsed = parseManifest(
        bytes,
        'application/vnd.oci.image.index.v1+json',
        `referrers of ${subject}`,
      );
      if (parsed.kind !== 'index')
        throw new OciError('MANIFEST_INVALID', `referrers of ${subject}: not an index`);
      found.push(...parsed.value.manifests);
      next = nextLink(response, next, seen);
    }
    this.referrersSupported = true;
    return found;
  }

  /** Deletes a manifest by digest (registries refuse deleting by tag). */
  async deleteManifest(descriptor: Descriptor): Promise<void> {
    const response = await this.client.request(
      { method: 'DELETE', url: this.url(`manifests/${descriptor.digest}`) },
      [`repository:${this.name}:delete`],
    );
    if (response.status !== 202 && !response.ok)
      throw await this.failure(response, `delete ${descriptor.digest}`);
    await response.body?.cancel().catch(() => {});
  }
}

/** Reads a response body, refusing more than `limit` bytes without buffering them. */
async function readBounded(response: HttpResponse, limit: number, what: string): Promise<Uint8Array> {
  const length = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > limit) {
    await response.body?.cancel();
    throw new OciError('MANIFEST_TOO_LARGE', `${what}: ${length} bytes; at most ${limit} are accepted`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    for await (const chunk of response.body as ReadableStream<Uint8Array>) {
      total += chunk.byteLength;
      if (total > limit) {
        throw new OciError(
          'MANIFEST_TOO_LARGE',
          `${what}: more than ${limit} bytes; at most ${limit} are accepted`,
        );
      }
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, total);
}

const MAX_PAGES = 1000;

/**
 * RFC 5988 `Link: </v2/…?last=x>; rel="next"` as registries paginate. A link back to a page
 * already read, or more than MAX_PAGES pages, ends the listing: a server cannot keep us looping.
 */
function nextLink(response: HttpResponse, current: string, seen: Set<string>): string | undefined {
  const link = response.headers.get('link');
  const match = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link) : null;
  if (!match) return undefined;
  const next = new URL(match[1]!, current).toString();
  seen.add(current);
  if (seen.has(next) || seen.size >= MAX_PAGES) return undefined;
  return next;
}
