/**
 * wasi:http client side. The guest builds a request; `handle` checks its scheme, host and port against
 * the grants before anything touches the network, and a denied request becomes the guest-visible
 * error `HTTP-request-denied`, never a trap. Granted requests are performed by the host thread (see
 * runtime/http-fetch.ts), which never follows redirects: a guest that follows one makes a new request,
 * and that request is checked like the first.
 */
import { concatBytes } from '../../core/index.js';
import type { Capability } from '../../grants/index.js';
import { InputStream, IoError, OutputStream, Pollable } from './io.js';
import { fail } from './result.js';

export interface HttpRequestMessage {
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array | null;
  timeoutMs: number;
}

export type HttpResponseMessage =
  | { ok: true; status: number; headers: [string, string][]; body: Uint8Array }
  | { ok: false; error: { tag: string; val?: unknown }; message: string };

export interface HttpOptions {
  /** Whether the grants allow this origin; asks the human when the grants layer says so. */
  allows(want: Capability & { kind: 'http' }): boolean;
  /** Performs a granted request on the host thread, blocking this one. */
  perform(request: HttpRequestMessage): HttpResponseMessage;
  defaultTimeoutMs: number;
}

type Method = { tag: string; val?: string };
type Scheme = { tag: 'HTTP' | 'HTTPS' | 'other'; val?: string };

const FORBIDDEN_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
]);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

class Fields {
  #entries: [string, Uint8Array][] = [];
  #immutable = false;

  static fromList(entries: [string, Uint8Array][]): Fields {
    const fields = new Fields();
    for (const [name, value] of entries) fields.append(name, value);
    return fields;
  }

  static frozen(entries: [string, string][]): Fields {
    const fields = new Fields();
    fields.#entries = entries.map(([k, v]) => [k.toLowerCase(), encoder.encode(v)]);
    fields.#immutable = true;
    return fields;
  }

  #checkMutable(name: string): string {
    if (this.#immutable) fail({ tag: 'immutable' });
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) fail({ tag: 'invalid-syntax' });
    const lower = name.toLowerCase();
    if (FORBIDDEN_HEADERS.has(lower)) fail({ tag: 'forbidden' });
    return lower;
  }

  get(name: string): Uint8Array[] {
    const lower = name.toLowerCase();
    return this.#entries.filter(([k]) => k === lower).map(([, v]) => v);
  }
  has(name: string): boolean {
    return this.get(name).length > 0;
  }
  set(name: string, values: Uint8Array[]): void {
    const lower = this.#checkMutable(name);
    this.#entries = [
      ...this.#entries.filter(([k]) => k !== lower),
      ...values.map((v) => [lower, v] as [string, Uint8Array]),
    ];
  }
  delete(name: string): void {
    const lower = this.#checkMutable(name);
    this.#entries = this.#entries.filter(([k]) => k !== lower);
  }
  append(name: string, value: Uint8Array): void {
    this.#entries.push([this.#checkMutable(name), value]);
  }
  entries(): [string, Uint8Array][] {
    return this.#entries.map(([k, v]) => [k, v]);
  }
  clone(): Fields {
    const copy = new Fields();
    copy.#entries = this.entries();
    return copy;
  }
  freeze(): this {
    this.#immutable = true;
    return this;
  }
}

