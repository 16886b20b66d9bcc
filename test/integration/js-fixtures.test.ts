/**
 * The JavaScript fixtures build with componentize-js and behave as their WIT says. Each is
 * transpiled with jco and called directly (types) or through the WASI preview2 shim (wasi), with no
 * wtools runtime in between, so a failure here points at the fixture and not at the runtime under test.
 * A cold build takes 10–25 s per component (longer on a busy machine); later runs hit the cache.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsComponentPath } from '../harness/js-fixtures.js';
import { errPayload, transpileTo, wasiShimFile } from '../harness/jco-direct.js';

const BUILD_TIMEOUT_MS = 10 * 60_000;

interface Point {
  x: number;
  y: number;
  label?: string;
}
type Classification = { tag: 'negative'; val: number } | { tag: 'zero' } | { tag: 'positive'; val: string };
interface Permissions {
  read?: boolean;
  write?: boolean;
  execute?: boolean;
}
type Option<T> = { tag: 'none' } | { tag: 'some'; val: T };
interface Numbers {
  aU8: number;
  aS8: number;
  aU16: number;
  aS16: number;
  aU32: number;
  aS32: number;
  aU64: bigint;
  aS64: bigint;
  aF32: number;
  aF64: number;
}

interface TypesExports {
  shapes: {
    echoNumbers(n: Numbers): Numbers;
    echoRecord(p: Point): Point;
    translate(p: Point, dx: number, dy: number): Point;
    classify(n: number): Classification;
    nextColor(c: 'red' | 'green' | 'blue'): 'red' | 'green' | 'blue';
    toggle(f: Permissions): Permissions;
    maybeDouble(x: number | undefined): number | undefined;
    nested(x: Option<number | undefined>): Option<number | undefined>;
    divide(a: bigint, b: bigint): bigint;
    rotate(t: [number, string, boolean]): [number, string, boolean];
  };
  greet(name: string): string;
  u64Echo(x: bigint): bigint;
  floatEcho(x: number): number;
  f32Echo(x: number): number;
  charNext(c: string): string;
  negate(b: boolean): boolean;
  bytesLen(b: Uint8Array): number;
  reverseBytes(b: Uint8Array): Uint8Array;
  sum(xs: Float64Array): number;
  splitWords(s: string): string[];
  join(parts: string[], sep: string): string;
  describe(name: string, age: number, score: number, tags: string[], active: boolean): string;
  check(ok: boolean, message: string): string;
  bump(by: number): void;
  counter(): number;
}

interface WasiExports {
  readFile(path: string): string;
  writeFile(path: string, contents: string): void;
  fetchText(url: string): string;
  getEnv(key: string): string | undefined;
  envKeys(): string[];
  log(text: string): void;
}

interface WasiShimModule {
  WASIShim: new (config?: {
    sandbox?: { preopens?: Record<string, string>; env?: Record<string, string>; args?: string[] };
  }) => { getImportObject(): object };
}

interface Instantiable<T> {
  instantiate(getCoreModule: (file: string) => Promise<WebAssembly.Module>, imports: object): Promise<T>;
}

let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'wtools-js-fixtures-'));
  // Both builds at once: each is a child process, and on a cold cache this halves the wait.
  await Promise.all([jsComponentPath('types'), jsComponentPath('wasi')]);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('JavaScript fixture "types"', () => {
  let types: TypesExports;
  let exportNames: string[];

  beforeAll(async () => {
    const wasm = await jsComponentPath('types');
    // A second ask is served from the same promise: same path, no rebuild.
    expect(await jsComponentPath('types')).toBe(wasm);
    const { exports, entry } = await transpileTo(wasm, path.join(work, 'types'), 'types');
    exportNames = exports.map(([name]) => name);
    types = (await import(pathToFileURL(entry).href)) as TypesExports;
  }, BUILD_TIMEOUT_MS);

  it('exports functions at the world root and the versioned shapes interface', () => {
    expect(exportNames).toEqual(
      expect.arrayContaining([
        'greet',
        'u64Echo',
        'bump',
        'counter',
        'shapes',
        'wtools:fixtures/shapes@0.1.0',
      ]),
    );
  });

  it('round-trips numbers, including u64 above 2^53 as bigint and f64 NaN', () => {
    expect(types.u64Echo(2n ** 53n + 1n)).toBe(2n ** 53n + 1n);
    expect(types.u64Echo(2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
    expect(types.floatEcho(Number.NaN)).toBeNaN();
    expect(types.floatEcho(Number.NEGATIVE_INFINITY)).toBe(Number.NEGATIVE_INFINITY);
    expect(Object.is(types.floatEcho(-0), -0)).toBe(true);
    expect(types.f32Echo(0.1)).toBe(Math.fround(0.1));
    const extremes: Numbers = {
      aU8: 255,
      aS8: -128,
      aU16: 65535,
      aS16: -32768,
      aU32: 4294967295,
      aS32: -2147483648,
      aU64: 2n ** 64n - 1n,
      aS64: -(2n ** 63n),
      aF32: Math.fround(1.1),
      aF64: Math.PI,
    };
    expect(types.shapes.echoNumbers(extremes)).toEqual(extremes);
  });

  it('round-trips strings, chars, bools, lists and tuples', () => {
    expect(types.greet('wtools ✓')).toBe('Hello, wtools ✓!');
    expect(types.charNext('a')).toBe('b');
    expect(types.charNext('\ud7ff')).toBe('\ue000');
    expect(types.charNext('😀')).toBe('😁');
    expect(types.negate(true)).toBe(false);
    expect(types.bytesLen(new Uint8Array(1000))).toBe(1000);
    expect([...types.reverseBytes(new Uint8Array([1, 2, 3, 255]))]).toEqual([255, 3, 2, 1]);
    expect(types.sum(new Float64Array([1.5, 2.25, -0.75]))).toBe(3);
    expect(types.sum(new Float64Array())).toBe(0);
    expect(types.splitWords('  one two\tthree\n')).toEqual(['one', 'two', 'three']);
    expect(types.join(['a', 'b', 'c'], ', ')).toBe('a, b, c');
    expect(types.shapes.rotate([41, 'abc', false])).toEqual([42, 'ABC', true]);
  });

  it('passes several parameters and calls a function without a result', () => {
    expect(types.describe('Ann', 42, 0.5, ['x', 'y'], true)).toBe('Ann (42) scored 0.5 [x, y] active');
    const before = types.counter();
    expect(types.bump(2)).toBeUndefined();
    types.bump(3);
    expect(types.counter()).toBe(before + 5);
  });

  it('round-trips records with and without their optional field', () => {
    expect(types.shapes.echoRecord({ x: 1, y: -2, label: 'p' })).toEqual({ x: 1, y: -2, label: 'p' });
    expect(types.shapes.echoRecord({ x: 0, y: 0 })).toEqual({ x: 0, y: 0, label: undefined });
    expect(types.shapes.translate({ x: 1, y: 1, label: 'a' }, 2, -3)).toEqual({ x: 3, y: -2, label: "a'" });
  });

  it('maps variants, enums and flags', () => {
    expect(types.shapes.classify(-5)).toEqual({ tag: 'negative', val: 5 });
    expect(types.shapes.classify(0)).toEqual({ tag: 'zero' });
    expect(types.shapes.classify(7)).toEqual({ tag: 'positive', val: '7' });
    expect(types.shapes.nextColor('green')).toBe('blue');
    expect(types.shapes.nextColor('blue')).toBe('red');
    expect(types.shapes.toggle({ read: true })).toEqual({ read: false, write: true, execute: true });
    expect(types.shapes.toggle({ read: true, write: true, execute: true })).toEqual({
      read: false,
      write: false,
      execute: false,
    });
  });

  it('maps option, option<option> and result', () => {
    expect(types.shapes.maybeDouble(21)).toBe(42);
    expect(types.shapes.maybeDouble(undefined)).toBeUndefined();
    expect(types.shapes.nested({ tag: 'none' })).toEqual({ tag: 'none' });
    expect(types.shapes.nested({ tag: 'some', val: undefined })).toEqual({ tag: 'some', val: undefined });
    expect(types.shapes.nested({ tag: 'some', val: 41 })).toEqual({ tag: 'some', val: 42 });
    expect(types.shapes.divide(-7n, 2n)).toBe(-3n);
    expect(types.shapes.divide(2n ** 62n, 1n)).toBe(2n ** 62n);
    expect(errPayload(() => types.shapes.divide(1n, 0n))).toBe('division by zero');
    expect(types.check(true, 'fine')).toBe('fine');
    expect(errPayload(() => types.check(false, 'asked to fail'))).toBe('asked to fail');
  });
});

describe('JavaScript fixture "wasi"', () => {
  let wasi: WasiExports;
  let entry: string;
  let data: string;
  let server: ChildProcess;
  let origin: string;

  beforeAll(async () => {
    // The shim's HTTP client blocks its thread until the response is in, so the server must not
    // share this one: it runs in a child process and reports its port on stdout.
    ({ server, origin } = await startHttpServer());
    const wasm = await jsComponentPath('wasi');
    ({ entry } = await transpileTo(wasm, path.join(work, 'wasi'), 'wasi', 'async'));
    data = path.join(work, 'data');
    await mkdir(data);
    await writeFile(path.join(data, 'hello.txt'), 'hello from a file ✓\n');
    const { WASIShim } = (await import(pathToFileURL(wasiShimFile()).href)) as WasiShimModule;
    const shim = new WASIShim({
      sandbox: { preopens: { '/data': data }, env: { GREETING: 'hi there', EMPTY: '' }, args: ['wasi'] },
    });
    const mod = (await import(pathToFileURL(entry).href)) as Instantiable<WasiExports>;
    wasi = await mod.instantiate(
      (file) => readFile(path.join(path.dirname(entry), file)).then((bytes) => WebAssembly.compile(bytes)),
      shim.getImportObject(),
    );
  }, BUILD_TIMEOUT_MS);

  afterAll(() => {
    server?.kill();
  });

  it('reads and writes files in a preopened directory', async () => {
    expect(wasi.readFile('/data/hello.txt')).toBe('hello from a file ✓\n');
    expect(wasi.writeFile('/data/out.txt', 'written by the guest ✓')).toBeUndefined();
    expect(await readFile(path.join(data, 'out.txt'), 'utf8')).toBe('written by the guest ✓');
    expect(wasi.readFile('/data/out.txt')).toBe('written by the guest ✓');
  });

  it('reports file errors as err strings', () => {
    expect(errPayload(() => wasi.readFile('/data/missing.txt'))).toBe('open /data/missing.txt: no-entry');
    expect(errPayload(() => wasi.readFile('/data'))).toBe('read /data: is-directory');
    expect(errPayload(() => wasi.readFile('/etc/passwd'))).toBe(
      'open /etc/passwd: no preopened directory holds this path',
    );
  });

  it('sees exactly the environment it was given', () => {
    expect(wasi.getEnv('GREETING')).toBe('hi there');
    expect(wasi.getEnv('EMPTY')).toBe('');
    expect(wasi.getEnv('PATH')).toBeUndefined();
    expect(wasi.envKeys()).toEqual(['GREETING', 'EMPTY']);
  });

  it('fetches over HTTP, following redirects and cutting the body', () => {
    expect(wasi.fetchText(`${origin}/hello`)).toBe('status 200: hello over http');
    expect(wasi.fetchText(`${origin}/missing`)).toBe('status 404: no such page: /missing');
    expect(wasi.fetchText(`${origin}/redirect`)).toBe('status 200: hello over http');
    const big = wasi.fetchText(`${origin}/big`);
    expect(big).toBe(`status 200: ${'x'.repeat(4096)}`);
  });

  it('reports a failed fetch as an err string', async () => {
    const closed = await unusedPort();
    const payload = errPayload(() => wasi.fetchText(`http://127.0.0.1:${closed}/`));
    expect(typeof payload).toBe('string');
    expect(payload).not.toBe('');
  });

  it('logs to stdout and stderr', async () => {
    // The shim writes guest output to the process's own stdout/stderr, so run the call in a child.
    const script = `
      const [shimFile, entry, text] = process.argv.slice(1);
      const { readFile } = await import('node:fs/promises');
      const path = await import('node:path');
      const { WASIShim } = await import(shimFile);
      const mod = await import(entry);
      const wasi = await mod.instantiate(
        (f) => readFile(path.join(path.dirname(new URL(entry).pathname), f)).then((b) => WebAssembly.compile(b)),
        new WASIShim({ sandbox: { env: {}, args: [] } }).getImportObject(),
      );
      wasi.log(text);
    `;
    const shimUrl = pathToFileURL(wasiShimFile()).href;
    const { code, stdout, stderr } = await run(process.execPath, [
      '--input-type=module',
      '-e',
      script,
      shimUrl,
      pathToFileURL(entry).href,
      'logged by the guest ✓',
    ]);
    expect({ code, stdout, stderr }).toEqual({
      code: 0,
      stdout: 'logged by the guest ✓\n',
      stderr: 'logged by the guest ✓\n',
    });
  });
});

/**
 * An HTTP server in a child process on 127.0.0.1: /hello, /redirect (302 to /hello), /big
 * (10,000 bytes) and 404 for anything else.
 */
async function startHttpServer(): Promise<{ server: ChildProcess; origin: string }> {
  const script = `
    const http = require('node:http');
    const server = http.createServer((req, res) => {
      if (req.url === '/hello') return res.end('hello over http');
      if (req.url === '/redirect') {
        res.writeHead(302, { location: '/hello' });
        return res.end();
      }
      if (req.url === '/big') return res.end('x'.repeat(10000));
      res.writeHead(404);
      res.end('no such page: ' + req.url);
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const server = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`HTTP server exited early (${code})`)));
    server.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim()));
  });
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** A port nothing listens on: bound once by this process, then released. */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function run(
  command: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
