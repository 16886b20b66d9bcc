/**
 * The host side of a guest's TCP connections: real sockets on the host thread, read and written on
 * the guest's behalf through blocking host calls. A connection is made only to an address the grants
 * cover, either literally or because the guest looked up a granted host name and this is one of the
 * addresses that lookup returned.
 */
import { type Socket as DgramSocket, createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, type Socket, connect } from 'node:net';
import { concatBytes } from '../core/index.js';
import { type Capability, decide, type Grant, hostNamedBySocketGrant } from '../grants/index.js';
import type { SocketReply, SocketRequest } from './wasi/sockets.js';

interface Connection {
  socket: Socket;
  chunks: Buffer[];
  ended: boolean;
  error: string | undefined;
  /** Wakes a guest waiting for data or the end. */
  waiters: (() => void)[];
}

interface Datagrams {
  socket: DgramSocket;
  queue: { data: Uint8Array; host: string; port: number }[];
  /** `address\0port` of the peers the guest may talk to, decided once each. */
  peers: Set<string>;
  waiters: (() => void)[];
}

const MAX_QUEUED_DATAGRAMS = 1024;

export interface SocketPolicy {
  /** May the guest look up this host name? */
  mayResolve(name: string): Promise<boolean>;
  /** May the guest connect to this address and port, found through these names (or none)? */
  mayConnect(kind: 'tcp' | 'udp', address: string, port: number, names: readonly string[]): Promise<boolean>;
}

/**
 * Grants first: a name may be looked up when a socket grant names it; an address may be connected
 * to when a grant names it or a name that a lookup turned into it. A deny grant wins. What the
 * grants leave open goes to `ask` (a human, through the grants layer).
 */
export function socketPolicyFor(
  grants: readonly Grant[],
  ask: (capability: Capability) => Promise<boolean>,
): SocketPolicy {
  return {
    mayResolve: async (name) =>
      hostNamedBySocketGrant(grants, name) || (await ask({ kind: 'tcp', host: name, port: 0 })),
    mayConnect: async (kind, address, port, names) => {
      const verdicts = [address, ...names].map((host) => decide(grants, { kind, host, port }));
      if (verdicts.includes('deny')) return false;
      if (verdicts.includes('allow')) return true;
      return ask({ kind, host: names[0] ?? address, port });
    },
  };
}

/** Runs and forgets everything waiting on a socket (data came, or it ended). */
function wake(waiters: (() => void)[]): void {
  for (const waiter of waiters.splice(0)) waiter();
}

const ERROR_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection-refused',
  ECONNRESET: 'connection-reset',
  ECONNABORTED: 'connection-aborted',
  EHOSTUNREACH: 'remote-unreachable',
  ENETUNREACH: 'remote-unreachable',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'name-unresolvable',
  EAI_AGAIN: 'temporary-resolver-failure',
};

const CONNECT_TIMEOUT_MS = 30_000;

export class SocketHost {
  readonly #connections = new Map<number, Connection>();
  readonly #udp = new Map<number, Datagrams>();
  /** address → the granted names whose lookup returned it, in this worker's life. */
  readonly #resolvedFrom = new Map<string, Set<string>>();
  #nextId = 1;

  constructor(private readonly policy: SocketPolicy) {}

  async handle(request: SocketRequest): Promise<SocketReply> {
    switch (request.op) {
      case 'resolve':
        return this.#resolve(request.name);
      case 'tcp-connect':
        return this.#connect(request.host, request.port);
      case 'tcp-read':
        return this.#read(request.id, request.max, request.wait);
      case 'tcp-write': {
        const connection = this.#connections.get(request.id);
        if (!connection || connection.error) return { ok: false, code: connection?.error ?? 'invalid-state' };
        connection.socket.write(request.bytes);
        return { ok: true };
      }
      case 'tcp-shutdown': {
        const connection = this.#connections.get(request.id);
        if (!connection) return { ok: false, code: 'invalid-state' };
        if (request.send) connection.socket.end();
        if (request.receive) connection.socket.pause();
        return { ok: true };
      }
      case 'tcp-close':
        this.#close(request.id);
        return { ok: true };
      case 'udp-bind':
        return this.#udpBind(request.host, request.port, request.family);
      case 'udp-connect':
      case 'udp-send': {
        const udp = this.#udp.get(request.id);
        if (!udp) return { ok: false, code: 'invalid-state' };
        const denied = await this.#udpPeer(udp, request.host, request.port);
        if (denied) return denied;
        if (request.op === 'udp-send') udp.socket.send(request.data, request.port, request.host);
        return { ok: true };
      }
      case 'udp-receive':
        return this.#udpReceive(request.id, request.max, request.wait);
      case 'udp-close': {
        this.#udp.get(request.id)?.socket.close();
        this.#udp.delete(request.id);
        return { ok: true };
      }
    }
  }

