/**
 * wasi:sockets. TCP client connections and name lookups go through the host thread, which decides
 * against the grants (a `tcp:host:port` grant also lets the guest resolve that host, and connect to
 * the addresses that lookup returned); TCP binding and listening are refused with `access-denied`,
 * a WASI error the guest can handle. UDP sends and connects are checked the same way, per peer;
 * a UDP socket binds only an ephemeral port and hears only from peers it may talk to. Every
 * refusal is reported.
 */
import type { Capability } from '../../grants/index.js';
import { EMPTY_SOURCE, InputStream, IoError, OutputStream, Pollable } from './io.js';
import { fail } from './result.js';

export type SocketRequest =
  | { op: 'resolve'; name: string }
  | { op: 'tcp-connect'; host: string; port: number }
  | { op: 'tcp-read'; id: number; max: number; wait: boolean }
  | { op: 'tcp-write'; id: number; bytes: Uint8Array }
  | { op: 'tcp-shutdown'; id: number; receive: boolean; send: boolean }
  | { op: 'tcp-close'; id: number }
  | { op: 'udp-bind'; host: string; port: number; family: 'ipv4' | 'ipv6' }
  | { op: 'udp-connect'; id: number; host: string; port: number }
  | { op: 'udp-send'; id: number; host: string; port: number; data: Uint8Array }
  | { op: 'udp-receive'; id: number; max: number; wait: boolean }
  | { op: 'udp-close'; id: number };

export type SocketReply =
  | {
      ok: true;
      addresses?: string[];
      id?: number;
      local?: SocketAddress;
      bytes?: Uint8Array;
      closed?: boolean;
      /** Datagrams received, each from a peer the guest may talk to. */
      datagrams?: { data: Uint8Array; host: string; port: number }[];
      /** Answer to a read of 0 bytes: whether a read would return data now. */
      readable?: boolean;
    }
  | { ok: false; code: string; denied?: Capability; reason?: string };

export interface SocketAddress {
  host: string;
  port: number;
}

export interface SocketOptions {
  onDenied(capability: Capability, reason: string): void;
  /** A blocking request to the host thread; absent when no socket may ever be granted. */
  socketCall?(request: SocketRequest): SocketReply;
}

type IpAddress = { tag: 'ipv4'; val: number[] } | { tag: 'ipv6'; val: number[] };
type IpSocketAddress =
  | { tag: 'ipv4'; val: { port: number; address: number[] } }
  | { tag: 'ipv6'; val: { port: number; flowInfo: number; address: number[]; scopeId: number } };

function toIpAddress(text: string): IpAddress {
  if (text.includes(':')) {
    const [head = '', tail = ''] = text.split('::');
    const left = head ? head.split(':') : [];
    const right = tail ? tail.split(':') : [];
    const groups = text.includes('::')
      ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
      : text.split(':');
    return { tag: 'ipv6', val: groups.map((g) => parseInt(g, 16)) };
  }
  return { tag: 'ipv4', val: text.split('.').map(Number) };
}

function fromSocketAddress(address: IpSocketAddress): SocketAddress {
  if (address.tag === 'ipv4') return { host: address.val.address.join('.'), port: address.val.port };
  return { host: address.val.address.map((g) => g.toString(16)).join(':'), port: address.val.port };
}

function toSocketAddress(address: SocketAddress): IpSocketAddress {
  const ip = toIpAddress(address.host);
  return ip.tag === 'ipv4'
    ? { tag: 'ipv4', val: { port: address.port, address: ip.val } }
    : { tag: 'ipv6', val: { port: address.port, flowInfo: 0, address: ip.val, scopeId: 0 } };
}

