/**
 * The whole WASI 0.2 import object of one instance, keyed as jco's glue looks interfaces up
 * (unversioned). Everything the guest can reach is in here, built from what the caller passes.
 */
import type { Capability } from '../../grants/index.js';
import { type CliOptions, cliImports } from './cli.js';
import { type ConfigOptions, configImports } from './config.js';
import { clockImports, randomImports } from './clocks.js';
import { type FilesystemOptions, filesystemImports } from './filesystem.js';
import { type HttpOptions, httpImports } from './http.js';
import { ioImports } from './io.js';
import { type SocketOptions, socketImports } from './sockets.js';

export interface WasiOptions
  extends
    CliOptions,
    ConfigOptions,
    Omit<FilesystemOptions, 'onDenied'>,
    HttpOptions,
    Omit<SocketOptions, 'onDenied'> {
  onDenied(capability: Capability, reason: string): void;
}

export function wasiImports(options: WasiOptions): Record<string, Record<string, unknown>> {
  return {
    ...ioImports(),
    ...cliImports(options),
    ...clockImports(),
    ...randomImports(),
    ...filesystemImports(options),
    ...socketImports(options),
    ...httpImports(options),
    ...configImports(options),
  };
}

export { GuestExit } from './result.js';
export type { HttpRequestMessage, HttpResponseMessage } from './http.js';
export type { Preopen } from './filesystem.js';
export type { SocketReply, SocketRequest } from './sockets.js';
