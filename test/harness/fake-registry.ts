/**
 * An in-process fake OCI registry for unit tests, exposed as a `fetch`-compatible function: pass
 * `registry.fetch` as `fetch` in RegistryOptions / HttpClientOptions / WtoolsOptions. It serves
 * in-memory repositories per the distribution API (manifests, blobs, uploads, tags, referrers), an
 * optional token server and an optional blob-storage origin behind redirects.
 *
 * Anything it was not built to expect (an unknown origin or route, a manifest request whose Accept
 * is missing or contains a wildcard) is recorded in `unexpected`, answered by a thrown error, and
 * fails the test when it finishes (`fakeRegistry()` registers that check).
 */
import { createHash, randomBytes } from 'node:crypto';
import { onTestFinished } from 'vitest';
import { type Digest, isDigest, sha256 } from '../../lib/core/index.js';
import { type Descriptor, MANIFEST_MEDIA_TYPES, MediaType, encodeJson } from '../../lib/oci/index.js';

export interface RecordedRequest {
  method: string;
  url: string;
  origin: string;
  path: string;
  query: URLSearchParams;
  /** Lowercased names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface RequestMatch {
  method?: string;
  /** Matched against the URL path (a string must equal it; a RegExp is tested against it). */
  path?: string | RegExp;
  origin?: string;
}

export interface FakeRegistryOptions {
  /** The registry name as references spell it; a non-loopback name is served over https. */
  host?: string;
  /** Answer GET /v2/<name>/referrers/<digest> (and send OCI-Subject); otherwise a plain 404. */
  referrersApi?: boolean;
  /** Honour cross-repository mount requests (default true); false answers 202 with a session. */
  mount?: boolean;
  /** At most this many tags per tags/list page (then a Link header points to the next). */
  tagPageSize?: number;
}

export interface StoredManifest {
  /** Served as Content-Type. */
  mediaType: string;
  bytes: Uint8Array;
}

interface Repository {
  blobs: Map<string, Uint8Array>;
  manifests: Map<string, StoredManifest>;
  tags: Map<string, string>;
}

interface Upload {
  repository: string;
  chunks: Uint8Array[];
  size: number;
}

type Override =
  | { kind: 'status'; match: RequestMatch; times: number; status: number; headers: Record<string, string> }
  | { kind: 'transport'; match: RequestMatch; times: number; code: string }
  | { kind: 'hang'; match: RequestMatch; times: number };

export interface BearerAuth {
  scheme: 'bearer';
  /** Token endpoint; defaults to https://auth.test/token. */
  realm?: string;
  service?: string;
  /** username → password the token server accepts. */
  users?: Record<string, string>;
  /** Hand out pull-only tokens without credentials. */
  anonymousPull?: boolean;
}

export interface BasicAuth {
  scheme: 'basic';
  users: Record<string, string>;
}

export interface TokenRequest {
  scopes: string[];
  service: string | null;
  /** Username of the Basic credentials sent, if any. */
  user: string | undefined;
}

const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json';
const BLOB_STORE_PATH = '/_blobstore/';

/** A fake registry that fails the current test if it saw a request it did not expect. */
export function fakeRegistry(options: FakeRegistryOptions = {}): FakeRegistry {
  const registry = new FakeRegistry(options);
  onTestFinished(() => registry.verify());
  return registry;
}

export class FakeRegistry {
  readonly host: string;
  readonly origin: string;
  readonly requests: RecordedRequest[] = [];
  readonly unexpected: string[] = [];
  /** Requests the token server received. */
  readonly tokenRequests: TokenRequest[] = [];
  /** The Authorization header (or null) of every request that reached the blob-storage origin. */
  readonly redirectedAuthorization: (string | null)[] = [];
  /** Upload sessions cancelled with DELETE. */
  readonly cancelledUploads: string[] = [];
  readonly fetch: typeof globalThis.fetch;

