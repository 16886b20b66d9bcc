/**
 * Runs one component in worker threads and keeps the host safe from it: a call that runs past its
 * timeout, is cancelled, or takes its worker down ends with an error, the worker is replaced, and
 * the next call is answered by a fresh instance. Core modules are compiled once here, with their
 * memory capped, and handed to every worker.
 */
import { Redactor } from './redact.js';
import { closeSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker } from 'node:worker_threads';
import { type WorkerScript, createLogger, RuntimeError, workerScript } from '../core/index.js';
import type { TranspiledComponent } from '../component/index.js';
import {
  type Answer,
  type Approver,
  type Capability,
  DEFAULT_LIMITS,
  type Grant,
  type Limits,
  allowsAccess,
  decide,
  formatCapability,
} from '../grants/index.js';
import {
  type ElicitRequest,
  type GuestMcpClient,
  type McpHostReply,
  type McpHostRequest,
  type McpNotice,
  type SamplingRequest,
  capabilityOf,
} from './guest-mcp.js';
import { type CallChannel, newCallFlags, sendRequest, spinForResult } from './call-channel.js';
import { answerHostCall, type HostCallChannel, type HostRequest } from './host-call.js';
import { performHttp } from './http-fetch.js';
import { SocketHost, socketPolicyFor } from './socket-host.js';
import { readCappedModule } from './memory-cap.js';
import type { CallRequest, StartMessage, WireError, WorkerInit, WorkerMessage } from './protocol.js';

export const INSTANCE_LIFETIMES = ['shared', 'per-session', 'per-call'] as const;
export type InstanceLifetime = (typeof INSTANCE_LIFETIMES)[number];

export interface DenialEvent {
  component: string;
  capability: Capability;
  reason: string;
  time: string;
}

export interface RuntimeOptions {
  /** Shown in errors and denial events. */
  name: string;
  transpiled: TranspiledComponent;
  grants?: readonly Grant[];
  limits?: Partial<Limits>;
  /** Workers serving shared and per-call instances; default 1. */
  poolSize?: number;
  lifetime?: InstanceLifetime;
  /** Where granted environment keys take their values; default the host's environment. */
  env?: NodeJS.ProcessEnv;
  /**
   * Variables set for this component (its secrets and configuration), given as its environment
   * beside the granted host keys; they win a clash. Nothing here comes from the host's environment.
   */
  injected?: ReadonlyArray<readonly [string, string]>;
  /** Values to redact from everything the component hands back (its secrets). */
  redact?: readonly string[];
  onDenied?(event: DenialEvent): void;
  /**
   * Asks a human about a capability no grant settles; without it such requests are refused. The
   * call's timeout is paused while the question is open: a human's thinking time is not the guest's.
   */
  ask?(component: string, capability: Capability, context: AskContext): Promise<Answer>;
}

export interface AskContext {
  /** Channels to a human that belong to the call that caused the access (MCP elicitation). */
  approvers: readonly Approver[];
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** With lifetime per-session: calls of one session share an instance no other session sees. */
  sessionId?: string;
  /** Passed to RuntimeOptions.ask for accesses this call makes. */
  approvers?: readonly Approver[];
  /** The MCP client that made the call: where the guest's wtools:mcp imports go. */
  mcp?: GuestMcpClient;
}

export interface CallResult {
  value: unknown;
  stdout: Uint8Array;
  stderr: Uint8Array;
  outputTruncated: boolean;
  /** Time inside the worker, from receiving the call to having the result. */
  ms: number;
}

/** Calls waiting for a set of workers: the shared pool, or the one worker of a session. */
interface Lane {
  size: number;
  slots: WorkerSlot[];
  queue: PendingCall[];
  /** Replace a dead worker at once (the pool) or on the next call (a session). */
  replaceDead: boolean;
}

interface PendingCall {
  request: CallRequest;
  timeoutMs: number;
  signal: AbortSignal | undefined;
  approvers: readonly Approver[];
  mcp: GuestMcpClient | undefined;
  resolve(result: CallResult): void;
  reject(err: Error): void;
}

