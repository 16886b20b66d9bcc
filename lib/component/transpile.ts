/**
 * jco transpile, once per component digest, into a cache folder shared by every process. The cached
 * glue is patched to drop jco's debug logger (it reads process.env on every step: most of a small
 * call's cost, and an environment read we do not want in a sandbox thread).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ComponentError, type Digest, describeError, digestHex, pathExists } from '../core/index.js';

export interface TranspiledComponent {
  /** Folder holding the glue (component.js), its package.json and the core modules. */
  dir: string;
  entry: string;
  /** Core module file names the glue asks for, in the order jco wrote them. */
  coreModules: string[];
  /** Whether this call found the result in the cache. */
  cached: boolean;
}

interface CacheMeta {
  format: number;
  jco: string;
  coreModules: string[];
  loggerPatched: boolean;
}

const CACHE_FORMAT = 2;
const ENTRY = 'component.js';
const META = 'wtools-transpile.json';
/** jco's logger, as written and as minified; replaced by a no-op. */
const DEBUG_LOGGER = [
  /const _debugLog = \(\.\.\.args\) => \{\n\s*if \(!globalThis\?\.process\?\.env\?\.JCO_DEBUG\) \{ return; \}\n\s*console\.debug\(\.\.\.args\);\n\s*\};/,
  /_debugLog=\(\.\.\.(\w+)\)=>\{globalThis\?\.process\?\.env\?\.JCO_DEBUG&&console\.debug\(\.\.\.\1\)\}/,
];

let jcoVersion: string | undefined;

function transpilerVersion(): string {
  if (!jcoVersion) {
    const require = createRequire(import.meta.url);
    let dir = path.dirname(require.resolve('@bytecodealliance/jco'));
    for (;;) {
      try {
        const pkg = require(path.join(dir, 'package.json')) as { name?: string; version?: string };
        if (pkg.name === '@bytecodealliance/jco' && pkg.version) {
          jcoVersion = pkg.version;
          break;
        }
      } catch {
        // keep walking up
      }
      const parent = path.dirname(dir);
      if (parent === dir) throw new ComponentError('TRANSPILE_FAILED', 'cannot find the version of jco');
      dir = parent;
    }
  }
  return jcoVersion;
}

/** The cache folder of a digest; keyed by jco's version too, since its glue changes between releases. */
export function transpileDir(cacheRoot: string, digest: Digest): string {
  return path.join(cacheRoot, 'transpiled', `${CACHE_FORMAT}-jco${transpilerVersion()}`, digestHex(digest));
}

/** Returns the cached transpile of `digest`, transpiling `bytes` first on a miss. */
export async function transpileCached(
  bytes: Uint8Array,
  digest: Digest,
  cacheRoot: string,
  name: string,
): Promise<TranspiledComponent> {
  const dir = transpileDir(cacheRoot, digest);
  const hit = await readCache(dir);
  if (hit) return { ...hit, cached: true };

  let files: Record<string, Uint8Array>;
  try {
    const { transpile } = await import('@bytecodealliance/jco');
    const output = await transpile(bytes, {
      name: 'component',
      instantiation: 'async',
      importBindings: 'hybrid',
      base64Cutoff: 0,
      noTypescript: true,
      nodejsCompat: false,
      // Half the glue to parse: a worker compiles it on every load (about 30 ms per 400 KB here).
      minify: true,
    });
    files = output.files;
  } catch (err) {
    throw new ComponentError('TRANSPILE_FAILED', `jco could not transpile ${name}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const glue = files[ENTRY];
  if (!glue) throw new ComponentError('TRANSPILE_FAILED', `jco wrote no ${ENTRY} for ${name}`);
  const source = new TextDecoder().decode(glue);
  const patched = DEBUG_LOGGER.reduce(
    (text, pattern, i) => text.replace(pattern, i === 0 ? 'const _debugLog = () => {};' : '_debugLog=()=>{}'),
    source,
  );
  const coreModules = Object.keys(files)
    .filter((f) => f.endsWith('.wasm'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const meta: CacheMeta = {
    format: CACHE_FORMAT,
    jco: transpilerVersion(),
    coreModules,
    loggerPatched: patched !== source,
  };

  // Written to a private folder and renamed into place, so a reader never sees half a transpile
  // and two processes transpiling the same digest both end with one complete copy.
  const staging = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(staging, { recursive: true });
  try {
    for (const file of coreModules) await writeFile(path.join(staging, file), files[file]!);
    await writeFile(path.join(staging, ENTRY), patched);
    await writeFile(path.join(staging, 'package.json'), '{"type":"module"}\n');
    await writeFile(path.join(staging, META), `${JSON.stringify(meta, null, 2)}\n`);
    try {
      await rename(staging, dir);
    } catch (err) {
      if (!(await pathExists(path.join(dir, META)))) throw err;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { dir, entry: path.join(dir, ENTRY), coreModules, cached: false };
}

async function readCache(dir: string): Promise<Omit<TranspiledComponent, 'cached'> | undefined> {
  let meta: CacheMeta;
  try {
    meta = JSON.parse(await readFile(path.join(dir, META), 'utf8')) as CacheMeta;
  } catch {
    return undefined;
  }
  if (meta.format !== CACHE_FORMAT) return undefined;
  return { dir, entry: path.join(dir, ENTRY), coreModules: meta.coreModules };
}
