/** Messages between the supervisor (host thread) and a component's worker thread. */
import type { Capability, Grant, Limits } from '../grants/index.js';
import type { McpNotice } from './guest-mcp.js';
import type { CallChannel } from './call-channel.js';
import type { HostCallChannel } from './host-call.js';
import type { Preopen } from './wasi/filesystem.js';

export interface WorkerInit {
  component: string;
  /** file: URL of the transpiled component's JS glue. */
  entry: string;
  /** Compiled core modules by the file name the glue asks for; compiled once on the host thread. */
  modules: Record<string, WebAssembly.Module>;
  grants: Grant[];
  /** The granted keys with the host's values, and the variables set for the component. */
  env: [string, string][];
  /** The variables set for the component alone (its secrets and configuration): wasi:config/store. */
  config: [string, string][];
  preopens: Preopen[];
  limits: Limits;
  channel: HostCallChannel;
  /** Calls in, and everything the worker says after init out (see call-channel.ts). */
  calls: CallChannel;
}

/** What a blank worker receives before any call. */
export type StartMessage = { type: 'prepare'; entry: string } | { type: 'init'; init: WorkerInit };

export interface CallRequest {
  type: 'call';
  id: number;
  fn: string;
  args: unknown[];
  /** Start from a fresh instance (lifetime per-call). */
  fresh: boolean;
}

/**
 * A resource crossing the worker boundary. The guest's resource objects stay in the worker (they
 * cannot be copied); the host sees this reference, which names one object of one instance. `own`
 * on an argument: the guest takes the resource, and the worker forgets the reference.
 */
export interface ResourceRef {
  $resource: string;
  own?: true;
}

export function isResourceRef(value: unknown): value is ResourceRef {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { $resource?: unknown }).$resource === 'string'
  );
}

export interface WireError {
  code: string;
  message: string;
  exitCode?: number;
  payload?: unknown;
}

export type WorkerMessage =
  | {
      type: 'ready';
      exports: string[];
      /** Time from the init message to the glue being loaded, and to the instance being ready. */
      timings: { waitGlueMs: number; instantiateMs: number };
    }
  | { type: 'init-error'; error: WireError }
  | {
      type: 'result';
      id: number;
      ok: boolean;
      value?: unknown;
      error?: WireError;
      stdout: Uint8Array;
      stderr: Uint8Array;
      outputTruncated: boolean;
      ms: number;
    }
  | { type: 'denied'; capability: Capability; reason: string; time: string }
  | { type: 'fd'; op: 'open' | 'close'; fd: number }
  /** A wtools:mcp log message or progress report of the running call. */
  | { type: 'mcp-notice'; notice: McpNotice };
