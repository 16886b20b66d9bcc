/**
 * JavaScript test components live as source in components/js/<name> (JS, WIT and build.json) and are
 * compiled with componentize-js (StarlingMonkey) on first use. A build takes 10–25 s and peaks at
 * ~0.8 GB, so it runs in a child process of its own (components/js/build/build.mjs, with the preload
 * that makes componentize-js work offline), never inside a test worker. Results are cached under
 * .cache/fixtures, keyed by the component's sources, the build scripts and the compiler versions.
 * A lock file keeps parallel test workers from building the same component twice; the write is
 * atomic as well, so a reader never sees half a component.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestHex, sha256 } from '../../lib/core/index.js';
import { CACHE_DIR, REPO_ROOT, buildOnce, cachedBuild } from './fixtures.js';

export type JsFixtureName = 'types' | 'wasi' | 'resources' | 'config' | 'mcp';
export const JS_FIXTURE_NAMES: readonly JsFixtureName[] = ['types', 'wasi', 'resources', 'config', 'mcp'];

const JS_DIR = path.join(REPO_ROOT, 'components', 'js');
const BUILD_DIR = path.join(JS_DIR, 'build');

/** A cold build takes 10–25 s alone; allow for a loaded machine before calling it hung. */
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** How long a worker waits for another process that is building the same component. */
const LOCK_TIMEOUT_MS = 10 * 60_000;

/** What a build reads: JS, WIT and build.json. Notes and stray build output do not key the cache. */
const SOURCE_EXTENSIONS = new Set(['.js', '.mjs', '.json', '.wit']);

const once = buildOnce();

/** Path of the compiled components/js/<name> component, building it on a cache miss. */
export function jsComponentPath(name: JsFixtureName): Promise<string> {
  if (!JS_FIXTURE_NAMES.includes(name)) throw new Error(`no JavaScript fixture "${String(name)}"`);
  return once(name, async () => {
    const dir = path.join(JS_DIR, name);
    const key = await sourceDigest(dir, await witDirsOf(dir));
    return cachedBuild(path.join(CACHE_DIR, `js-${name}-${key}.wasm`), () => build(dir), LOCK_TIMEOUT_MS);
  });
}

/** The starter components written in JavaScript (components/starter/<name>, WIT in wit/starter). */
export const STARTER_JS_NAMES = ['encode', 'time', 'fetch', 'filesystem', 'chart'] as const;
export type StarterJsName = (typeof STARTER_JS_NAMES)[number];
const STARTER_DIR = path.join(REPO_ROOT, 'components', 'starter');

/** Path of a compiled starter component, building it on a cache miss (keyed by its sources and WIT). */
export function starterJsComponentPath(name: StarterJsName): Promise<string> {
  if (!STARTER_JS_NAMES.includes(name)) throw new Error(`no JavaScript starter component "${String(name)}"`);
  return once(`starter/${name}`, async () => {
    const dir = path.join(STARTER_DIR, name);
    const key = await sourceDigest(dir, await witDirsOf(dir));
    return cachedBuild(
      path.join(CACHE_DIR, `starter-${name}-${key}.wasm`),
      () => build(dir),
      LOCK_TIMEOUT_MS,
    );
  });
}

/** The template for component authors (components/templates/mcp-tool-js), built as they would. */
export function templateComponentPath(): Promise<string> {
  return once('template/mcp-tool-js', async () => {
    const dir = path.join(REPO_ROOT, 'components', 'templates', 'mcp-tool-js');
    const key = await sourceDigest(dir, await witDirsOf(dir));
    return cachedBuild(
      path.join(CACHE_DIR, `template-mcp-tool-js-${key}.wasm`),
      () => build(dir),
      LOCK_TIMEOUT_MS,
    );
  });
}

/** Builds (or finds) every JavaScript fixture, two builds at a time. */
export function buildJsComponents(): Promise<string[]> {
  return Promise.all([...JS_FIXTURE_NAMES.map((name) => jsComponentPath(name)), templateComponentPath()]);
}

export async function jsComponent(name: JsFixtureName): Promise<Uint8Array> {
  return new Uint8Array(await readFile(await jsComponentPath(name)));
}

/**
 * The WIT folders a build reads outside the component's folder (build.json `wit`, and `witDeps`,
 * our packages staged beside its world): they key the cache too.
 */
async function witDirsOf(dir: string): Promise<string[]> {
  const config = JSON.parse(await readFile(path.join(dir, 'build.json'), 'utf8')) as {
    wit?: string;
    witDeps?: string[];
  };
  return [...(config.wit ? [config.wit] : []), ...(config.witDeps ?? [])].map((d) => path.resolve(dir, d));
}

/** Runs build.mjs in a child process and returns the component it wrote. */
async function build(dir: string): Promise<Uint8Array> {
  const work = await mkdtemp(path.join(tmpdir(), 'wtools-js-fixture-'));
  try {
    const out = path.join(work, 'component.wasm');
    const args = [
      '--import',
      path.join(BUILD_DIR, 'preload.mjs'),
      path.join(BUILD_DIR, 'build.mjs'),
      dir,
      out,
    ];
    // cwd is the component folder: componentize-js maps the cwd into its build sandbox when the
    // source lies inside it, so the build sees this folder only and stack traces carry no host paths.
    const child = spawn(process.execPath, args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: BUILD_TIMEOUT_MS,
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-16_384);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c, s) => resolve([c, s]));
    });
    if (code !== 0) {
      throw new Error(
        `building ${path.relative(REPO_ROOT, dir)} failed (${signal ?? `exit code ${code}`}):\n${output}`,
      );
    }
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Digest of everything that shapes the output: sources, WIT, build scripts and compilers. */
async function sourceDigest(dir: string, witDirs: readonly string[] = []): Promise<string> {
  const parts: string[] = [compilerVersions()];
  for (const root of [BUILD_DIR, dir, ...witDirs]) {
    for (const file of await listFiles(root)) {
      parts.push(path.relative(REPO_ROOT, file), await readFile(file, 'utf8'));
    }
  }
  return digestHex(sha256(parts.join('\0')));
}

async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile() && SOURCE_EXTENSIONS.has(path.extname(entry.name))) files.push(full);
  }
  return files.sort();
}

let cachedCompilerVersions: string | undefined;

/**
 * componentize-js (engine, splicer, wizer) makes the component and jco's wasm-tools (from
 * jco-transpile) wraps it, so their versions key the cache. Each is found the way build.mjs's
 * imports resolve it.
 */
function compilerVersions(): string {
  if (cachedCompilerVersions === undefined) {
    const componentize = installedPackage('@bytecodealliance/componentize-js', BUILD_DIR);
    const jco = installedPackage('@bytecodealliance/jco', componentize.dir);
    const transpile = installedPackage('@bytecodealliance/jco-transpile', jco.dir);
    cachedCompilerVersions = [componentize, jco, transpile].map((p) => `${p.name}@${p.version}`).join(' ');
  }
  return cachedCompilerVersions;
}

/**
 * Node's lookup: node_modules/<name> in each folder from `from` up to the root. Reading package.json
 * directly also works for packages whose export maps hide it or have no require entry.
 */
function installedPackage(name: string, from: string): { name: string; dir: string; version: string } {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const packageDir = path.join(dir, 'node_modules', name);
    try {
      const json = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as {
        version?: string;
      };
      if (json.version) return { name, dir: packageDir, version: json.version };
    } catch {
      // not installed here; keep walking up
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the installed package ${name}`);
  }
}