  private readonly repositories = new Map<string, Repository>();
  private readonly uploads = new Map<string, Upload>();
  private readonly overrides: Override[] = [];
  private readonly stripped: { match: RequestMatch; names: string[] }[] = [];
  private readonly tampered = new Set<string>();
  private readonly truncated = new Map<string, number>();
  private readonly tokens = new Map<string, string[]>();
  private auth: BearerAuth | BasicAuth | undefined;
  private blobOrigin: string | undefined;
  private uploadCounter = 0;

  constructor(private readonly options: FakeRegistryOptions = {}) {
    this.host = options.host ?? 'registry.test';
    const loopback = /^(localhost|127\.[0-9.]+|\[::1\])(:\d+)?$/.test(this.host);
    this.origin = `${loopback ? 'http' : 'https'}://${this.host}`;
    this.fetch = (async (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      this.handle(input, init)) as typeof globalThis.fetch;
  }

  /** Throws when any unexpected request was seen. */
  verify(): void {
    if (this.unexpected.length > 0) {
      throw new Error(`fake registry saw unexpected requests:\n  ${this.unexpected.join('\n  ')}`);
    }
  }

  // ---------------------------------------------------------------- seeding and inspection

  private repo(name: string): Repository {
    let repo = this.repositories.get(name);
    if (!repo) {
      repo = { blobs: new Map(), manifests: new Map(), tags: new Map() };
      this.repositories.set(name, repo);
    }
    return repo;
  }

  addBlob(repository: string, data: Uint8Array | string, mediaType = 'application/octet-stream'): Descriptor {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const digest = sha256(bytes);
    this.repo(repository).blobs.set(digest, bytes);
    return { mediaType, digest, size: bytes.byteLength };
  }

  /**
   * Stores a manifest (object or raw bytes). Its descriptor's media type (and the Content-Type it
   * is served with, unless `contentType` says otherwise) is `mediaType`, else the body's own.
   */
  addManifest(
    repository: string,
    value: object | Uint8Array,
    options: { tag?: string; mediaType?: string; contentType?: string } = {},
  ): Descriptor {
    const bytes = value instanceof Uint8Array ? value : encodeJson(value);
    const own = value instanceof Uint8Array ? undefined : (value as { mediaType?: unknown }).mediaType;
    const mediaType = options.mediaType ?? (typeof own === 'string' ? own : MediaType.ociManifest);
    const digest = sha256(bytes);
    const repo = this.repo(repository);
    repo.manifests.set(digest, { mediaType: options.contentType ?? mediaType, bytes });
    if (options.tag !== undefined) repo.tags.set(options.tag, digest);
    return { mediaType, digest, size: bytes.byteLength };
  }

  /** An image manifest over the given config and layers, all stored in `repository`. */
  addImage(
    repository: string,
    image: {
      tag?: string;
      config?: { mediaType: string; data: Uint8Array | string };
      layers: { mediaType: string; data: Uint8Array | string }[];
      artifactType?: string;
      annotations?: Record<string, string>;
      subject?: Descriptor;
    },
  ): { manifest: Descriptor; config: Descriptor; layers: Descriptor[] } {
    const configInput = image.config ?? { mediaType: MediaType.wasmConfig, data: '{}' };
    const config = this.addBlob(repository, configInput.data, configInput.mediaType);
    const layers = image.layers.map((l) => this.addBlob(repository, l.data, l.mediaType));
    const manifest = this.addManifest(
      repository,
      {
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        ...(image.artifactType ? { artifactType: image.artifactType } : {}),
        config,
        layers,
        ...(image.subject ? { subject: image.subject } : {}),
        ...(image.annotations ? { annotations: image.annotations } : {}),
      },
      image.tag !== undefined ? { tag: image.tag } : {},
    );
    return { manifest, config, layers };
  }

  blob(repository: string, digest: string): Uint8Array | undefined {
    return this.repositories.get(repository)?.blobs.get(digest);
  }

  manifest(repository: string, reference: string): StoredManifest | undefined {
    const repo = this.repositories.get(repository);
    const digest = repo?.tags.get(reference) ?? reference;
    return repo?.manifests.get(digest);
  }

  tagsOf(repository: string): string[] {
    return [...(this.repositories.get(repository)?.tags.keys() ?? [])].sort();
  }

  /** Requests matching, in order. */
  matching(match: RequestMatch): RecordedRequest[] {
    return this.requests.filter((r) => matches(match, r));
  }

  // ---------------------------------------------------------------- hooks

  /** The next `times` requests matching answer `status` (with headers) instead of being served. */
  failNext(
    match: RequestMatch,
    status: number,
    options: { times?: number; headers?: Record<string, string> } = {},
  ) {
    this.overrides.push({
      kind: 'status',
      match,
      times: options.times ?? 1,
      status,
      headers: options.headers ?? {},
    });
  }

  /** The next `times` matching requests fail in transport, as undici reports it (`cause.code`). */
  failTransport(match: RequestMatch, code: string, times = 1): void {
    this.overrides.push({ kind: 'transport', match, times, code });
  }

  /** The next `times` matching requests never answer (until the caller aborts them). */
  hang(match: RequestMatch, times = 1): void {
    this.overrides.push({ kind: 'hang', match, times });
  }

  /** Serves this content with one byte flipped (same size). */
  tamper(digest: string): void {
    this.tampered.add(digest);
  }

  /** Serves only the first `keep` bytes while announcing the full Content-Length. */
  truncate(digest: string, keep: number): void {
    this.truncated.set(digest, keep);
  }

  /** Leaves these response headers out of matching responses. */
  stripHeaders(match: RequestMatch, names: string[]): void {
    this.stripped.push({ match, names: names.map((n) => n.toLowerCase()) });
  }

  /** Protects the registry with a Bearer (token server) or Basic challenge. */
  requireAuth(auth: BearerAuth | BasicAuth): void {
    this.auth = auth;
  }

  /** GET of blobs answers 307 to `origin`, which serves the blob and records the Authorization it got. */
  redirectBlobs(origin = 'https://blobs.test'): void {
    this.blobOrigin = origin;
  }

  get tokenRealm(): string | undefined {
    return this.auth?.scheme === 'bearer' ? (this.auth.realm ?? 'https://auth.test/token') : undefined;
  }

  // ---------------------------------------------------------------- dispatch

  private async handle(input: string | URL | Request, init: RequestInit | undefined): Promise<Response> {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const body = init?.body;
    if (body !== undefined && body !== null && !(body instanceof Uint8Array)) {
      throw this.fail(`request body of ${url.href} is not a Uint8Array`);
    }
    const request: RecordedRequest = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url: url.href,
      origin: url.origin,
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: body ? new Uint8Array(body) : new Uint8Array(0),
    };
    this.requests.push(request);

    const override = this.overrides.find((o) => o.times > 0 && matches(o.match, request));
    if (override) {
      override.times -= 1;
      if (override.kind === 'hang') {
        const signal = init?.signal;
        return new Promise<Response>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      }
      if (override.kind === 'transport') {
        throw Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error(`connect ${override.code} ${url.host}`), { code: override.code }),
        });
      }
      return this.finish(request, errorReply(override.status, 'INJECTED', 'injected', override.headers));
    }

    if (url.origin === this.blobOrigin && url.pathname.startsWith(BLOB_STORE_PATH)) {
      return this.serveBlobStorage(request);
    }
    if (url.origin === this.origin) return this.finish(request, this.serveRegistry(request));
    const realm = this.tokenRealm;
    if (realm !== undefined && url.origin === new URL(realm).origin) return this.serveToken(request);
    throw this.fail(`${request.method} ${url.href}: no such origin`);
  }

  private fail(message: string): Error {
    this.unexpected.push(message);
    return new Error(`fake registry: unexpected ${message}`);
  }

  private finish(request: RecordedRequest, response: Response): Response {
    const names = this.stripped.filter((s) => matches(s.match, request)).flatMap((s) => s.names);
    if (names.length === 0) return response;
    const headers = new Headers(response.headers);
    for (const name of names) headers.delete(name);
    return new Response(response.body, { status: response.status, headers });
  }

  private serveRegistry(request: RecordedRequest): Response {
    const { method, path } = request;
    if (path === '/v2/' || path === '/v2') {
      const denied = this.checkAuth(request, undefined);
      if (denied) return denied;
      if (method === 'GET' || method === 'HEAD') return reply(200, method === 'HEAD' ? undefined : '{}');
      throw this.fail(`${method} ${path}`);
    }
    const upload = /^\/v2\/(.+?)\/blobs\/uploads\/(.*)$/.exec(path);
    const content = /^\/v2\/(.+?)\/(manifests|blobs|referrers)\/([^/]+)$/.exec(path);
    const tags = /^\/v2\/(.+?)\/tags\/list$/.exec(path);
    const name = upload?.[1] ?? content?.[1] ?? tags?.[1];
    if (name === undefined) throw this.fail(`${method} ${path}: not a distribution API route`);
    const denied = this.checkAuth(request, name);
    if (denied) return denied;
    if (upload) return this.serveUpload(request, name, upload[2] ?? '');
    if (tags) {
      if (method !== 'GET') throw this.fail(`${method} ${path}`);
      return this.serveTags(request, name);
    }
    const kind = content?.[2];
    const reference = decodeURIComponent(content?.[3] ?? '');
    if (kind === 'manifests') return this.serveManifest(request, name, reference);
    if (kind === 'blobs') return this.serveBlob(request, name, reference);
    if (method !== 'GET') throw this.fail(`${method} ${path}`);
    return this.serveReferrers(request, name, reference);
  }

  // ---------------------------------------------------------------- auth

  private checkAuth(request: RecordedRequest, repository: string | undefined): Response | undefined {
    const auth = this.auth;
    if (!auth) return undefined;
    const header = request.headers.authorization ?? '';
    const read = request.method === 'GET' || request.method === 'HEAD';
    const actions = read ? ['pull'] : request.method === 'DELETE' ? ['delete'] : ['pull', 'push'];
    if (auth.scheme === 'basic') {
      const [user, password] = decodeBasic(header) ?? [];
      if (user !== undefined && auth.users[user] === password) return undefined;
      return errorReply(401, 'UNAUTHORIZED', 'authentication required', {
        'www-authenticate': `Basic realm="${this.host}"`,
      });
    }
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    const granted = token === undefined ? undefined : this.tokens.get(token);
    if (granted) {
      if (repository === undefined) return undefined;
      const allowed = new Set(
        granted
          .filter((s) => s.startsWith(`repository:${repository}:`))
          .flatMap((s) => s.slice(s.lastIndexOf(':') + 1).split(',')),
      );
      if (actions.every((a) => allowed.has(a))) return undefined;
    }
    const scope = repository === undefined ? '' : `,scope="repository:${repository}:${actions.join(',')}"`;
    return errorReply(401, 'UNAUTHORIZED', 'authentication required', {
      'www-authenticate': `Bearer realm="${this.tokenRealm}",service="${auth.service ?? this.host}"${scope}`,
    });
  }

  private serveToken(request: RecordedRequest): Response {
    const auth = this.auth;
    if (
      auth?.scheme !== 'bearer' ||
      request.method !== 'GET' ||
      request.path !== new URL(this.tokenRealm!).pathname
    ) {
      throw this.fail(`${request.method} ${request.url}: not the token endpoint`);
    }
    const [user, password] = decodeBasic(request.headers.authorization ?? '') ?? [];
    const scopes = request.query.getAll('scope');
    this.tokenRequests.push({ scopes, service: request.query.get('service'), user });
    let granted: string[];
    if (user !== undefined) {
      if (auth.users?.[user] !== password) return reply(401, '{"details":"invalid credentials"}');
      granted = scopes;
    } else if (auth.anonymousPull) {
      granted = scopes.map((s) => `${s.slice(0, s.lastIndexOf(':'))}:pull`);
    } else {
      return reply(401, '{"details":"credentials required"}');
    }
    const token = `tok-${randomBytes(6).toString('hex')}`;
    this.tokens.set(token, granted);
    return reply(200, JSON.stringify({ token, expires_in: 300 }), { 'content-type': 'application/json' });
  }

  private serveBlobStorage(request: RecordedRequest): Response {
    this.redirectedAuthorization.push(request.headers.authorization ?? null);
    const match = /^\/_blobstore\/([^/]+)\/(sha256:[a-f0-9]{64})$/.exec(request.path);
    const bytes = match
      ? this.repositories.get(decodeURIComponent(match[1]!))?.blobs.get(match[2]!)
      : undefined;
    if (request.method !== 'GET' || !match)
      throw this.fail(`${request.method} ${request.url}: not a stored blob`);
    if (!bytes) return reply(404, 'no such object');
    return this.contentReply(request, match[2]!, bytes, 'application/octet-stream');
  }

  // ---------------------------------------------------------------- content

  private served(digest: string, bytes: Uint8Array): Uint8Array {
    let out = bytes;
    if (this.tampered.has(digest)) {
      out = new Uint8Array(bytes);
      const at = Math.floor(out.byteLength / 2);
      out[at] = (out[at] ?? 0) ^ 0xff;
    }
    const keep = this.truncated.get(digest);
    if (keep !== undefined) out = out.subarray(0, keep);
    return out;
  }

  private contentReply(
    request: RecordedRequest,
    digest: string,
    bytes: Uint8Array,
    contentType: string,
  ): Response {
    const headers = {
      'content-type': contentType,
      'content-length': String(bytes.byteLength),
      'docker-content-digest': digest,
    };
    if (request.method === 'HEAD') return reply(200, undefined, headers);
    return reply(200, this.served(digest, bytes), headers);
  }

  private serveManifest(request: RecordedRequest, name: string, reference: string): Response {
    const repo = this.repositories.get(name);
    if (request.method === 'PUT') return this.putManifest(request, name, reference);
    if (request.method === 'DELETE') {
      if (!isDigest(reference)) return errorReply(400, 'UNSUPPORTED', 'delete by digest');
      if (!repo?.manifests.delete(reference)) return errorReply(404, 'MANIFEST_UNKNOWN', 'unknown');
      for (const [tag, digest] of repo.tags) if (digest === reference) repo.tags.delete(tag);
      return reply(202);
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw this.fail(`${request.method} ${request.path}`);
    const accept = request.headers.accept;
    if (accept === undefined || accept.includes('*/*')) {
      throw this.fail(`${request.method} ${request.path}: manifest request with Accept "${accept ?? ''}"`);
    }
    const digest = repo?.tags.get(reference) ?? reference;
    const stored = repo?.manifests.get(digest);
    if (!stored) return errorReply(404, 'MANIFEST_UNKNOWN', `manifest unknown: ${reference}`);
    // As distribution does: a known manifest type the client did not accept is not found.
    const known = MANIFEST_MEDIA_TYPES.includes(stored.mediaType);
    if (known && !accept.split(',').some((a) => a.split(';')[0]!.trim() === stored.mediaType)) {
      return errorReply(404, 'MANIFEST_UNKNOWN', `not acceptable: ${stored.mediaType}`);
    }
    return this.contentReply(request, digest, stored.bytes, stored.mediaType);
  }

  private putManifest(request: RecordedRequest, name: string, reference: string): Response {
    const bytes = request.body;
    const digest = sha256(bytes);
    if (isDigest(reference) && reference !== digest) {
      return errorReply(400, 'DIGEST_INVALID', `body digests to ${digest}`);
    }
    const mediaType = request.headers['content-type'] ?? '';
    let parsed: {
      config?: Descriptor;
      layers?: Descriptor[];
      manifests?: Descriptor[];
      subject?: Descriptor;
    };
    try {
      parsed = JSON.parse(new TextDecoder().decode(bytes)) as typeof parsed;
    } catch {
      return errorReply(400, 'MANIFEST_INVALID', 'not JSON');
    }
    const repo = this.repo(name);
    const missingBlob = [parsed.config, ...(parsed.layers ?? [])].find(
      (d) => d !== undefined && !repo.blobs.has(d.digest),
    );
    const missingManifest = (parsed.manifests ?? []).find((d) => !repo.manifests.has(d.digest));
    const missing = missingBlob ?? missingManifest;
    if (missing) return errorReply(400, 'MANIFEST_BLOB_UNKNOWN', `unknown ${missing.digest}`);
    repo.manifests.set(digest, { mediaType, bytes });
    if (!isDigest(reference)) repo.tags.set(reference, digest);
    return reply(201, undefined, {
      location: `/v2/${name}/manifests/${digest}`,
      'docker-content-digest': digest,
      ...(this.options.referrersApi && parsed.subject ? { 'oci-subject': parsed.subject.digest } : {}),
    });
  }

  private serveBlob(request: RecordedRequest, name: string, digest: string): Response {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      throw this.fail(`${request.method} ${request.path}`);
    const bytes = this.repositories.get(name)?.blobs.get(digest);
    if (!bytes) {
      return request.method === 'HEAD'
        ? reply(404)
        : errorReply(404, 'BLOB_UNKNOWN', `blob unknown: ${digest}`);
    }
    if (request.method === 'GET' && this.blobOrigin !== undefined) {
      return reply(307, undefined, {
        location: `${this.blobOrigin}${BLOB_STORE_PATH}${encodeURIComponent(name)}/${digest}?signature=abc`,
      });
    }
    return this.contentReply(request, digest, bytes, 'application/octet-stream');
  }

  private serveReferrers(request: RecordedRequest, name: string, subject: string): Response {
    if (!this.options.referrersApi)
      return reply(404, '404 page not found\n', { 'content-type': 'text/plain' });
    const artifactType = request.query.get('artifactType');
    const manifests: Descriptor[] = [];
    for (const [digest, stored] of this.repositories.get(name)?.manifests ?? []) {
      const value = JSON.parse(new TextDecoder().decode(stored.bytes)) as {
        subject?: Descriptor;
        artifactType?: string;
        config?: Descriptor;
        annotations?: Record<string, string>;
      };
      if (value.subject?.digest !== subject) continue;
      const type = value.artifactType ?? value.config?.mediaType;
      if (artifactType !== null && type !== artifactType) continue;
      manifests.push({
        mediaType: stored.mediaType,
        digest: digest as Digest,
        size: stored.bytes.byteLength,
        ...(type ? { artifactType: type } : {}),
        ...(value.annotations ? { annotations: value.annotations } : {}),
      });
    }
    return reply(200, JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPE, manifests }), {
      'content-type': INDEX_TYPE,
    });
  }

  private serveTags(request: RecordedRequest, name: string): Response {
    const all = this.tagsOf(name);
    const n = Math.min(Number(request.query.get('n') ?? all.length), this.options.tagPageSize ?? Infinity);
    const last = request.query.get('last');
    const start = last === null ? 0 : all.findIndex((t) => t > last);
    const page = start < 0 ? [] : all.slice(start, start + n);
    const more = start >= 0 && start + n < all.length;
    return reply(200, JSON.stringify({ name, tags: page }), {
      'content-type': 'application/json',
      ...(more ? { link: `</v2/${name}/tags/list?n=${n}&last=${page[page.length - 1]}>; rel="next"` } : {}),
    });
  }

  // ---------------------------------------------------------------- uploads

  private serveUpload(request: RecordedRequest, name: string, id: string): Response {
    const { method, query } = request;
    if (id === '') {
      if (method !== 'POST') throw this.fail(`${method} ${request.path}`);
      const mount = query.get('mount');
      const from = query.get('from');
      if (mount !== null && from !== null && this.options.mount !== false) {
        const bytes = this.repositories.get(from)?.blobs.get(mount);
        if (bytes) {
          this.repo(name).blobs.set(mount, bytes);
          return reply(201, undefined, {
            location: `/v2/${name}/blobs/${mount}`,
            'docker-content-digest': mount,
          });
        }
      }
      const session = `u${++this.uploadCounter}`;
      this.uploads.set(session, { repository: name, chunks: [], size: 0 });
      return reply(202, undefined, {
        location: `/v2/${name}/blobs/uploads/${session}?_state=s${this.uploadCounter}`,
        range: '0-0',
        'docker-upload-uuid': session,
      });
    }
    const upload = this.uploads.get(id);
    if (!upload || upload.repository !== name) return errorReply(404, 'BLOB_UPLOAD_UNKNOWN', id);
    if (method === 'DELETE') {
      this.uploads.delete(id);
      this.cancelledUploads.push(id);
      return reply(204);
    }
    if (method !== 'PATCH' && method !== 'PUT') throw this.fail(`${method} ${request.path}`);
    const range = request.headers['content-range'];
    if (range !== undefined) {
      const m = /^(\d+)-(\d+)$/.exec(range);
      if (!m || Number(m[1]) !== upload.size || Number(m[2]) !== upload.size + request.body.byteLength - 1) {
        return errorReply(416, 'BLOB_UPLOAD_INVALID', `bad range ${range} at ${upload.size}`, {
          range: `0-${upload.size - 1}`,
        });
      }
    } else if (method === 'PATCH') {
      throw this.fail(`PATCH ${request.path} without Content-Range`);
    }
    upload.chunks.push(request.body);
    upload.size += request.body.byteLength;
    const location = `/v2/${name}/blobs/uploads/${id}?_state=s${upload.size}`;
    if (method === 'PATCH') return reply(202, undefined, { location, range: `0-${upload.size - 1}` });
    const digest = query.get('digest');
    const hash = createHash('sha256');
    for (const chunk of upload.chunks) hash.update(chunk);
    const actual = `sha256:${hash.digest('hex')}`;
    if (digest !== actual) return errorReply(400, 'DIGEST_INVALID', `expected ${digest}, got ${actual}`);
    this.uploads.delete(id);
    this.repo(name).blobs.set(actual, new Uint8Array(Buffer.concat(upload.chunks)));
    return reply(201, undefined, {
      location: `/v2/${name}/blobs/${actual}`,
      'docker-content-digest': actual,
    });
  }
}

function matches(match: RequestMatch, request: RecordedRequest): boolean {
  if (match.method !== undefined && match.method !== request.method) return false;
  if (match.origin !== undefined && match.origin !== request.origin) return false;
  if (match.path === undefined) return true;
  return typeof match.path === 'string' ? match.path === request.path : match.path.test(request.path);
}

function reply(status: number, body?: Uint8Array | string, headers: Record<string, string> = {}): Response {
  return new Response(status === 204 || status === 304 ? null : (body ?? null), { status, headers });
}

/** A distribution-style error: `{"errors":[{"code","message"}]}` as JSON. */
function errorReply(status: number, code: string, message: string, headers: Record<string, string> = {}) {
  return reply(status, JSON.stringify({ errors: [{ code, message }] }), {
    'content-type': 'application/json',
    ...headers,
  });
}

function decodeBasic(header: string): [string, string] | undefined {
  const encoded = /^Basic (.+)$/.exec(header)?.[1];
  if (encoded === undefined) return undefined;
  const text = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : [text.slice(0, colon), text.slice(colon + 1)];
}
