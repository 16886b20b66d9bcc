/**
 * The worker thread that hosts one component's instance. It builds WASI from the grants it was
 * given, instantiates the transpiled glue with core modules compiled on the host thread, and runs one
 * call at a time. Nothing here can reach the host's stdout, environment or process: the guest gets
 * only what `wasi/` hands it.
 */
import { parentPort, threadId } from 'node:worker_threads';
import { concatBytes } from '../core/index.js';
// Not the grants index: the worker bundle must not carry the store, the YAML policy reader or sockets.
import type { Capability } from '../grants/capability.js';
import { decide } from '../grants/decide.js';
import { MAX_NOTICES_PER_CALL, type McpHostReply, type McpNotice, guestMcpImports } from './guest-mcp.js';
import { signalResult, waitForRequests } from './call-channel.js';
import { makeHostCaller } from './host-call.js';
import {
  type CallRequest,
  type ResourceRef,
  type StartMessage,
  type WireError,
  type WorkerInit,
  type WorkerMessage,
  isResourceRef,
} from './protocol.js';
import { GuestExit, type HttpResponseMessage, type SocketReply, wasiImports } from './wasi/index.js';
import { fail } from './wasi/result.js';

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance,
) => Record<string, unknown> | Promise<Record<string, unknown>>;

const port = parentPort!;

/**
 * Workers start blank (a spare may wait for a component to be asked for): `prepare` names the glue
 * so it loads while the host compiles the core modules, `init` brings everything else.
 */
let glueLoading: Promise<{ instantiate: Instantiate }> | undefined;
const init = await new Promise<WorkerInit>((resolve) => {
  const onMessage = (message: StartMessage): void => {
    if (message.type === 'prepare' || message.type === 'init') {
      glueLoading ??= import(message.type === 'prepare' ? message.entry : message.init.entry) as Promise<{
        instantiate: Instantiate;
      }>;
      glueLoading.catch(() => {});
    }
    if (message.type === 'init') {
      port.off('message', onMessage);
      resolve(message.init);
    }
  };
  port.on('message', onMessage);
});
const hostCall = makeHostCaller(init.channel);

function post(message: WorkerMessage): void {
  init.calls.port.postMessage(message);
}

function denied(capability: Capability, reason: string): void {
  post({ type: 'denied', capability, reason, time: new Date().toISOString() });
}

/** Grants first; what they do not settle goes to the human through the host thread. */
function allows(want: Capability): boolean {
  const decision = decide(init.grants, want);
  if (decision === 'allow') return true;
  if (
    decision === 'ask' &&
    hostCall({ op: 'ask', capability: want, reason: 'requested at run time' }) === true
  ) {
    return true;
  }
  denied(want, decision === 'deny' ? 'denied by a grant' : 'no grant covers it');
  return false;
}

/** Captured stdout plus stderr beyond this is dropped (and flagged): it is for diagnosis, not data. */
const MAX_CAPTURE_BYTES = 1024 * 1024;

const captureCap = Math.min(init.limits.outputBytes, MAX_CAPTURE_BYTES);

/** Per-call capture of the guest's stdout and stderr, together capped. */
class Capture {
  stdout: Uint8Array[] = [];
  stderr: Uint8Array[] = [];
  bytes = 0;
  truncated = false;
  write(which: 'stdout' | 'stderr', bytes: Uint8Array): void {
    const room = captureCap - this.bytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const kept = bytes.length > room ? bytes.slice(0, room) : bytes.slice();
    if (kept.length < bytes.length) this.truncated = true;
    this[which].push(kept);
    this.bytes += kept.length;
  }
}

let capture = new Capture();

/** wtools:mcp notices the current call has sent; past the cap they are dropped, and one says so. */
let notices = 0;

function notify(notice: McpNotice): void {
  notices++;
  if (notices > MAX_NOTICES_PER_CALL + 1) return;
  if (notices === MAX_NOTICES_PER_CALL + 1) {
    notice = {
      kind: 'log',
      level: 'warning',
      message: `more than ${MAX_NOTICES_PER_CALL} log messages and progress reports in one call: the rest are dropped`,
    };
  }
  post({ type: 'mcp-notice', notice });
}

function buildImports(): Record<string, unknown> {
  const mcp = guestMcpImports({
    notify,
    allows,
    request: (request) => hostCall({ op: 'mcp', request }) as McpHostReply,
    fail,
  });
  return {
    ...mcp,
    ...wasiImports({
      env: init.env,
      config: init.config,
      args: [init.component],
      stdout: { write: (b) => capture.write('stdout', b) },
      stderr: { write: (b) => capture.write('stderr', b) },
      preopens: init.preopens,
      onDenied: denied,
      onFdOpened: (fd) => post({ type: 'fd', op: 'open', fd }),
      onFdClosed: (fd) => post({ type: 'fd', op: 'close', fd }),
      allows,
      perform: (request) => hostCall({ op: 'http', request }) as HttpResponseMessage,
      socketCall: (request) => hostCall({ op: 'socket', request }) as SocketReply,
      defaultTimeoutMs: Math.min(init.limits.timeoutMs, 60_000),
    }),
  };
}

