/**
 * wasi:sockets: no socket grants are implemented yet, so every socket and every name lookup is
 * refused with `access-denied` (a WASI error the guest can handle), and reported as a denial.
 */
import type { Capability } from '../../grants/index.js';
import { fail } from './result.js';

export interface SocketOptions {
  onDenied(capability: Capability, reason: string): void;
}

export function socketImports(options: SocketOptions): Record<string, Record<string, unknown>> {
  class Network {}
  class TcpSocket {}
  class UdpSocket {}
  class IncomingDatagramStream {}
  class OutgoingDatagramStream {}
  class ResolveAddressStream {}
  const network = new Network();
  const refuse = (kind: 'tcp' | 'udp', reason: string) => (): never => {
    options.onDenied({ kind, host: '*', port: 0 }, reason);
    return fail('access-denied');
  };
  return {
    'wasi:sockets/network': { Network },
    'wasi:sockets/instance-network': { instanceNetwork: () => network },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: refuse('tcp', 'the component opened a TCP socket') },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': { createUdpSocket: refuse('udp', 'the component opened a UDP socket') },
    'wasi:sockets/ip-name-lookup': {
      ResolveAddressStream,
      resolveAddresses: refuse('tcp', 'the component resolved a host name'),
    },
  };
}
