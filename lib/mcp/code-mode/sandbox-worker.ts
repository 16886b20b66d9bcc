/**
 * The code-mode sandbox: a worker thread that runs one script at a time in QuickJS compiled to
 * WebAssembly. Each run gets a fresh engine instance with a fresh linear memory capped by its
 * maximum (the engine's own memory limit is not enforced in its wasm builds), a stack limit, and a
 * CPU budget enforced by the interrupt handler. The script sees ECMAScript's built-ins, `console`,
 * and one object per tool namespace whose functions post the call to the host thread; nothing of
 * Node, no timers, no fetch, no modules.
 *
 * The only module that touches quickjs-emscripten.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import releaseSync from '@jitl/quickjs-wasmfile-release-sync';
import {
  type QuickJSContext,
  type QuickJSSyncVariant,
  type QuickJSDeferredPromise,
  type QuickJSHandle,
  type QuickJSRuntime,
  newQuickJSWASMModuleFromVariant,
  newVariant,
} from 'quickjs-emscripten-core';
import type {
  HostMessage,
  ReplyMessage,
  RunRequest,
  SandboxFailure,
  SandboxMessage,
} from './sandbox-protocol.js';
import { ENTRY } from './script.js';

// Everything to and from the host goes on this port; `replyFlag` is raised with each tool reply, so
// a run waiting for its tools sleeps on it instead of on the event loop (see sandbox.ts).
const { port, replyFlag } = workerData as { port: MessagePort; replyFlag: SharedArrayBuffer };
const replyRaised = new Int32Array(replyFlag);
// The package's default export is the variant; its declared type is the wider union of variants.
const released = releaseSync as unknown as QuickJSSyncVariant;
// Loaded once: the variant imports its loader and FFI on every engine it makes, and a dynamic
// import per run is most of a run's cost under a module loader hook.
const [moduleLoader, ffi] = await Promise.all([released.importModuleLoader(), released.importFFI()]);
const variant: QuickJSSyncVariant = {
  type: 'sync',
  importModuleLoader: () => Promise.resolve(moduleLoader),
  importFFI: () => Promise.resolve(ffi),
};
const { wasmModule } = workerData as { wasmModule: WebAssembly.Module };
const PAGE = 64 * 1024;

function post(message: SandboxMessage): void {
  port.postMessage(message);
}

/** Why an engine error ended the run, from what QuickJS says. */
function classify(message: string, interrupted: boolean): SandboxFailure {
  if (interrupted) return 'cpu';
  if (/out of memory/i.test(message)) return 'memory';
  if (/stack overflow|Maximum call stack/i.test(message)) return 'stack';
  return 'error';
}

class Run {
  readonly #ctx: QuickJSContext;
  readonly #runtime: QuickJSRuntime;
  readonly #request: RunRequest;
  readonly #pending = new Map<number, QuickJSDeferredPromise>();
  readonly #queue: { call: number; namespace: string; fn: string; args: unknown }[] = [];
  #inFlight = 0;
  #calls = 0;
  #cpuMs = 0;
  #chunkStart = 0;
  #interrupted = false;
  #logChars = 0;
  #logCut = false;
  #main: QuickJSHandle | undefined;
  #ended = false;
  readonly #json: { parse: QuickJSHandle; stringify: QuickJSHandle };

  constructor(runtime: QuickJSRuntime, request: RunRequest) {
    this.#runtime = runtime;
    this.#request = request;
    const limits = request.limits;
    runtime.setMaxStackSize(limits.stackKiB * 1024);
    runtime.setInterruptHandler(() => {
      if (this.#cpuMs + (performance.now() - this.#chunkStart) <= limits.cpuMs) return false;
      this.#interrupted = true;
      return true;
    });
    this.#ctx = runtime.newContext();
    const ctx = this.#ctx;
    const json = ctx.getProp(ctx.global, 'JSON');
    this.#json = { parse: ctx.getProp(json, 'parse'), stringify: ctx.getProp(json, 'stringify') };
    json.dispose();
    this.#installConsole();
    this.#installNamespaces();
  }

  /** Runs engine work, counting its time against the CPU budget. */
  #compute<T>(work: () => T): T {
    this.#chunkStart = performance.now();
    try {
      return work();
    } finally {
      this.#cpuMs += performance.now() - this.#chunkStart;
    }
  }

  #log(text: string): void {
    if (this.#logCut) return;
    const room = this.#request.limits.logChars - this.#logChars;
    if (text.length + 1 > room) {
      this.#logCut = true;
      post({
        type: 'log',
        text: `${text.slice(0, Math.max(0, room))}\n… (console output cut at ${this.#request.limits.logChars} characters)\n`,
      });
      return;
    }
    this.#logChars += text.length + 1;
    post({ type: 'log', text: `${text}\n` });
  }

