/**
 * Test components are kept as WebAssembly text in components/fixtures and compiled with jco on first
 * use. Results are cached under .cache/fixtures, keyed by content and compiler version, so parallel
 * test workers and later runs reuse them; writes are atomic so workers racing on one key are harmless.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@bytecodealliance/jco';
import { digestHex, pathExists, sha256, withFileLock, writeFileAtomic } from '../../lib/core/index.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE_DIR = path.join(REPO_ROOT, 'components', 'fixtures');
/** Where every fixture harness keeps its builds, keyed by content. */
export const CACHE_DIR = path.join(REPO_ROOT, '.cache', 'fixtures');

/** Bump when bigComponent's layout changes, so stale cached padding is not reused. */
const BIG_COMPONENT_FORMAT = 1;
const PADDING_SECTION_NAME = 'wtools-test-padding';

/** Path of the compiled `components/fixtures/<name>.wat`, compiling it on a cache miss. */
export function fixturePath(name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`fixture names are lowercase words, got "${name}"`);
  return once(`wat:${name}`, async () => {
    const text = await readFile(path.join(FIXTURE_DIR, `${name}.wat`), 'utf8');
    const target = path.join(CACHE_DIR, `${digestHex(sha256(`${text}\0${compilerVersion()}`))}.wasm`);
    if (!(await pathExists(target))) await writeFileAtomic(target, await parse(text));
    return target;
  });
}

export async function fixtureWasm(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(await fixturePath(name)));
}

/**
 * A valid component of exactly `sizeBytes`: the hello fixture followed by one top-level custom
 * section of deterministic noise. Noise rather than zeros keeps compression from shrinking it in
 * transfer, and determinism keeps its digest stable across runs.
 */
export function bigComponentPath(sizeBytes: number): Promise<string> {
  return once(`big:${sizeBytes}`, async () => {
    const hello = await fixtureWasm('hello');
    const key = digestHex(sha256(`${BIG_COMPONENT_FORMAT}\0${sizeBytes}\0${digestHex(sha256(hello))}`));
    const target = path.join(CACHE_DIR, `big-${sizeBytes}-${key.slice(0, 16)}.wasm`);
    if (!(await pathExists(target))) await writeFileAtomic(target, padComponent(hello, sizeBytes));
    return target;
  });
}

export async function bigComponent(sizeBytes: number): Promise<Uint8Array> {
  return new Uint8Array(await readFile(await bigComponentPath(sizeBytes)));
}

function padComponent(component: Uint8Array, sizeBytes: number): Uint8Array {
  const name = new TextEncoder().encode(PADDING_SECTION_NAME);
  const nameHeader = [...uleb(name.length), ...name];
  // Bytes left for the section-size prefix plus the payload; the prefix's length depends on the payload.
  const room = sizeBytes - component.length - 1 - nameHeader.length;
  if (room < 1) throw new Error(`cannot pad a ${component.length}-byte component to ${sizeBytes} bytes`);
  let sizePrefix: number[] | undefined;
  for (let width = 1; width <= 5 && !sizePrefix; width++) {
    const candidate = uleb(nameHeader.length + room - width);
    if (candidate.length === width) sizePrefix = candidate;
  }
  // Where no minimal encoding fits exactly, a padded LEB128 (legal in the format) does.
  sizePrefix ??= uleb(nameHeader.length + room - 5, 5);
  const payload = room - sizePrefix.length;
  const out = new Uint8Array(sizeBytes);
  let offset = 0;
  const put = (bytes: ArrayLike<number>): void => {
    out.set(bytes, offset);
    offset += bytes.length;
  };
  put(component);
  put([0x00, ...sizePrefix]);
  put(nameHeader);
  const words = new Uint32Array(Math.ceil(payload / 4));
  let state = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    // xorshift32: fast, seeded, and far less compressible than any pattern.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    words[i] = state >>> 0;
  }
  put(new Uint8Array(words.buffer, 0, payload));
  return out;
}

function uleb(value: number, minBytes = 1): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0 || out.length + 1 < minBytes) byte |= 0x80;
    out.push(byte);
  } while (value > 0 || out.length < minBytes);
  return out;
}

/**
 * A per-module memo of builds by key: one build per key in a process, and a failed build is
 * retried by the next caller instead of being remembered.
 */
export function buildOnce(): (key: string, make: () => Promise<string>) => Promise<string> {
  const pending = new Map<string, Promise<string>>();
  return (key, make) => {
    let result = pending.get(key);
    if (!result) {
      result = make();
      result.catch(() => pending.delete(key));
      pending.set(key, result);
    }
    return result;
  };
}

const once = buildOnce();

/**
 * `target`, built by `build` when it is not there yet. A lock file keeps parallel test workers from
 * building the same thing twice, and the write is atomic, so a reader never sees half a component.
 */
export async function cachedBuild(
  target: string,
  build: () => Promise<Uint8Array>,
  lockTimeoutMs: number,
): Promise<string> {
  if (await pathExists(target)) return target;
  await withFileLock(
    `${target}.lock`,
    async () => {
      // Another process may have finished the build while this one waited for the lock.
      if (!(await pathExists(target))) await writeFileAtomic(target, await build());
    },
    { timeoutMs: lockTimeoutMs },
  );
  return target;
}

let cachedCompilerVersion: string | undefined;

/** jco and the wasm-tools build it wraps both shape the output, so both key the cache. */
export function compilerVersion(): string {
  if (cachedCompilerVersion === undefined) {
    const jco = packageJsonOf('@bytecodealliance/jco', createRequire(import.meta.url));
    const transpile = packageJsonOf('@bytecodealliance/jco-transpile', createRequire(jco.file));
    cachedCompilerVersion = `jco@${jco.version} jco-transpile@${transpile.version}`;
  }
  return cachedCompilerVersion;
}

function packageJsonOf(name: string, require: NodeJS.Require): { file: string; version: string } {
  // package.json is not in these packages' export maps, so walk up from the entry point instead.
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    const file = path.join(dir, 'package.json');
    try {
      const json = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === name && json.version) return { file, version: json.version };
    } catch {
      // not this directory's package.json; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}
