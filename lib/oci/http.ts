import { OciError, createLogger, describeError } from '../core/index.js';
import { type HttpResponse, type Transport, nodeTransport } from './node-transport.js';

const log = createLogger('http');

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Bodies are whole buffers so that a retried request sends exactly the same bytes. */
  body?: Uint8Array;
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  /** A Retry-After longer than this is not waited for: the request fails instead. */
  maxDelayMs: number;
}

export interface HttpClientOptions {
  retry?: Partial<RetryPolicy>;
  /** Time allowed until response headers arrive. */
  timeoutMs?: number;
  /** Where requests go out; node:http(s) unless given. */
  transport?: Transport;
  /** A fetch-compatible function instead of a transport: how tests plug in an in-process fake. */
  fetch?: typeof globalThis.fetch;
  userAgent?: string;
  /** Hosts that may be spoken to over plain HTTP; loopback only unless given. */
  plainHttpAllowed?: (url: URL) => boolean;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 200, maxDelayMs: 10_000 };
const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
// Transient transport failures worth another try; a refused connection or unknown host is not.
const RETRY_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'EAI_AGAIN',
]);
const MAX_REDIRECTS = 5;

/**
 * The one place registry traffic leaves the process: retries with backoff (honouring Retry-After,
 * bounded), a header timeout, and redirects followed by hand so that credentials never travel to
 * another host (blob storage behind a 307, typically).
 */
export class HttpClient {
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly transport: Transport;
  private readonly userAgent: string;
  private readonly plainHttpAllowed: (url: URL) => boolean;

  constructor(options: HttpClientOptions = {}) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.transport =
      options.transport ?? (options.fetch ? fetchTransport(options.fetch) : nodeTransport(this.timeoutMs));
    this.userAgent = options.userAgent ?? 'wtools';
    this.plainHttpAllowed = options.plainHttpAllowed ?? ((url) => isLoopbackHost(url.hostname));
  }

  /** True when a URL is HTTPS, or plain HTTP to a host allowed to use it. */
  allowsUrl(url: URL): boolean {
    return url.protocol === 'https:' || (url.protocol === 'http:' && this.plainHttpAllowed(url));
  }

  private requireAllowed(url: URL, what: string): void {
    if (this.allowsUrl(url)) return;
    throw new OciError(
      'INSECURE_REGISTRY',
      `${what} ${url.origin} is plain HTTP; expected HTTPS (plain HTTP is for loopback hosts and --insecure-registry HOST)`,
    );
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    this.requireAllowed(new URL(request.url), 'request to');
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await this.sendFollowingRedirects(request);
      } catch (err) {
        const code = transportErrorCode(err);
        if (attempt < this.retry.attempts && code !== undefined && RETRY_ERRORS.has(code)) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw unreachable(request.url, err);
      }
      if (!RETRY_STATUS.has(response.status) || attempt >= this.retry.attempts) return response;
      const delay = retryAfterMs(response.headers.get('retry-after')) ?? this.backoff(attempt);
      if (delay > this.retry.maxDelayMs) return response;
      log.debug(`${request.method} ${request.url}: ${response.status}, retrying in ${delay} ms`);
      await response.body?.cancel();
      await sleep(delay);
    }
  }

  private backoff(attempt: number): number {
    const exponential = this.retry.baseDelayMs * 2 ** (attempt - 1);
    return Math.min(this.retry.maxDelayMs, Math.round(exponential * (0.75 + Math.random() * 0.5)));
  }

  private async sendFollowingRedirects(request: HttpRequest): Promise<HttpResponse> {
    let url = request.url;
    let headers = { 'user-agent': this.userAgent, ...request.headers };
    let method = request.method;
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const response = await this.sendOnce({ method, url, headers, ...(body ? { body } : {}) });
      const location = response.headers.get('location');
      if (![301, 302, 303, 307, 308].includes(response.status) || location === null) return response;
      // Upload endpoints answer 202/201 with Location; only true redirects are followed.
      if (hop >= MAX_REDIRECTS) {
        throw new OciError(
          'REGISTRY_ERROR',
          `${request.method} ${request.url}: more than ${MAX_REDIRECTS} redirects`,
        );
      }
      await response.body?.cancel();
      const next = new URL(location, url);
      this.requireAllowed(next, `redirect from ${new URL(url).host} to`);
      if (next.origin !== new URL(url).origin) {
        const { authorization: _dropped, ...rest } = headers as Record<string, string>;
        headers = rest as typeof headers;
      }
      if (response.status === 303) {
        method = 'GET';
        body = undefined;
      }
      url = next.toString();
    }
  }

  private async sendOnce(request: HttpRequest): Promise<HttpResponse> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new Error(`no response within ${this.timeoutMs} ms`)),
      this.timeoutMs,
    );
    try {
      return await this.transport(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        ...(request.body ? { body: request.body } : {}),
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) {
        throw new OciError(
          'TIMEOUT',
          `${request.method} ${request.url}: no response within ${this.timeoutMs} ms`,
          {
            cause: err,
          },
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Adapts a fetch function; redirects stay manual so that credentials never follow them. */
function fetchTransport(fetchFn: typeof globalThis.fetch): Transport {
  return (url, request) =>
    fetchFn(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
      redirect: 'manual',
      signal: request.signal,
    });
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(?:\.\d{1,3}){3}$/.test(h);
}

function transportErrorCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

function unreachable(url: string, err: unknown): OciError {
  if (err instanceof OciError) return err;
  const host = new URL(url).host;
  const code = transportErrorCode(err);
  const why = code ?? describeError(err);
  return new OciError(
    'REGISTRY_UNREACHABLE',
    `cannot reach registry ${host} (${why}); check the address and that the registry is running`,
    { cause: err, details: { host } },
  );
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfterMs(value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