const logger = createLogger('runtime');

/** A call that took the worker less than this is "quick": the next one's result is spun for. */
const QUICK_CALL_MS = 0.15;
/** How long the host thread spins for a quick call's result before it waits on its event loop. */
const RESULT_SPIN_MS = 0.2;

/** Adds one to a counted allowance. */
function give(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** Uses up one of a counted allowance; false when none is left. */
function take(counts: Map<string, number>, key: string): boolean {
  const left = counts.get(key) ?? 0;
  if (left === 0) return false;
  if (left === 1) counts.delete(key);
  else counts.set(key, left - 1);
  return true;
}
/** Compiled core modules per component and memory cap, shared by every runtime that uses them. */
const compiledCache = new Map<
  string,
  { modules: Promise<Record<string, WebAssembly.Module>>; users: number }
>();

function cacheKey(transpiled: TranspiledComponent, memoryMiB: number): string {
  return `${transpiled.dir}\0${memoryMiB}`;
}

function acquireModules(
  transpiled: TranspiledComponent,
  memoryMiB: number,
  name: string,
): Promise<Record<string, WebAssembly.Module>> {
  const key = cacheKey(transpiled, memoryMiB);
  let entry = compiledCache.get(key);
  if (!entry) {
    const modules = (async () => {
      const compiled: Record<string, WebAssembly.Module> = {};
      // Side by side: V8 compiles on background threads, and a C component has four modules.
      await Promise.all(
        transpiled.coreModules.map(async (file) => {
          const bytes = await readCappedModule(
            path.join(transpiled.dir, file),
            memoryMiB * 1024 * 1024,
            `${name} (${file})`,
          );
          compiled[file] = await WebAssembly.compile(bytes);
        }),
      );
      return compiled;
    })();
    entry = { modules, users: 0 };
    const created = entry;
    modules.catch(() => {
      if (compiledCache.get(key) === created) compiledCache.delete(key);
    });
    compiledCache.set(key, entry);
  }
  entry.users++;
  return entry.modules;
}

/** The last runtime of a component lets its compiled code go. */
function releaseModules(transpiled: TranspiledComponent, memoryMiB: number): void {
  const key = cacheKey(transpiled, memoryMiB);
  const entry = compiledCache.get(key);
  if (entry && --entry.users <= 0) compiledCache.delete(key);
}

/** The worker script, found once: its folder does not move while the process runs. */
let workerEntry: WorkerScript | undefined;

/** The JS heap of a worker; wasm linear memory is capped separately, in the module. */
const WORKER_HEAP_MB = 1024;

function spawnBlankWorker(): Worker {
  workerEntry ??= workerScript(import.meta.url, 'runtime', 'worker', 'runtime-worker.js');
  const entry = workerEntry;
  const worker = new Worker(entry.file, {
    ...(entry.tsEntry ? { workerData: { tsEntry: entry.tsEntry } } : {}),
    // The worker's process.env is empty: the guest's environment is built from grants alone.
    env: {},
    stdout: true,
    stderr: true,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB, stackSizeMb: 4 },
  });
  return worker;
}

let spare: Worker | undefined;
let keepSpare = false;

/**
 * Keeps one blank worker started ahead of need, so that loading a component, or replacing a worker
 * killed at a timeout, does not wait for a thread to boot. For long-running hosts (serve, bench);
 * a one-shot command would only pay for a thread it never uses.
 */
export function keepSpareWorker(enabled: boolean): void {
  keepSpare = enabled;
  if (enabled) replenishSpare();
  else if (spare) {
    void spare.terminate();
    spare = undefined;
  }
}

function replenishSpare(): void {
  if (!keepSpare || spare) return;
  const worker = spawnBlankWorker();
  spare = worker;
  // A waiting spare must not keep the process alive, and a spare that died is not handed out.
  worker.unref();
  const forget = (): void => {
    if (spare === worker) spare = undefined;
  };
  worker.on('error', forget);
  worker.once('exit', forget);
}

