/** Messages between code mode (host thread) and a sandbox worker, which runs one script at a time. */

export interface SandboxLimits {
  /** Time the script itself may compute (not time spent waiting for tools), in ms. */
  cpuMs: number;
  /** Time the whole run may take; past it the worker is ended (interrupts are soft inside built-ins). */
  wallMs: number;
  /** The engine's linear memory cap, in MiB: a WebAssembly.Memory with this maximum. */
  memoryMiB: number;
  /** The engine's stack, in KiB. */
  stackKiB: number;
  /** Tool calls per run. */
  calls: number;
  /** Tool calls waiting for their result at one time; more wait their turn. */
  inFlight: number;
  /** Console output kept per run, in bytes (UTF-16 code units); the rest is cut with a marker. */
  logChars: number;
  /** The result's JSON text beyond this is cut, with a marker. */
  resultChars: number;
}

export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuMs: 5_000,
  wallMs: 60_000,
  memoryMiB: 64,
  stackKiB: 1024,
  calls: 1000,
  inFlight: 16,
  logChars: 64 * 1024,
  resultChars: 24_000,
});

export interface RunRequest {
  type: 'run';
  /** JavaScript from prepareScript. */
  source: string;
  /** Namespace → function names the script may call. */
  namespaces: Record<string, string[]>;
  limits: SandboxLimits;
}

export interface ReplyMessage {
  type: 'reply';
  call: number;
  ok: boolean;
  value?: unknown;
  /** The tool's error text (isError result), thrown in the script as an Error. */
  error?: string;
  /** What the tool returned with its error (its structured error value), as the Error's `data`. */
  data?: unknown;
}

export type HostMessage = RunRequest | ReplyMessage;

/** Why a run ended without a result of its own. */
export type SandboxFailure =
  | 'error' // the script threw (or its promise rejected)
  | 'cpu' // CPU limit
  | 'memory' // memory limit
  | 'stack' // stack limit
  | 'calls' // too many tool calls
  | 'never-settles' // nothing left to wait for, and the script's promise is still pending
  | 'internal';

export type SandboxMessage =
  | { type: 'ready' }
  | { type: 'call'; call: number; namespace: string; fn: string; args: unknown }
  | { type: 'log'; text: string }
  | {
      type: 'done';
      ok: boolean;
      /** The result as JSON text (undefined when the script returned undefined). */
      resultJson?: string;
      failure?: SandboxFailure;
      error?: string;
      cpuMs: number;
    };