let exportsByName: Map<string, (...args: unknown[]) => unknown> | undefined;

/** Instances made by this worker so far: with the thread id, what makes a reference prefix unique. */
let instances = 0;

/**
 * The resource objects of the current instance that the host holds references to. A new instance
 * gets a new prefix (thread ids are never reused in a process), so a reference to an object of an
 * ended instance can never name another one.
 */
const resources = {
  objects: new Map<string, object>(),
  /** Prototypes of the exported resource classes: how a returned resource object is recognised. */
  prototypes: new Set<object>(),
  prefix: '',
  next: 0,
  reset(): void {
    this.objects.clear();
    this.prototypes.clear();
    this.prefix = `${threadId}.${++instances}.`;
    this.next = 0;
  },
};

/** A handle that names nothing of this instance: the caller's mistake; the instance is fine. */
class ResourceArgumentError extends Error {}

/** Host references in arguments → the instance's objects (an `own` one is handed over, and forgotten). */
function resolveResources(value: unknown): unknown {
  if (isResourceRef(value)) {
    const object = resources.objects.get(value.$resource);
    if (!object) {
      throw new ResourceArgumentError(
        'the resource handle belongs to an instance that has ended (a trap, a timeout or a restart) or was given away',
      );
    }
    if (value.own) resources.objects.delete(value.$resource);
    return object;
  }
  if (Array.isArray(value)) return value.map(resolveResources);
  if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveResources(v)]));
  }
  return value;
}

/** Resource objects in a result → references the host can hold (and send back). */
function referResources(value: unknown): unknown {
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (resources.prototypes.has(Object.getPrototypeOf(value) as object)) {
    const ref = `${resources.prefix}${resources.next++}`;
    resources.objects.set(ref, value);
    return { $resource: ref } satisfies ResourceRef;
  }
  if (Array.isArray(value)) return value.map(referResources);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, referResources(v)]));
}

async function instantiate(): Promise<Map<string, (...args: unknown[]) => unknown>> {
  const glue = await glueLoading!;
  const instance = await glue.instantiate(
    (name) => {
      const module = init.modules[name];
      if (!module) throw new Error(`the glue asked for an unknown core module ${name}`);
      return module;
    },
    buildImports(),
    (module, imports) => new WebAssembly.Instance(module, imports),
  );
  resources.reset();
  return indexExports(instance);
}

/**
 * Export names as WIT spells them: `add`, `read-file`, and for interfaces both
 * `pkg:ns/iface@1.0.0#fn` and the short `iface.fn`.
 */
function indexExports(instance: Record<string, unknown>): Map<string, (...args: unknown[]) => unknown> {
  const byName = new Map<string, (...args: unknown[]) => unknown>();
  for (const [key, value] of Object.entries(instance)) {
    if (typeof value === 'function') {
      byName.set(kebab(key), value as (...args: unknown[]) => unknown);
    } else if (value && typeof value === 'object') {
      const set = (name: string, fn: (...args: unknown[]) => unknown) =>
        byName.set(key.includes(':') ? `${key}#${name}` : `${kebab(key)}.${name}`, fn);
      for (const [fnKey, fn] of Object.entries(value as Record<string, unknown>)) {
        if (typeof fn !== 'function') continue;
        if (isResourceClass(fnKey, fn)) indexResource(fnKey, fn, set);
        else set(kebab(fnKey), fn as (...args: unknown[]) => unknown);
      }
    }
  }
  return byName;
}

/** jco exports an interface's resource as a class named in PascalCase; functions are camelCase. */
function isResourceClass(name: string, value: unknown): value is new (...args: unknown[]) => object {
  return /^[A-Z]/.test(name) && typeof value === 'function' && typeof value.prototype === 'object';
}

/**
 * A resource's constructor, methods and static functions under their WIT names
 * (`[constructor]counter`, `[method]counter.get`, `[static]counter.merge`). A method checks that
 * `self` is one of its own objects: a reference to another resource type is an argument error.
 */