function takeWorker(): Worker {
  const worker = spare ?? spawnBlankWorker();
  if (worker === spare) {
    spare = undefined;
    worker.ref();
  }
  setImmediate(replenishSpare);
  return worker;
}

class WorkerSlot {
  readonly worker: Worker;
  readonly ready: Promise<string[]>;
  current: PendingCall | undefined;
  dead = false;
  readonly #openFds = new Set<number>();
  readonly #channel: HostCallChannel;
  readonly #calls: CallChannel;
  readonly #handle: (message: WorkerMessage) => void;
  /** The last call was quick: the next one's result is worth spinning for (see call-channel.ts). */
  #quick = false;
  readonly #sockets: SocketHost;
  #timer: NodeJS.Timeout | undefined;
  #timeLeft = 0;
  #timerStarted = 0;
  #abort: (() => void) | undefined;

  constructor(
    private readonly runtime: ComponentRuntime,
    init: Omit<WorkerInit, 'channel' | 'calls' | 'modules'>,
    modules: Promise<Record<string, WebAssembly.Module>>,
    private readonly onFree: (slot: WorkerSlot) => void,
  ) {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.#channel = { port: port1, flag };
    const calls = new MessageChannel();
    const callFlags = newCallFlags();
    this.#calls = { port: calls.port1, flags: callFlags };
    this.#sockets = new SocketHost(
      socketPolicyFor(runtime.grants, (capability) => this.#askHuman(capability)),
    );
    let settleReady!: { resolve(exports: string[]): void; reject(err: Error): void };
    this.ready = new Promise((resolve, reject) => (settleReady = { resolve, reject }));
    this.ready.catch(() => {});
    this.worker = takeWorker();
    // The glue loads in the worker while the core modules compile here.
    this.worker.postMessage({ type: 'prepare', entry: init.entry } satisfies StartMessage);
    modules.then(
      (compiled) => {
        if (this.dead) return;
        const message: StartMessage = {
          type: 'init',
          init: {
            ...init,
            modules: compiled,
            channel: { port: port2, flag },
            calls: { port: calls.port2, flags: callFlags },
          },
        };
        this.worker.postMessage(message, [port2, calls.port2]);
      },
      (err: Error) => {
        settleReady.reject(err);
        this.kill();
      },
    );
    this.worker.stdout.resume();
    this.worker.stderr.on('data', (chunk: Buffer) =>
      logger.debug(`[${runtime.name} worker] ${chunk.toString().trimEnd()}`),
    );
    port1.on('message', (request: HostRequest) => void this.#hostCall(request));
    port1.unref();

    // Everything the worker says after init comes on the call port, in the order it was said.
    this.#handle = (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          logger.debug(
            `${runtime.name}: worker ready (glue ${message.timings.waitGlueMs.toFixed(1)} ms after init, ` +
              `instance in ${message.timings.instantiateMs.toFixed(1)} ms)`,
          );
          settleReady.resolve(message.exports);
          break;
        case 'init-error':
          settleReady.reject(fromWire(runtime.redactor.wireError(message.error), runtime.name));
          this.kill();
          break;
        case 'result':
          this.#quick = message.ms < QUICK_CALL_MS;
          this.#finish((call) => {
            const redact = runtime.redactor;
            const stdout = redact.bytes(message.stdout);
            const stderr = redact.bytes(message.stderr);
            if (message.ok) {
              call.resolve({
                value: redact.value(message.value),
                stdout,
                stderr,
                outputTruncated: message.outputTruncated,
                ms: message.ms,
              });
            } else {
              call.reject(fromWire(redact.wireError(message.error!), runtime.name, { stdout, stderr }));
            }
          });
          break;
        case 'denied':
          // The guest chose the path, host or key: it may hold a secret, which goes no further.
          runtime.options.onDenied?.({
            component: runtime.name,
            capability: runtime.redactor.value(message.capability) as Capability,
            reason: runtime.redactor.text(message.reason),
            time: message.time,
          });
          break;
        case 'fd':
          if (message.op === 'open') this.#openFds.add(message.fd);
          else this.#openFds.delete(message.fd);
          break;
        case 'mcp-notice':
          this.#forwardNotice(message.notice);
          break;
      }
    };
    calls.port1.on('message', this.#handle);
    calls.port1.unref();
    this.worker.on('error', (err: Error & { code?: string }) => {
      const outOfMemory = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      const wrapped = new RuntimeError(
        outOfMemory ? 'MEMORY_LIMIT' : 'WORKER_CRASHED',
        outOfMemory
          ? `${runtime.name} ran its worker out of memory`
          : `the worker of ${runtime.name} failed: ${err.message}`,
        { cause: err },
      );
      settleReady.reject(wrapped);
      this.#finish((call) => call.reject(wrapped));
      this.kill();
    });
    this.worker.on('exit', () => {
      const wrapped = new RuntimeError('WORKER_CRASHED', `the worker of ${runtime.name} exited`);
      settleReady.reject(wrapped);
      this.#finish((call) => call.reject(wrapped));
      this.#markDead();
    });
  }

  get busy(): boolean {
    return this.current !== undefined;
  }

  start(call: PendingCall): void {
    this.current = call;
    this.#timeLeft = call.timeoutMs;
    this.#startTimer();
    if (call.signal) {
      const onAbort = (): void => {
        this.#finish((c) =>
          c.reject(new RuntimeError('CALL_CANCELLED', `the call of ${call.request.fn} was cancelled`)),
        );
        this.kill();
      };
      call.signal.addEventListener('abort', onAbort, { once: true });
      this.#abort = () => call.signal?.removeEventListener('abort', onAbort);
    }
    sendRequest(this.#calls, call.request);
    if (!this.#quick) return;
    // Handled in a microtask, not here: the result frees this slot, and the next queued call
    // would start (and spin) inside this one's start.
    const messages = spinForResult(this.#calls, RESULT_SPIN_MS) as WorkerMessage[];
    if (messages.length > 0) queueMicrotask(() => messages.forEach((m) => this.#handle(m)));
  }

  #startTimer(): void {
    const call = this.current;
    if (!call) return;
    this.#timerStarted = performance.now();
    this.#timer = setTimeout(() => {
      this.#finish((c) =>
        c.reject(
          new RuntimeError(
            'CALL_TIMEOUT',
            `${this.runtime.name} ${call.request.fn} did not return within ${c.timeoutMs} ms`,
          ),
        ),
      );
      this.kill();
    }, this.#timeLeft);
  }

  /**
   * The guest waits (blocked in its worker) while a human answers or the client's model writes; its
   * clock waits with it.
   */
  async #pausingTimer<T>(call: PendingCall, wait: () => Promise<T>): Promise<T> {
    clearTimeout(this.#timer);
    this.#timeLeft = Math.max(1, this.#timeLeft - (performance.now() - this.#timerStarted));
    try {
      return await wait();
    } finally {
      if (this.current === call) this.#startTimer();
    }
  }

  /**
   * The host thread's own check of what the worker already allowed: a grant, or a human's answer
   * for this one access (used up here).
   */
  #allowedHere(want: Capability): boolean {
    return decide(this.runtime.grants, want) === 'allow' || this.runtime.takeAllowed(want);
  }

  /** A capability no grant settles, put to a human for the running call. */
  #askHuman(capability: Capability): Promise<boolean> {
    const call = this.current;
    if (!call) return Promise.resolve(false);
    return this.#pausingTimer(call, () => this.runtime.ask(capability, call.approvers));
  }

  /** A guest's log message or progress report, to the client of its call (secrets redacted). */
  #forwardNotice(notice: McpNotice): void {
    const client = this.current?.mcp;
    if (!client) return;
    const redact = this.runtime.redactor;
    if (notice.kind === 'log') client.log(notice.level, redact.text(notice.message));
    else {
      const message = notice.message === undefined ? undefined : redact.text(notice.message);
      client.progress(notice.progress, notice.total, message);
    }
  }

  /**
   * A guest's sampling request or question to the user. The worker checked the grant; it is checked
   * again here, on the thread that talks to the client. What the guest sends is redacted first.
   */
  async #mcpRequest(request: McpHostRequest): Promise<McpHostReply> {
    const call = this.current;
    const want = capabilityOf(request.feature);
    if (!call || !this.#allowedHere(want)) {
      return { ok: false, error: { tag: 'not-granted' } };
    }
    const client = call.mcp;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    call.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const redacted = this.runtime.redactor.value(request.request);
      if (request.feature === 'sampling') {
        if (!client?.sample) return { ok: false, error: { tag: 'not-supported' } };
        const sample = client.sample.bind(client);
        const value = await this.#pausingTimer(call, () =>
          sample(redacted as SamplingRequest, controller.signal),
        );
        return { ok: true, value };
      }
      if (!client?.elicit) return { ok: false, error: { tag: 'not-supported' } };
      const elicit = client.elicit.bind(client);
      const value = await this.#pausingTimer(call, () =>
        elicit(redacted as ElicitRequest, controller.signal),
      );
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: { tag: 'failed', val: err instanceof Error ? err.message : String(err) } };
    } finally {
      call.signal?.removeEventListener('abort', onAbort);
    }
  }

  #finish(settle: (call: PendingCall) => void): void {
    const call = this.current;
    if (!call) return;
    this.current = undefined;
    clearTimeout(this.#timer);
    this.#abort?.();
    this.#abort = undefined;
    settle(call);
    if (!this.dead) this.onFree(this);
  }

  /** Ends the worker at once (a guest in an endless loop never yields) and closes what it left open. */
  kill(): void {
    if (this.dead) return;
    this.#markDead();
    void this.worker.terminate();
  }

  #markDead(): void {
    if (this.dead) return;
    this.dead = true;
    for (const fd of this.#openFds) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.#openFds.clear();
    this.#sockets.closeAll();
    this.#channel.port.close();
    this.#calls.port.close();
    this.runtime.slotDied(this);
  }

  async #hostCall(request: HostRequest): Promise<void> {
    let reply: unknown;
    try {
      if (request.op === 'http') {
        const url = new URL(request.request.url);
        const want: Capability = {
          kind: 'http',
          scheme: url.protocol === 'http:' ? 'http' : 'https',
          host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
        };
        // Checked again here: the worker decided, but the host thread is the one that connects.
        reply = this.#allowedHere(want)
          ? await performHttp(request.request)
          : { ok: false, error: { tag: 'HTTP-request-denied' }, message: 'denied' };
      } else if (request.op === 'socket') {
        reply = await this.#sockets.handle(request.request);
      } else if (request.op === 'mcp') {
        reply = await this.#mcpRequest(request.request);
      } else {
        reply = await this.#askHuman(request.capability);
      }
    } catch (err) {
      reply =
        request.op === 'http'
          ? { ok: false, error: { tag: 'internal-error', val: String(err) }, message: String(err) }
          : request.op === 'mcp'
            ? ({ ok: false, error: { tag: 'failed', val: String(err) } } satisfies McpHostReply)
            : false;
    }
    if (!this.dead) answerHostCall(this.#channel, reply);
  }
}