  /** A value of the script as console shows it: strings as they are, the rest as JSON. */
  #show(handle: QuickJSHandle): string {
    const ctx = this.#ctx;
    if (ctx.typeof(handle) === 'string') return ctx.getString(handle);
    const result = ctx.callFunction(this.#json.stringify, ctx.undefined, handle);
    if (result.error) {
      result.error.dispose();
      return String(ctx.dump(handle));
    }
    const text =
      ctx.typeof(result.value) === 'string' ? ctx.getString(result.value) : String(ctx.dump(handle));
    result.value.dispose();
    return text;
  }

  #installConsole(): void {
    const ctx = this.#ctx;
    const consoleObject = ctx.newObject();
    for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
      const fn = ctx.newFunction(level, (...args) => {
        const text = args.map((a) => this.#show(a)).join(' ');
        this.#log(level === 'log' || level === 'info' ? text : `[${level}] ${text}`);
      });
      ctx.setProp(consoleObject, level, fn);
      fn.dispose();
    }
    ctx.setProp(ctx.global, 'console', consoleObject);
    consoleObject.dispose();
  }

  #installNamespaces(): void {
    const ctx = this.#ctx;
    for (const [namespace, fns] of Object.entries(this.#request.namespaces)) {
      const object = ctx.newObject();
      for (const fn of fns) {
        const handle = ctx.newFunction(fn, (arg) => this.#toolCall(namespace, fn, arg));
        ctx.setProp(object, fn, handle);
        handle.dispose();
      }
      ctx.setProp(ctx.global, namespace, object);
      object.dispose();
    }
  }

  /** A tool function of the script: a promise the host settles when the tool has answered. */
  #toolCall(namespace: string, fn: string, arg: QuickJSHandle | undefined): QuickJSHandle {
    const ctx = this.#ctx;
    const deferred = ctx.newPromise();
    this.#calls += 1;
    if (this.#calls > this.#request.limits.calls) {
      this.#end({
        ok: false,
        failure: 'calls',
        error: `more than ${this.#request.limits.calls} tool calls in one run`,
      });
      return deferred.handle;
    }
    let args: unknown = {};
    if (arg !== undefined && ctx.typeof(arg) !== 'undefined') {
      const text = this.#show(arg);
      try {
        args = JSON.parse(text);
      } catch {
        args = text;
      }
    }
    const call = this.#calls;
    this.#pending.set(call, deferred);
    this.#queue.push({ call, namespace, fn, args });
    this.#pump();
    return deferred.handle;
  }

  #pump(): void {
    while (this.#inFlight < this.#request.limits.inFlight && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#inFlight += 1;
      post({ type: 'call', ...next });
    }
  }

  /** Parses JSON text inside the engine (a value the script owns), or undefined on failure. */
  #fromJson(text: string): QuickJSHandle {
    const ctx = this.#ctx;
    const str = ctx.newString(text);
    const result = ctx.callFunction(this.#json.parse, ctx.undefined, str);
    str.dispose();
    if (result.error) {
      result.error.dispose();
      return ctx.undefined;
    }
    return result.value;
  }

  reply(message: ReplyMessage): void {
    const deferred = this.#pending.get(message.call);
    if (!deferred || this.#ended) return;
    this.#pending.delete(message.call);
    this.#inFlight -= 1;
    const ctx = this.#ctx;
    this.#compute(() => {
      if (message.ok) {
        const value =
          message.value === undefined ? ctx.undefined : this.#fromJson(JSON.stringify(message.value));
        deferred.resolve(value);
        value.dispose();
      } else {
        const error = ctx.newError({ name: 'ToolError', message: message.error ?? 'the tool failed' });
        if (message.data !== undefined) {
          const data = this.#fromJson(JSON.stringify(message.data));
          ctx.setProp(error, 'data', data);
          data.dispose();
        }
        deferred.reject(error);
        error.dispose();
      }
      deferred.dispose();
    });
    this.#pump();
  }

  /** A reply that came as a message event: settle what it made runnable. */
  replyAndSettle(message: ReplyMessage): void {
    this.reply(message);
    this.#settle();
  }

  /** Sleeps until the host raises the reply flag, then takes the replies off the port. */
  #awaitReplies(): void {
    while (Atomics.load(replyRaised, 0) === 0) Atomics.wait(replyRaised, 0, 0);
    Atomics.store(replyRaised, 0, 0);
    for (let next = receiveMessageOnPort(port); next; next = receiveMessageOnPort(port)) {
      const message = next.message as HostMessage;
      if (message.type === 'reply') this.reply(message);
    }
  }

  start(): void {
    const result = this.#compute(() =>
      this.#ctx.evalCode(`${this.#request.source}\n${ENTRY}()`, 'script.js'),
    );
    if (result.error) {
      const message = this.#errorText(result.error);
      result.error.dispose();
      this.#end({ ok: false, failure: classify(message, this.#interrupted), error: message });
      return;
    }
    this.#main = result.value;
    this.#settle();
  }

  #errorText(handle: QuickJSHandle): string {
    const ctx = this.#ctx;
    const dumped = ctx.dump(handle) as { name?: string; message?: string; stack?: string } | string;
    if (typeof dumped === 'object' && dumped && typeof dumped.message === 'string') {
      const stack = dumped.stack?.trim() ? `\n${dumped.stack.trim()}` : '';
      return `${dumped.name ?? 'Error'}: ${dumped.message}${stack}`;
    }
    return typeof dumped === 'string' ? dumped : JSON.stringify(dumped);
  }

  /**
   * Runs what is runnable, then ends the run if the script's promise settled or never can; while it
   * waits for tool replies it sleeps here, so the run never needs the event loop again.
   */
  #settle(): void {
    while (!this.#ended && this.#main && this.#settleOnce()) this.#awaitReplies();
  }

  /** One pass; true when the script waits for tool calls still running. */
  #settleOnce(): boolean {
    if (this.#ended || !this.#main) return false;
    const jobs = this.#compute(() => this.#runtime.executePendingJobs());
    if (jobs.error) {
      const message = this.#errorText(jobs.error);
      jobs.error.dispose();
      this.#end({ ok: false, failure: classify(message, this.#interrupted), error: message });
      return false;
    }
    const state = this.#ctx.getPromiseState(this.#main);
    if (state.type === 'pending') {
      if (this.#inFlight === 0 && this.#queue.length === 0 && !this.#runtime.hasPendingJob()) {
        this.#end({
          ok: false,
          failure: 'never-settles',
          error: 'the script is waiting for a promise that nothing can settle (no tool call is running)',
        });
        return false;
      }
      return this.#inFlight > 0;
    }
    if (state.type === 'rejected') {
      const message = this.#errorText(state.error);
      state.error.dispose();
      this.#end({ ok: false, failure: classify(message, this.#interrupted), error: message });
      return false;
    }
    const value = state.value;
    const ctx = this.#ctx;
    const text = this.#compute(() => ctx.callFunction(this.#json.stringify, ctx.undefined, value));
    value.dispose();
    if (text.error) {
      const message = this.#errorText(text.error);
      text.error.dispose();
      this.#end({
        ok: false,
        failure: classify(message, this.#interrupted),
        error: `the result is not JSON: ${message}`,
      });
      return false;
    }
    const json = ctx.typeof(text.value) === 'string' ? ctx.getString(text.value) : undefined;
    text.value.dispose();
    this.#end({ ok: true, ...(json === undefined ? {} : { resultJson: json }) });
    return false;
  }

  #end(outcome: { ok: boolean; resultJson?: string; failure?: SandboxFailure; error?: string }): void {
    if (this.#ended) return;
    this.#ended = true;
    post({ type: 'done', ...outcome, cpuMs: this.#cpuMs });
    // The engine goes with its memory: nothing of this run is reused. Disposing a context with
    // live handles can abort in QuickJS's leak checks, which this instance no longer needs.
    current = undefined;
  }
}

let current: Run | undefined;

/** The engine itself failed (a trap in its code, memory it could not grow): the run is over. */
function engineStopped(err: unknown): void {
  current = undefined;
  const message = err instanceof Error ? err.message : String(err);
  post({
    type: 'done',
    ok: false,
    failure: /memory|out of bounds|Cannot enlarge/i.test(message) ? 'memory' : 'internal',
    error: `the sandbox stopped: ${message}`,
    cpuMs: 0,
  });
}

async function startRun(request: RunRequest): Promise<void> {
  const pages = Math.ceil((request.limits.memoryMiB * 1024 * 1024) / PAGE);
  const memory = new WebAssembly.Memory({ initial: Math.min(256, pages), maximum: pages });
  try {
    const engine = await newQuickJSWASMModuleFromVariant(
      newVariant(variant, { wasmModule, wasmMemory: memory }),
    );
    current = new Run(engine.newRuntime(), request);
    current.start();
  } catch (err) {
    engineStopped(err);
  }
}

port.on('message', (message: HostMessage) => {
  if (message.type === 'run') void startRun(message);
  else {
    try {
      current?.replyAndSettle(message);
    } catch (err) {
      engineStopped(err);
    }
  }
});
post({ type: 'ready' });