class OutgoingBody {
  readonly chunks: Uint8Array[] = [];
  finished = false;
  #streamTaken = false;
  write(): OutputStream {
    if (this.#streamTaken) fail(undefined);
    this.#streamTaken = true;
    return new OutputStream({
      write: (bytes) => {
        if (this.finished) throw new IoError('the body is finished');
        this.chunks.push(bytes.slice());
      },
    });
  }
  static finish(body: OutgoingBody): void {
    body.finished = true;
  }
}

class OutgoingRequest {
  #headers: Fields;
  #method: Method = { tag: 'get' };
  #path: string | undefined;
  #scheme: Scheme | undefined;
  #authority: string | undefined;
  #body: OutgoingBody | undefined;
  constructor(headers: Fields) {
    this.#headers = headers.freeze();
  }
  body(): OutgoingBody {
    if (this.#body) fail(undefined);
    this.#body = new OutgoingBody();
    return this.#body;
  }
  get outgoingBody(): OutgoingBody | undefined {
    return this.#body;
  }
  method(): Method {
    return this.#method;
  }
  setMethod(method: Method): void {
    if (method.tag === 'other' && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method.val ?? '')) fail(undefined);
    this.#method = method;
  }
  pathWithQuery(): string | undefined {
    return this.#path;
  }
  setPathWithQuery(value: string | undefined): void {
    this.#path = value;
  }
  scheme(): Scheme | undefined {
    return this.#scheme;
  }
  setScheme(value: Scheme | undefined): void {
    this.#scheme = value;
  }
  authority(): string | undefined {
    return this.#authority;
  }
  setAuthority(value: string | undefined): void {
    this.#authority = value;
  }
  headers(): Fields {
    return this.#headers;
  }
}

class RequestOptions {
  #connect: bigint | undefined;
  #firstByte: bigint | undefined;
  #between: bigint | undefined;
  connectTimeout(): bigint | undefined {
    return this.#connect;
  }
  setConnectTimeout(value: bigint | undefined): void {
    this.#connect = value;
  }
  firstByteTimeout(): bigint | undefined {
    return this.#firstByte;
  }
  setFirstByteTimeout(value: bigint | undefined): void {
    this.#firstByte = value;
  }
  betweenBytesTimeout(): bigint | undefined {
    return this.#between;
  }
  setBetweenBytesTimeout(value: bigint | undefined): void {
    this.#between = value;
  }
}

class FutureTrailers {
  #taken = false;
  subscribe(): Pollable {
    return new Pollable();
  }
  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'ok', val: undefined } };
  }
}

class IncomingBody {
  readonly #bytes: Uint8Array;
  #streamTaken = false;
  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
  }
  stream(): InputStream {
    if (this.#streamTaken) fail(undefined);
    this.#streamTaken = true;
    let offset = 0;
    return new InputStream({
      read: (max) => {
        const chunk = this.#bytes.subarray(offset, offset + max);
        offset += chunk.length;
        return chunk;
      },
    });
  }
  static finish(_body: IncomingBody): FutureTrailers {
    return new FutureTrailers();
  }
}

