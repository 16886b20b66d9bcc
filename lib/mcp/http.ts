/**
 * `wtools serve --http`: MCP Streamable HTTP at /mcp on a loopback address.
 *
 * Every request passes, in this order: the Host header (DNS rebinding), the Origin header when
 * present, the path, the bearer token; only then are sessions looked up or bodies read. Stateful
 * mode keeps one Server + transport per MCP session and expires idle ones (clients rarely DELETE);
 * stateless mode builds a Server + transport for every request.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import net from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { WtoolsError, createLogger, describeError } from '../core/index.js';
import type { ToolProvider } from './provider.js';
import { type ServerInfo, createMcpServer } from './server.js';

const log = createLogger('mcp-http');

export const MCP_PATH = '/mcp';
export const DEFAULT_IDLE_TIMEOUT_MS = 15 * 60_000;

export interface HttpOptions {
  /** A loopback address (default 127.0.0.1); anything else needs `allowNonLoopback`. */
  host?: string;
  /** 0 picks a free port; read it from the returned url. */
  port: number;
  /** The bearer token clients must send; undefined generates one; null turns auth off (loopback only). */
  token?: string | null;
  stateless?: boolean;
  /** A stateful session with no request for this long is closed (default 15 minutes). */
  idleTimeoutMs?: number;
  /** Origins allowed besides http(s) origins on localhost, 127.0.0.1 and [::1] (exact match, e.g. https://app.example). */
  allowedOrigins?: string[];
  /** Host header values allowed besides <listener host>, localhost, 127.0.0.1 and [::1] with the bound port. */
  allowedHosts?: string[];
  /** Listen on a non-loopback address (a token is then mandatory). */
  allowNonLoopback?: boolean;
  /** Closes the server when aborted (the caller maps SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
}

export interface HttpServerHandle {
  /** http://host:port/mcp */
  url: string;
  /** The bearer token clients must send, or null when auth is off. */
  token: string | null;
  /** Stops accepting, ends every session and resolves when the server has closed. */
  close(): Promise<void>;
}

interface Session {
  id: string | undefined;
  server: Server;
  transport: StreamableHTTPServerTransport;
  /** POST/DELETE requests in progress; the idle clock runs only while there are none. */
  active: number;
  timer: NodeJS.Timeout | undefined;
  ended: Promise<void> | undefined;
}

const LOCAL_NAMES = ['localhost', '127.0.0.1', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  return net.isIPv4(h) && h.startsWith('127.');
}

/** How a host appears in a URL or Host header: IPv6 addresses in brackets. */
function urlHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Constant-time comparison (the digests have equal length whatever the inputs). */
function tokenMatches(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

function isLocalOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    LOCAL_NAMES.includes(url.hostname) &&
    url.origin === origin.toLowerCase()
  );
}

function sendJsonError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
  code = -32000,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(body);
}