function fromWire(
  error: WireError,
  name: string,
  output?: { stdout: Uint8Array; stderr: Uint8Array },
): RuntimeError {
  const code = error.code as ConstructorParameters<typeof RuntimeError>[0];
  return new RuntimeError(code, error.code === 'GUEST_ERROR' ? `${name}: ${error.message}` : error.message, {
    details: {
      ...(error.exitCode === undefined ? {} : { exitCode: error.exitCode }),
      ...(error.payload === undefined ? {} : { value: error.payload }),
      ...(output ? output : {}),
    },
  });
}

export class ComponentRuntime {
  readonly name: string;
  readonly options: RuntimeOptions;
  readonly limits: Limits;
  readonly grants: readonly Grant[];
  readonly lifetime: InstanceLifetime;
  /** Takes the component's secrets out of everything it hands back. */
  readonly redactor: Redactor;
  exports: string[] = [];
  readonly #init: Omit<WorkerInit, 'channel' | 'calls' | 'modules'>;
  readonly #modules: Promise<Record<string, WebAssembly.Module>>;
  readonly #pool: Lane;
  readonly #sessions = new Map<string, Lane>();
  readonly #allowedAtRunTime = new Set<string>();
  /** Accesses a human allowed once that the host thread has yet to perform (HTTP). */
  readonly #allowedOnce = new Map<string, number>();
  /** Accesses allowed once before the guest asked (see allowOnce). */
  readonly #allowedAhead = new Map<string, number>();
  #nextId = 1;
  #closed = false;