class IncomingResponse {
  readonly #status: number;
  readonly #headers: Fields;
  readonly #body: Uint8Array;
  #consumed = false;
  constructor(status: number, headers: [string, string][], body: Uint8Array) {
    this.#status = status;
    this.#headers = Fields.frozen(headers);
    this.#body = body;
  }
  status(): number {
    return this.#status;
  }
  headers(): Fields {
    return this.#headers;
  }
  consume(): IncomingBody {
    if (this.#consumed) fail(undefined);
    this.#consumed = true;
    return new IncomingBody(this.#body);
  }
}

class FutureIncomingResponse {
  readonly #run: () => HttpResponseMessage;
  #result: HttpResponseMessage | undefined;
  #taken = false;
  constructor(run: () => HttpResponseMessage) {
    this.#run = run;
  }
  subscribe(): Pollable {
    // The request runs when the guest first waits for it, by which time it has finished the body.
    return new Pollable(
      () => this.#result !== undefined,
      () => this.#settle(),
    );
  }
  #settle(): HttpResponseMessage {
    this.#result ??= this.#run();
    return this.#result;
  }
  get(): unknown {
    if (this.#taken) return { tag: 'err', val: undefined };
    const result = this.#settle();
    this.#taken = true;
    if (!result.ok) return { tag: 'ok', val: { tag: 'err', val: result.error } };
    return {
      tag: 'ok',
      val: { tag: 'ok', val: new IncomingResponse(result.status, result.headers, result.body) },
    };
  }
}

// Server-side types exist in the interface, and jco's glue looks up every method; a component run
// as a tool never receives a request, so none of them can be reached with a real value.
function serverSideOnly(): never {
  return fail(undefined);
}
class IncomingRequest {
  method(): never {
    return serverSideOnly();
  }
  pathWithQuery(): never {
    return serverSideOnly();
  }
  scheme(): never {
    return serverSideOnly();
  }
  authority(): never {
    return serverSideOnly();
  }
  headers(): never {
    return serverSideOnly();
  }
  consume(): never {
    return serverSideOnly();
  }
}
class OutgoingResponse {
  constructor(_headers: Fields) {
    serverSideOnly();
  }
  statusCode(): never {
    return serverSideOnly();
  }
  setStatusCode(): never {
    return serverSideOnly();
  }
  headers(): never {
    return serverSideOnly();
  }
  body(): never {
    return serverSideOnly();
  }
}
class ResponseOutparam {
  static set(): never {
    return serverSideOnly();
  }
}

function methodName(method: Method): string {
  return method.tag === 'other' ? (method.val ?? 'GET') : method.tag.toUpperCase();
}

/** host[:port] of an authority; IPv6 literals keep no brackets. */
function splitAuthority(authority: string): { host: string; port?: number } | undefined {
  if (authority.includes('@')) return undefined;
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(authority);
  if (!match) return undefined;
  const port = match[3] === undefined ? undefined : Number(match[3]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: (match[1] ?? match[2]!).toLowerCase(), ...(port === undefined ? {} : { port }) };
}

export function httpImports(options: HttpOptions): Record<string, Record<string, unknown>> {
  function handle(request: unknown, requestOptions: RequestOptions | undefined): FutureIncomingResponse {
    if (!(request instanceof OutgoingRequest))
      fail({ tag: 'internal-error', val: 'not an outgoing-request' });
    const scheme = request.scheme() ?? { tag: 'HTTPS' };
    if (scheme.tag === 'other') fail({ tag: 'HTTP-request-URI-invalid' });
    const schemeName = scheme.tag === 'HTTP' ? 'http' : 'https';
    const authority = splitAuthority(request.authority() ?? '');
    if (!authority) fail({ tag: 'HTTP-request-URI-invalid' });
    const port = authority.port ?? (schemeName === 'http' ? 80 : 443);
    if (!options.allows({ kind: 'http', scheme: schemeName, host: authority.host, port })) {
      fail({ tag: 'HTTP-request-denied' });
    }
    const pathWithQuery = request.pathWithQuery() ?? '/';
    const host = authority.host.includes(':') ? `[${authority.host}]` : authority.host;
    const url = `${schemeName}://${host}:${port}${pathWithQuery.startsWith('/') ? '' : '/'}${pathWithQuery}`;
    const timeoutNs = requestOptions?.firstByteTimeout() ?? requestOptions?.connectTimeout();
    return new FutureIncomingResponse(() => {
      const body = request.outgoingBody;
      const bytes = body && body.chunks.length > 0 ? concatBytes(body.chunks) : null;
      return options.perform({
        method: methodName(request.method()),
        url,
        headers: request
          .headers()
          .entries()
          .map(([k, v]) => [k, decoder.decode(v)]),
        body: bytes,
        timeoutMs: timeoutNs === undefined ? options.defaultTimeoutMs : Number(timeoutNs / 1_000_000n),
      });
    });
  }

  return {
    'wasi:http/types': {
      Fields,
      OutgoingRequest,
      OutgoingBody,
      RequestOptions,
      FutureIncomingResponse,
      IncomingResponse,
      IncomingBody,
      FutureTrailers,
      IncomingRequest,
      OutgoingResponse,
      ResponseOutparam,
      httpErrorCode: () => undefined,
    },
    'wasi:http/outgoing-handler': { handle },
  };
}