  async #resolve(name: string): Promise<SocketReply> {
    const denied: Capability = { kind: 'tcp', host: name, port: 0 };
    if (!(await this.policy.mayResolve(name))) {
      return { ok: false, code: 'access-denied', denied, reason: 'no socket grant names this host' };
    }
    try {
      const found = isIP(name) ? [{ address: name }] : await lookup(name, { all: true });
      const addresses = found.map((entry) => entry.address);
      for (const address of addresses) {
        const names = this.#resolvedFrom.get(address) ?? new Set<string>();
        names.add(name.toLowerCase());
        this.#resolvedFrom.set(address, names);
      }
      return { ok: true, addresses };
    } catch (err) {
      return {
        ok: false,
        code: ERROR_CODES[(err as NodeJS.ErrnoException).code ?? ''] ?? 'permanent-resolver-failure',
      };
    }
  }

  async #connect(host: string, port: number): Promise<SocketReply> {
    const names = [...(this.#resolvedFrom.get(host) ?? [])];
    if (!(await this.policy.mayConnect('tcp', host, port, names))) {
      return {
        ok: false,
        code: 'access-denied',
        denied: { kind: 'tcp', host: names[0] ?? host, port },
        reason:
          names.length > 0 ? `no grant covers ${names.join(', ')} on port ${port}` : 'no grant covers it',
      };
    }
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
      const connection: Connection = { socket, chunks: [], ended: false, error: undefined, waiters: [] };
      const wakeReaders = (): void => wake(connection.waiters);
      socket.once('connect', () => {
        socket.setTimeout(0);
        const id = this.#nextId++;
        this.#connections.set(id, connection);
        resolve({
          ok: true,
          id,
          local: { host: socket.localAddress ?? '0.0.0.0', port: socket.localPort ?? 0 },
        });
      });
      socket.once('timeout', () =>
        socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })),
      );
      socket.on('data', (chunk: Buffer) => {
        connection.chunks.push(chunk);
        wakeReaders();
      });
      socket.on('end', () => {
        connection.ended = true;
        wakeReaders();
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const code = ERROR_CODES[err.code ?? ''] ?? 'unknown';
        connection.error = code;
        connection.ended = true;
        wakeReaders();
        resolve({ ok: false, code });
      });
    });
  }

  async #read(id: number, max: number, wait: boolean): Promise<SocketReply> {
    const connection = this.#connections.get(id);
    if (!connection) return { ok: false, code: 'invalid-state' };
    if (wait && connection.chunks.length === 0 && !connection.ended) {
      await new Promise<void>((resolve) => connection.waiters.push(resolve));
    }
    if (max === 0)
      return {
        ok: true,
        readable: connection.chunks.length > 0,
        closed: connection.chunks.length === 0 && connection.ended,
      };
    if (connection.chunks.length === 0) {
      if (connection.error) return { ok: false, code: connection.error };
      return connection.ended ? { ok: true, closed: true } : { ok: true, bytes: new Uint8Array(0) };
    }
    const out: Buffer[] = [];
    let size = 0;
    while (connection.chunks.length > 0 && size < max) {
      const chunk = connection.chunks[0]!;
      const take = Math.min(chunk.length, max - size);
      out.push(chunk.subarray(0, take));
      size += take;
      if (take === chunk.length) connection.chunks.shift();
      else connection.chunks[0] = chunk.subarray(take);
    }
    return { ok: true, bytes: concatBytes(out, size) };
  }

  #close(id: number): void {
    const connection = this.#connections.get(id);
    if (!connection) return;
    this.#connections.delete(id);
    connection.socket.destroy();
    wake(connection.waiters);
  }

  async #udpBind(host: string, port: number, family: 'ipv4' | 'ipv6'): Promise<SocketReply> {
    // An ephemeral port is what a client needs; a fixed one is serving, which no grant gives.
    if (port !== 0) {
      return {
        ok: false,
        code: 'access-denied',
        denied: { kind: 'udp', host, port },
        reason: 'binding a fixed port is serving',
      };
    }
    const socket = createSocket(family === 'ipv6' ? 'udp6' : 'udp4');
    const udp: Datagrams = { socket, queue: [], peers: new Set(), waiters: [] };
    socket.on('message', (data, remote) => {
      // Only peers the guest was allowed to send to are heard from.
      if (!udp.peers.has(`${remote.address}\0${remote.port}`)) return;
      if (udp.queue.length < MAX_QUEUED_DATAGRAMS)
        udp.queue.push({ data: new Uint8Array(data), host: remote.address, port: remote.port });
      wake(udp.waiters);
    });
    socket.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, host === '0.0.0.0' || host === '0:0:0:0:0:0:0:0' ? undefined : host, () => resolve());
      });
    } catch (err) {
      socket.close();
      return {
        ok: false,
        code: ERROR_CODES[(err as NodeJS.ErrnoException).code ?? ''] ?? 'address-not-bindable',
      };
    }
    const id = this.#nextId++;
    this.#udp.set(id, udp);
    const local = socket.address();
    return { ok: true, id, local: { host: local.address, port: local.port } };
  }

  /** Undefined when the guest may talk to this peer (remembered), else the refusal. */
  async #udpPeer(udp: Datagrams, host: string, port: number): Promise<SocketReply | undefined> {
    const key = `${host}\0${port}`;
    if (udp.peers.has(key)) return undefined;
    const names = [...(this.#resolvedFrom.get(host) ?? [])];
    if (!(await this.policy.mayConnect('udp', host, port, names))) {
      return {
        ok: false,
        code: 'access-denied',
        denied: { kind: 'udp', host: names[0] ?? host, port },
        reason: 'no grant covers it',
      };
    }
    udp.peers.add(key);
    return undefined;
  }

  async #udpReceive(id: number, max: number, wait: boolean): Promise<SocketReply> {
    const udp = this.#udp.get(id);
    if (!udp) return { ok: false, code: 'invalid-state' };
    if (wait && udp.queue.length === 0) await new Promise<void>((resolve) => udp.waiters.push(resolve));
    if (max === 0) return { ok: true, readable: udp.queue.length > 0 };
    return { ok: true, datagrams: udp.queue.splice(0, max) };
  }

  /** Closes every connection and datagram socket: the worker ended. */
  closeAll(): void {
    for (const id of [...this.#connections.keys()]) this.#close(id);
    for (const udp of this.#udp.values()) {
      udp.socket.close();
      wake(udp.waiters);
    }
    this.#udp.clear();
  }
}