function indexResource(
  className: string,
  Class: new (...args: unknown[]) => object,
  set: (name: string, fn: (...args: unknown[]) => unknown) => void,
): void {
  const resource = kebab(className).replace(/^-/, '');
  const prototype = Class.prototype as Record<string, unknown>;
  resources.prototypes.add(prototype);
  set(`[constructor]${resource}`, (...args) => new Class(...args));
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const method = prototype[name];
    if (name === 'constructor' || typeof method !== 'function') continue;
    set(`[method]${resource}.${kebab(name)}`, (self, ...args) => {
      if (!(self instanceof Class)) throw new ResourceArgumentError(`expected a ${resource} as self`);
      return (method as (...a: unknown[]) => unknown).apply(self, args);
    });
  }
  for (const name of Object.getOwnPropertyNames(Class)) {
    const fn = (Class as unknown as Record<string, unknown>)[name];
    if (['length', 'name', 'prototype'].includes(name) || typeof fn !== 'function') continue;
    set(`[static]${resource}.${kebab(name)}`, fn.bind(Class) as (...args: unknown[]) => unknown);
  }
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function toWire(err: unknown): { error: WireError; poisoned: boolean } {
  if (err instanceof GuestExit) {
    return {
      error: { code: 'GUEST_EXIT', message: err.message, exitCode: err.exitCode },
      poisoned: true,
    };
  }
  if (err instanceof ResourceArgumentError) {
    return { error: { code: 'INVALID_ARGUMENT', message: err.message }, poisoned: false };
  }
  const payload = (err as { payload?: unknown } | null)?.payload;
  if (err && typeof err === 'object' && 'payload' in err) {
    const shown =
      JSON.stringify(payload, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
    const message = `the function returned an error: ${shown.length > 200 ? `${shown.slice(0, 200)}…` : shown}`;
    return { error: { code: 'GUEST_ERROR', message, payload }, poisoned: false };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof WebAssembly.RuntimeError || err instanceof RangeError) {
    return { error: { code: 'GUEST_TRAP', message: `the component trapped: ${message}` }, poisoned: true };
  }
  if (err instanceof TypeError) {
    return { error: { code: 'INVALID_ARGUMENT', message }, poisoned: true };
  }
  return { error: { code: 'GUEST_TRAP', message: `the component failed: ${message}` }, poisoned: true };
}

/** A lower bound of a value's size, stopping early once past `limit`. */
function sizeOf(value: unknown, limit: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0 && total <= limit) {
    const v = stack.pop();
    if (typeof v === 'string') total += v.length;
    else if (ArrayBuffer.isView(v)) total += v.byteLength;
    else if (Array.isArray(v)) {
      total += v.length;
      stack.push(...v);
    } else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        total += k.length;
        stack.push(inner);
      }
    } else total += 8;
  }
  return total;
}

async function call(request: CallRequest): Promise<void> {
  const started = performance.now();
  capture = new Capture();
  notices = 0;
  let ok = false;
  let value: unknown;
  let error: WireError | undefined;
  try {
    if (request.fresh || !exportsByName) exportsByName = await instantiate();
    const fn = exportsByName.get(request.fn);
    if (!fn) {
      const known = [...exportsByName.keys()].join(', ');
      error = {
        code: 'NO_SUCH_EXPORT',
        message: `no export named "${request.fn}"; the component exports ${known}`,
      };
    } else {
      const withResources = resources.prototypes.size > 0;
      value = await fn(...(withResources ? (resolveResources(request.args) as unknown[]) : request.args));
      if (withResources) value = referResources(value);
      if (sizeOf(value, init.limits.outputBytes) > init.limits.outputBytes) {
        value = undefined;
        error = {
          code: 'OUTPUT_LIMIT',
          message: `the result is larger than the output limit of ${init.limits.outputBytes} bytes`,
        };
      } else ok = true;
    }
  } catch (err) {
    const wired = toWire(err);
    error = wired.error;
    if (wired.poisoned) exportsByName = undefined;
  }
  post({
    type: 'result',
    id: request.id,
    ok,
    ...(ok ? { value } : { error }),
    stdout: concatBytes(capture.stdout),
    stderr: concatBytes(capture.stderr),
    outputTruncated: capture.truncated,
    ms: performance.now() - started,
  });
  signalResult(init.calls);
}

try {
  const initReceived = performance.now();
  await glueLoading;
  const glueLoaded = performance.now();
  exportsByName = await instantiate();
  post({
    type: 'ready',
    exports: [...exportsByName.keys()],
    timings: { waitGlueMs: glueLoaded - initReceived, instantiateMs: performance.now() - glueLoaded },
  });
} catch (err) {
  post({ type: 'init-error', error: toWire(err).error });
}

// One call at a time, for as long as the worker lives, asleep on the call flag in between: a call
// wakes it at once instead of through its event loop. Calls use microtasks only (the guest's
// blocking host calls have their own channel), so nothing here needs the event loop.
for (;;) {
  for (const request of waitForRequests(init.calls) as CallRequest[]) {
    if (request.type === 'call') await call(request);
  }
}