export function socketImports(options: SocketOptions): Record<string, Record<string, unknown>> {
  class Network {}
  const network = new Network();

  const refuse = (capability: Capability, reason: string): never => {
    options.onDenied(capability, reason);
    return fail('access-denied');
  };

  /** A host call that fails the guest's operation with the host's error code. */
  const call = (request: SocketRequest): SocketReply & { ok: true } => {
    if (!options.socketCall) {
      const capability: Capability =
        request.op === 'resolve'
          ? { kind: 'tcp', host: request.name, port: 0 }
          : {
              kind: 'tcp',
              host: request.op === 'tcp-connect' ? request.host : '*',
              port: request.op === 'tcp-connect' ? request.port : 0,
            };
      return refuse(capability, 'no socket grant');
    }
    const reply = options.socketCall(request);
    if (!reply.ok) {
      if (reply.denied) options.onDenied(reply.denied, reply.reason ?? 'no grant covers it');
      return fail(reply.code);
    }
    return reply;
  };

  class SocketInput extends InputStream {
    readonly #id: number;
    #ended = false;
    constructor(id: number) {
      super(EMPTY_SOURCE); // reads are overridden below
      this.#id = id;
    }
    #take(len: bigint, wait: boolean): Uint8Array {
      if (this.#ended) fail({ tag: 'closed' });
      const reply = options.socketCall!({
        op: 'tcp-read',
        id: this.#id,
        max: Number(len > 65536n ? 65536n : len),
        wait,
      });
      if (!reply.ok) fail({ tag: 'last-operation-failed', val: new IoError(reply.code) });
      if (reply.closed) {
        this.#ended = true;
        fail({ tag: 'closed' });
      }
      return reply.bytes ?? new Uint8Array(0);
    }
    override read(len: bigint): Uint8Array {
      return this.#take(len, false);
    }
    override blockingRead(len: bigint): Uint8Array {
      return this.#take(len, true);
    }
    override blockingSkip(len: bigint): bigint {
      return BigInt(this.blockingRead(len).length);
    }
    override subscribe(): Pollable {
      // Ready means a read will not block: data is there or the stream ended. Blocking waits for that.
      return new Pollable(
        () => {
          const reply = options.socketCall!({ op: 'tcp-read', id: this.#id, max: 0, wait: false });
          return !reply.ok || reply.closed === true || reply.readable === true;
        },
        () => void options.socketCall!({ op: 'tcp-read', id: this.#id, max: 0, wait: true }),
      );
    }
  }

  const outputFor = (id: number): OutputStream =>
    new OutputStream({
      write: (bytes) => {
        const reply = options.socketCall!({ op: 'tcp-write', id, bytes: bytes.slice() });
        if (!reply.ok) throw new IoError(reply.code);
      },
    });

  /** Buffer sizes are the host's business: the guest may set them, and always reads the same. */
  class SocketBuffers {
    receiveBufferSize(): bigint {
      return 65536n;
    }
    setReceiveBufferSize(): void {}
    sendBufferSize(): bigint {
      return 65536n;
    }
    setSendBufferSize(): void {}
    subscribe(): Pollable {
      return new Pollable();
    }
  }

  class TcpSocket extends SocketBuffers {
    readonly #family: 'ipv4' | 'ipv6';
    #pending: SocketAddress | undefined;
    #id: number | undefined;
    #local: SocketAddress | undefined;
    #remote: SocketAddress | undefined;
    constructor(family: 'ipv4' | 'ipv6') {
      super();
      this.#family = family;
    }
    startBind(_network: Network, address: IpSocketAddress): never {
      const { host, port } = fromSocketAddress(address);
      return refuse({ kind: 'tcp', host, port }, 'binding (serving) is not granted to components');
    }
    finishBind(): never {
      return fail('not-in-progress');
    }
    startConnect(_network: Network, address: IpSocketAddress): void {
      if (this.#id !== undefined || this.#pending) fail('invalid-state');
      if (address.tag !== this.#family) fail('invalid-argument');
      this.#pending = fromSocketAddress(address);
    }
    finishConnect(): [InputStream, OutputStream] {
      const target = this.#pending;
      if (!target) return fail('not-in-progress');
      this.#pending = undefined;
      const reply = call({ op: 'tcp-connect', host: target.host, port: target.port });
      this.#id = reply.id!;
      this.#local = reply.local;
      this.#remote = target;
      return [new SocketInput(this.#id), outputFor(this.#id)];
    }
    startListen(): never {
      return refuse(
        { kind: 'tcp', host: this.#local?.host ?? '*', port: this.#local?.port ?? 0 },
        'listening is not granted to components',
      );
    }
    finishListen(): never {
      return fail('not-in-progress');
    }
    accept(): never {
      return fail('invalid-state');
    }
    localAddress(): IpSocketAddress {
      return this.#local ? toSocketAddress(this.#local) : fail('invalid-state');
    }
    remoteAddress(): IpSocketAddress {
      return this.#remote && this.#id !== undefined ? toSocketAddress(this.#remote) : fail('invalid-state');
    }
    isListening(): boolean {
      return false;
    }
    addressFamily(): 'ipv4' | 'ipv6' {
      return this.#family;
    }
    setListenBacklogSize(): void {}
    keepAliveEnabled(): boolean {
      return false;
    }
    setKeepAliveEnabled(): void {}
    keepAliveIdleTime(): bigint {
      return 7_200_000_000_000n;
    }
    setKeepAliveIdleTime(): void {}
    keepAliveInterval(): bigint {
      return 75_000_000_000n;
    }
    setKeepAliveInterval(): void {}
    keepAliveCount(): number {
      return 9;
    }
    setKeepAliveCount(): void {}
    hopLimit(): number {
      return 64;
    }
    setHopLimit(): void {}
    shutdown(type: 'receive' | 'send' | 'both'): void {
      if (this.#id === undefined) fail('invalid-state');
      call({ op: 'tcp-shutdown', id: this.#id, receive: type !== 'send', send: type !== 'receive' });
    }
    [Symbol.dispose](): void {
      if (this.#id !== undefined) options.socketCall!({ op: 'tcp-close', id: this.#id });
      this.#id = undefined;
    }
  }

  class IncomingDatagramStream {
    readonly #id: number;
    constructor(id: number) {
      this.#id = id;
    }
    receive(max: bigint): { data: Uint8Array; remoteAddress: IpSocketAddress }[] {
      const reply = call({
        op: 'udp-receive',
        id: this.#id,
        max: Number(max > 1024n ? 1024n : max),
        wait: false,
      });
      return (reply.datagrams ?? []).map((d) => ({ data: d.data, remoteAddress: toSocketAddress(d) }));
    }
    subscribe(): Pollable {
      return new Pollable(
        () => call({ op: 'udp-receive', id: this.#id, max: 0, wait: false }).readable === true,
        () => void call({ op: 'udp-receive', id: this.#id, max: 0, wait: true }),
      );
    }
  }

  class OutgoingDatagramStream {
    readonly #id: number;
    readonly #remote: SocketAddress | undefined;
    constructor(id: number, remote: SocketAddress | undefined) {
      this.#id = id;
      this.#remote = remote;
    }
    checkSend(): bigint {
      return 64n;
    }
    send(datagrams: { data: Uint8Array; remoteAddress?: IpSocketAddress }[]): bigint {
      let sent = 0n;
      for (const datagram of datagrams) {
        const to = datagram.remoteAddress ? fromSocketAddress(datagram.remoteAddress) : this.#remote;
        if (!to) return sent === 0n ? fail('invalid-argument') : sent;
        call({ op: 'udp-send', id: this.#id, host: to.host, port: to.port, data: datagram.data.slice() });
        sent++;
      }
      return sent;
    }
    subscribe(): Pollable {
      return new Pollable();
    }
  }

  class UdpSocket extends SocketBuffers {
    readonly #family: 'ipv4' | 'ipv6';
    #pendingBind: SocketAddress | undefined;
    #id: number | undefined;
    #local: SocketAddress | undefined;
    #remote: SocketAddress | undefined;
    constructor(family: 'ipv4' | 'ipv6') {
      super();
      this.#family = family;
    }
    startBind(_network: Network, address: IpSocketAddress): void {
      if (this.#id !== undefined || this.#pendingBind) fail('invalid-state');
      this.#pendingBind = fromSocketAddress(address);
    }
    finishBind(): void {
      const local = this.#pendingBind;
      if (!local) fail('not-in-progress');
      this.#pendingBind = undefined;
      const reply = call({ op: 'udp-bind', host: local.host, port: local.port, family: this.#family });
      this.#id = reply.id!;
      this.#local = reply.local;
    }
    stream(remote: IpSocketAddress | undefined): [IncomingDatagramStream, OutgoingDatagramStream] {
      if (this.#id === undefined) return fail('invalid-state');
      this.#remote = remote ? fromSocketAddress(remote) : undefined;
      if (this.#remote)
        call({ op: 'udp-connect', id: this.#id, host: this.#remote.host, port: this.#remote.port });
      return [new IncomingDatagramStream(this.#id), new OutgoingDatagramStream(this.#id, this.#remote)];
    }
    localAddress(): IpSocketAddress {
      return this.#local ? toSocketAddress(this.#local) : fail('invalid-state');
    }
    remoteAddress(): IpSocketAddress {
      return this.#remote ? toSocketAddress(this.#remote) : fail('invalid-state');
    }
    addressFamily(): 'ipv4' | 'ipv6' {
      return this.#family;
    }
    unicastHopLimit(): number {
      return 64;
    }
    setUnicastHopLimit(): void {}
    [Symbol.dispose](): void {
      if (this.#id !== undefined) options.socketCall!({ op: 'udp-close', id: this.#id });
      this.#id = undefined;
    }
  }

  class ResolveAddressStream {
    readonly #addresses: IpAddress[];
    constructor(addresses: IpAddress[]) {
      this.#addresses = addresses;
    }
    resolveNextAddress(): IpAddress | undefined {
      return this.#addresses.shift();
    }
    subscribe(): Pollable {
      return new Pollable();
    }
  }

  return {
    'wasi:sockets/network': { Network },
    'wasi:sockets/instance-network': { instanceNetwork: () => network },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': {
      createTcpSocket: (family: 'ipv4' | 'ipv6') => new TcpSocket(family),
    },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': {
      createUdpSocket: (family: 'ipv4' | 'ipv6') => new UdpSocket(family),
    },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: (_network: Network, name: string) =>
        new ResolveAddressStream((call({ op: 'resolve', name }).addresses ?? []).map(toIpAddress)),
    },
  };
}