export async function serveHttp(
  provider: ToolProvider,
  info: ServerInfo,
  options: HttpOptions,
): Promise<HttpServerHandle> {
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  if (!loopback && !options.allowNonLoopback) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `expected a loopback host (127.0.0.1, ::1, localhost) to serve MCP over HTTP, found ${JSON.stringify(host)}; ` +
        'a non-loopback address needs allowNonLoopback',
    );
  }
  if (options.token === null && !loopback) {
    throw new WtoolsError(
      'INVALID_ARGUMENT',
      `expected a bearer token when serving on the non-loopback host ${JSON.stringify(host)}, found token: null`,
    );
  }
  if (typeof options.token === 'string' && options.token.length === 0) {
    throw new WtoolsError('INVALID_ARGUMENT', 'expected a non-empty bearer token, found ""');
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    throw new WtoolsError('INVALID_ARGUMENT', `expected a port from 0 to 65535, found ${options.port}`);
  }
  const token = options.token === undefined ? randomBytes(32).toString('base64url') : options.token;
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const stateless = options.stateless ?? false;
  const allowedOrigins = new Set(options.allowedOrigins ?? []);

  const sessions = new Map<string, Session>();
  /** Sessions not yet initialized, and stateless per-request pairs. */
  const pending = new Set<Session>();
  const endings = new Set<Promise<void>>();
  let closing: Promise<void> | undefined;
  let allowedHosts = new Set<string>();

  const endSession = (session: Session, why: string): Promise<void> => {
    if (session.ended) return session.ended;
    clearTimeout(session.timer);
    pending.delete(session);
    if (session.id !== undefined) {
      sessions.delete(session.id);
      log.debug(`session ${session.id} ends: ${why}`);
    }
    // Assigned before any of the work runs: closing the transport re-enters through its onclose.
    session.ended = Promise.resolve().then(async () => {
      await session.transport
        .close()
        .catch((err: unknown) => log.debug(`closing a transport: ${describeError(err)}`));
      await session.server
        .close()
        .catch((err: unknown) => log.debug(`closing a server: ${describeError(err)}`));
      if (session.id !== undefined && provider.endSession) {
        await provider
          .endSession(session.id)
          .catch((err: unknown) => log.warn(`ending session ${session.id}: ${describeError(err)}`));
      }
    });
    const ended = session.ended;
    endings.add(ended);
    void ended.finally(() => endings.delete(ended));
    return ended;
  };

  const armIdle = (session: Session) => {
    clearTimeout(session.timer);
    session.timer = undefined;
    if (session.active > 0 || session.ended) return;
    session.timer = setTimeout(() => void endSession(session, `idle for ${idleTimeoutMs} ms`), idleTimeoutMs);
    session.timer.unref();
  };

  const newSession = async (sessionful: boolean): Promise<Session> => {
    const transport = new StreamableHTTPServerTransport(
      sessionful
        ? {
            sessionIdGenerator: () => randomUUID(),
            onsessioninitialized: (id) => {
              session.id = id;
              pending.delete(session);
              sessions.set(id, session);
              log.debug(`session ${id} starts`);
            },
          }
        : { sessionIdGenerator: undefined },
    );
    const server = createMcpServer(provider, info, {
      toolsListChanged: sessionful,
      // A cancelled request gets no response: end its SSE stream instead of leaving it open.
      onCallCancelled: (requestId) => transport.closeSSEStream(requestId),
    });
    const session: Session = {
      id: undefined,
      server,
      transport,
      active: 0,
      timer: undefined,
      ended: undefined,
    };
    // Set before connect: the SDK chains it with its own handler.
    transport.onclose = () => void endSession(session, 'transport closed');
    transport.onerror = (err) => log.debug(`transport: ${describeError(err)}`);
    pending.add(session);
    await server.connect(transport);
    return session;
  };

  /** DNS rebinding protection: Host must name this listener, Origin (when sent) must be local or allowed. */
  const checkHostAndOrigin = (req: IncomingMessage): string | undefined => {
    const hostHeader = req.headers.host?.toLowerCase();
    if (hostHeader === undefined || !allowedHosts.has(hostHeader)) {
      return `Forbidden: Host header ${JSON.stringify(req.headers.host ?? null)} does not name this server`;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin) && !isLocalOrigin(origin)) {
      return `Forbidden: Origin ${JSON.stringify(origin)} is not allowed`;
    }
    return undefined;
  };

  const checkToken = (req: IncomingMessage): Record<string, string> | undefined => {
    if (token === null) return undefined;
    const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (match?.[1] !== undefined && tokenMatches(match[1], token)) return undefined;
    return {
      'WWW-Authenticate':
        match === null ? 'Bearer realm="wtools"' : 'Bearer realm="wtools", error="invalid_token"',
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const forbidden = checkHostAndOrigin(req);
    if (forbidden !== undefined) return sendJsonError(res, 403, forbidden);

    const origin = req.headers.origin;
    const cors: Record<string, string> =
      origin === undefined
        ? {}
        : {
            'Access-Control-Allow-Origin': origin,
            'Access-Control-Expose-Headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
            Vary: 'Origin',
          };
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);

    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname !== MCP_PATH) return sendJsonError(res, 404, `Not found: MCP is served at ${MCP_PATH}`);

    if (req.method === 'OPTIONS' && origin !== undefined) {
      // CORS preflight: browsers send it without credentials.
      res.writeHead(204, {
        'Access-Control-Allow-Methods': stateless ? 'POST' : 'GET, POST, DELETE',
        'Access-Control-Allow-Headers':
          'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }

    const unauthorized = checkToken(req);
    if (unauthorized !== undefined) {
      return sendJsonError(res, 401, 'Unauthorized: send Authorization: Bearer <token>', unauthorized);
    }
    if (closing) return sendJsonError(res, 503, 'Service unavailable: the server is closing');

    if (stateless) {
      if (req.method !== 'POST') {
        return sendJsonError(res, 405, 'Method not allowed: this server is stateless, POST only', {
          Allow: 'POST',
        });
      }
      const session = await newSession(false);
      res.on('close', () => void endSession(session, 'request done'));
      await session.transport.handleRequest(req, res);
      return;
    }

    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (sessionId === undefined) {
      if (req.method !== 'POST') {
        return sendJsonError(res, 400, 'Bad Request: Mcp-Session-Id header is required');
      }
      // Only an initialize request starts a session; the transport answers anything else with 400.
      const session = await newSession(true);
      session.active++;
      res.on('close', () => {
        session.active--;
        armIdle(session);
      });
      await session.transport.handleRequest(req, res);
      if (session.transport.sessionId === undefined) await endSession(session, 'not initialized');
      return;
    }

    const session = sessions.get(sessionId);
    if (session === undefined || session.ended) {
      return sendJsonError(res, 404, 'Session not found', {}, -32001);
    }
    if (req.method === 'GET') {
      // The standalone SSE stream stays open for the whole session: it is no activity.
      armIdle(session);
    } else {
      session.active++;
      armIdle(session);
      res.on('close', () => {
        session.active--;
        armIdle(session);
      });
    }
    await session.transport.handleRequest(req, res);
  };

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.warn(`request ${req.method} ${req.url}: ${describeError(err)}`);
      sendJsonError(res, 500, 'Internal server error', {}, -32603);
    });
  });
  httpServer.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      httpServer.off('listening', onListening);
      reject(
        new WtoolsError('IO', `could not listen on ${urlHost(host)}:${options.port}: ${describeError(err)}`, {
          cause: err,
        }),
      );
    };
    const onListening = () => {
      httpServer.off('error', onError);
      resolve();
    };
    httpServer.once('error', onError);
    httpServer.once('listening', onListening);
    httpServer.listen({ host, port: options.port, exclusive: true });
  });
  httpServer.on('error', (err) => log.warn(`http server: ${describeError(err)}`));

  const address = httpServer.address();
  if (address === null || typeof address === 'string') {
    throw new WtoolsError('IO', `expected a TCP address after listening, found ${String(address)}`);
  }
  const port = address.port;
  allowedHosts = new Set(
    [urlHost(host), urlHost(address.address), ...LOCAL_NAMES]
      .map((name) => `${name.toLowerCase()}:${port}`)
      .concat((options.allowedHosts ?? []).map((h) => h.toLowerCase())),
  );
  const url = `http://${urlHost(host)}:${port}${MCP_PATH}`;
  log.info(`MCP over Streamable HTTP at ${url}${stateless ? ' (stateless)' : ''}`);

  const close = (): Promise<void> => {
    closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await Promise.all([...sessions.values(), ...pending].map((s) => endSession(s, 'server closing')));
      await Promise.all([...endings]);
      // Keep-alive sockets and any stream a client still holds.
      httpServer.closeAllConnections();
      await stopped;
    })();
    return closing;
  };
  const onAbort = () => void close();
  if (options.signal?.aborted) await close();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  return { url, token, close };
}