  private constructor(options: RuntimeOptions) {
    this.name = options.name;
    this.options = options;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.grants = options.grants ?? [];
    this.lifetime = options.lifetime ?? 'shared';
    const env = options.env ?? process.env;
    const injected = new Map(options.injected ?? []);
    this.redactor = new Redactor(options.redact ?? []);
    const allowed = this.grants.filter((g) => g.effect === 'allow').map((g) => g.capability);
    this.#init = {
      component: options.name,
      entry: pathToFileURL(options.transpiled.entry).href,
      grants: [...this.grants],
      env: [
        ...allowed.flatMap((c) =>
          c.kind === 'env' &&
          env[c.key] !== undefined &&
          decide(this.grants, c) === 'allow' &&
          !injected.has(c.key)
            ? [[c.key, env[c.key]!] as [string, string]]
            : [],
        ),
        ...injected,
      ],
      config: [...injected],
      preopens: allowed.flatMap((c) => (c.kind === 'fs' ? [{ path: c.path, access: c.access }] : [])),
      limits: this.limits,
    };
    this.#pool = { size: Math.max(1, options.poolSize ?? 1), slots: [], queue: [], replaceDead: true };
    this.#modules = acquireModules(options.transpiled, this.limits.memoryMiB, options.name);
  }

  /**
   * Starts the first worker and compiles the core modules side by side; resolves once the worker
   * has an instance and answers calls.
   */
  static async load(options: RuntimeOptions): Promise<ComponentRuntime> {
    const runtime = new ComponentRuntime(options);
    const first = runtime.#spawn(runtime.#pool);
    try {
      runtime.exports = await first.ready;
    } catch (err) {
      await runtime.close();
      throw err;
    }
    return runtime;
  }

  call(fn: string, args: unknown[], options: CallOptions = {}): Promise<CallResult> {
    if (this.#closed) return Promise.reject(new RuntimeError('WORKER_CRASHED', `${this.name} is unloaded`));
    if (options.signal?.aborted) {
      return Promise.reject(new RuntimeError('CALL_CANCELLED', `the call of ${fn} was cancelled`));
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = {
        request: { type: 'call', id: this.#nextId++, fn, args, fresh: this.lifetime === 'per-call' },
        timeoutMs: options.timeoutMs ?? this.limits.timeoutMs,
        signal: options.signal,
        approvers: options.approvers ?? [],
        mcp: options.mcp,
        resolve,
        reject,
      };
      const lane =
        this.lifetime === 'per-session' && options.sessionId !== undefined
          ? this.#session(options.sessionId)
          : this.#pool;
      lane.queue.push(call);
      this.#dispatch(lane);
    });
  }

  /** A session's lane: one worker, created on the session's first call, never shared. */
  #session(sessionId: string): Lane {
    let lane = this.#sessions.get(sessionId);
    if (!lane) {
      lane = { size: 1, slots: [], queue: [], replaceDead: false };
      this.#sessions.set(sessionId, lane);
    }
    return lane;
  }

  /** Drops a session's instance; calls of the session still waiting are refused. */
  async endSession(sessionId: string): Promise<void> {
    const lane = this.#sessions.get(sessionId);
    this.#sessions.delete(sessionId);
    if (lane) await this.#closeLane(lane, `the session ${sessionId} ended`);
  }

  #spawn(lane: Lane): WorkerSlot {
    const slot = new WorkerSlot(this, this.#init, this.#modules, () => this.#dispatch(lane));
    lane.slots.push(slot);
    return slot;
  }

  #dispatch(lane: Lane): void {
    while (lane.queue.length > 0 && !this.#closed) {
      let slot = lane.slots.find((s) => !s.busy && !s.dead);
      if (!slot && lane.slots.length < lane.size) slot = this.#spawn(lane);
      if (!slot) return;
      const call = lane.queue.shift()!;
      const chosen = slot;
      chosen.current = call; // reserved while it starts
      chosen.ready.then(
        () => {
          chosen.current = undefined;
          chosen.start(call);
        },
        (err: Error) => {
          chosen.current = undefined;
          call.reject(err);
        },
      );
    }
  }

  /**
   * A worker ended (killed after a timeout, crashed, or closed). The shared pool replaces it at
   * once, so the next call does not wait for a thread to boot; a session gets a fresh one on its
   * next call.
   */
  slotDied(slot: WorkerSlot): void {
    for (const lane of [this.#pool, ...this.#sessions.values()]) {
      const index = lane.slots.indexOf(slot);
      if (index < 0) continue;
      lane.slots.splice(index, 1);
      if (lane.replaceDead && !this.#closed) this.#spawn(lane);
      this.#dispatch(lane);
    }
  }

  /**
   * Asks (through RuntimeOptions.ask) about a capability no grant settles. "session" and "always"
   * answers hold for the rest of this runtime; "once" holds for the one access that asked.
   */
  async ask(capability: Capability, approvers: readonly Approver[] = []): Promise<boolean> {
    // A path, host or key that holds one of the component's secrets is a way to send it out: it is
    // refused without asking (a human would only see "[redacted]" anyway).
    const shown = this.redactor.value(capability) as Capability;
    if (formatCapability(shown) !== formatCapability(capability)) {
      this.options.onDenied?.({
        component: this.name,
        capability: shown,
        reason: 'it names a secret value of this component',
        time: new Date().toISOString(),
      });
      return false;
    }
    const key = formatCapability(capability);
    if (this.#allowedAtRunTime.has(key)) return true;
    let allowedOnce = take(this.#allowedAhead, key);
    if (!allowedOnce) {
      const answer = (await this.options.ask?.(this.name, capability, { approvers })) ?? 'deny';
      if (answer === 'session' || answer === 'always') this.#allowedAtRunTime.add(key);
      if (!allowsAccess(answer)) return false;
      allowedOnce = answer === 'once';
    }
    // Only HTTP is checked a second time, on the host thread, after the worker asked: a one-time
    // allowance is carried over to that check (takeAllowed). Sockets are decided on the host alone.
    if (allowedOnce && capability.kind === 'http') give(this.#allowedOnce, key);
    return true;
  }

  /**
   * For the host thread's second check of an access the worker already asked about: true when a
   * human allowed it for the session, or once (which this uses up).
   */
  takeAllowed(capability: Capability): boolean {
    const key = formatCapability(capability);
    return this.#allowedAtRunTime.has(key) || take(this.#allowedOnce, key);
  }

  /** A human allowed one access before the guest made it (a model's request-permission). */
  allowOnce(capability: Capability): void {
    give(this.#allowedAhead, formatCapability(capability));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const lanes = [this.#pool, ...this.#sessions.values()];
    this.#sessions.clear();
    await Promise.all(lanes.map((lane) => this.#closeLane(lane, `${this.name} was unloaded`)));
    releaseModules(this.options.transpiled, this.limits.memoryMiB);
  }

  async #closeLane(lane: Lane, why: string): Promise<void> {
    for (const call of lane.queue.splice(0)) call.reject(new RuntimeError('WORKER_CRASHED', why));
    const slots = lane.slots.splice(0);
    await Promise.all(
      slots.map(async (slot) => {
        slot.kill();
        await slot.worker.terminate();
      }),
    );
  }
}
