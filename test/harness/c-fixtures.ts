/**
 * C test components live as source in components/c and components/attacks and are built on first
 * use: clang-14 compiles each file to a wasm32-wasi reactor module, jco embeds the WIT world and wraps
 * the module into a component with the WASI preview1 reactor adapter it ships. The canonical-ABI
 * glue is hand-written (components/c/include/cabi.h); there is no wit-bindgen offline.
 *
 * Results are cached under .cache/fixtures, keyed by the source, its headers, the WIT, the compiler
 * flags and the clang and jco versions. A lock file keeps parallel test workers from building the
 * same component twice, each build works in a temp folder of its own, and the final write is atomic.
 *
 * clang-14, lld-14, wasi-libc and libclang-rt-14-dev-wasm32 come from Debian (scripts/system-deps.sh).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { componentEmbed, componentNew, preview1AdapterReactorPath } from '@bytecodealliance/jco';
import { digestHex, sha256 } from '../../lib/core/index.js';
import { CACHE_DIR, REPO_ROOT, buildOnce, cachedBuild, compilerVersion } from './fixtures.js';

const COMPONENTS_DIR = path.join(REPO_ROOT, 'components');
const INCLUDE_DIR = path.join(COMPONENTS_DIR, 'c', 'include');

/** Where each folder's WIT lives and which world its sources implement. */
const GROUPS: Record<string, { wit: (base: string) => string; world: (base: string) => string }> = {
  // One world per fixture: components/c/wit/<name>.wit declares world <name>.
  c: { wit: (base) => path.join('c', 'wit', `${base}.wit`), world: (base) => base },
  // Every attack implements the same world, so tests drive them all alike.
  attacks: { wit: () => path.join('attacks', 'wit', 'attack.wit'), world: () => 'attack' },
  // Starter components written in C: their WIT is the product's, in wit/starter/<name>.wit.
  starter: { wit: (base) => path.join('..', 'wit', 'starter', `${base}.wit`), world: (base) => base },
};

/** The compiler; override with WTOOLS_CLANG (it must target wasm32-wasi with wasi-libc installed). */
const CLANG = process.env.WTOOLS_CLANG ?? 'clang-14';
/**
 * Reactor: no main, every export callable, constructors run once from `_initialize` (wit-component
 * turns it into the component's start function). --stack-first puts the 64 KiB shadow stack below
 * the data, so an overflow traps instead of overwriting static data. Debian's wasi-libc carries
 * DWARF, which would triple the size; names stay for readable traps.
 *
 * Compiling and linking are separate steps, and the link gets no -O: at -O1 and up clang's wasm
 * driver runs any `wasm-opt` it finds on PATH after linking, and under npx and npm scripts PATH
 * holds node_modules/.bin/wasm-opt (binaryen's JS build, a jco dependency). That took builds from
 * 0.5 s to 4–8 s and made the output depend on how the tests were started, under the same cache key.
 */
const COMPILE_FLAGS = ['--target=wasm32-wasi', '-O2', '-Wall', '-Wextra', '-Werror'];
const LINK_FLAGS = ['--target=wasm32-wasi', '-mexec-model=reactor', '-Wl,--stack-first', '-Wl,--strip-debug'];
/** Bump when the build pipeline changes in a way the key does not see. */
const BUILD_FORMAT = 2;
const BUILD_TIMEOUT_MS = 120_000;
/** How long a worker waits for another process that is building the same component. */
const LOCK_TIMEOUT_MS = 5 * 60_000;
const NAME_PATTERN = /^(c|attacks|starter)\/[a-z0-9][a-z0-9-]*$/;

const once = buildOnce();

/** Every C fixture, as "<folder>/<name>": 'c/basic', 'attacks/read-passwd', … */
export function cComponentNames(): string[] {
  return Object.keys(GROUPS)
    .flatMap((group) =>
      readdirSync(path.join(COMPONENTS_DIR, group))
        .filter((file) => file.endsWith('.c'))
        .map((file) => `${group}/${file.slice(0, -2)}`),
    )
    .sort();
}

/** Path of the component built from components/<name>.c, building it on a cache miss. */
export function cComponentPath(name: string): Promise<string> {
  if (!NAME_PATTERN.test(name)) {
    throw new Error(
      `C component names are "c/<name>", "attacks/<name>" or "starter/<name>" in lowercase words, got "${name}"`,
    );
  }
  return once(name, async () => {
    const [group = '', base = ''] = name.split('/');
    const spec = GROUPS[group];
    if (!spec) throw new Error(`no C fixture folder "${group}"`);
    const source = path.join(COMPONENTS_DIR, group, `${base}.c`);
    const witFile = path.join(COMPONENTS_DIR, spec.wit(base));
    const world = spec.world(base);
    const [sourceText, witText, headers, clang] = await Promise.all([
      readFile(source, 'utf8').catch((err: unknown) => {
        throw new Error(`no C fixture "${name}": cannot read ${path.relative(REPO_ROOT, source)}`, {
          cause: err,
        });
      }),
      readFile(witFile, 'utf8'),
      headerTexts(path.join(COMPONENTS_DIR, group)),
      clangVersion(),
    ]);
    const key = digestHex(
      sha256(
        [
          BUILD_FORMAT,
          COMPILE_FLAGS.join(' '),
          LINK_FLAGS.join(' '),
          clang,
          compilerVersion(),
          world,
          sourceText,
          witText,
          ...headers,
        ].join('\0'),
      ),
    );
    return cachedBuild(
      path.join(CACHE_DIR, `c-${group}-${base}-${key}.wasm`),
      () => build(source, witText, world),
      LOCK_TIMEOUT_MS,
    );
  });
}

export async function cComponent(name: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(await cComponentPath(name)));
}

/** Builds every C fixture, a few at a time (clang runs in child processes), for `make fixtures`. */
export async function buildCComponents(): Promise<string[]> {
  const names = cComponentNames();
  const paths: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < names.length) {
      const index = next++;
      paths[index] = await cComponentPath(names[index] ?? '');
    }
  };
  await Promise.all(Array.from({ length: Math.min(availableParallelism(), names.length) }, worker));
  return paths;
}

async function build(source: string, witSource: string, world: string): Promise<Uint8Array> {
  const work = await mkdtemp(path.join(tmpdir(), 'wtools-c-fixture-'));
  try {
    const core = path.join(work, 'core.wasm');
    const object = path.join(work, 'fixture.o');
    await run(CLANG, [...COMPILE_FLAGS, '-I', INCLUDE_DIR, '-c', '-o', object, source]);
    await run(CLANG, [...LINK_FLAGS, '-o', core, object]);
    // witSource, not witPath: wasm-tools inside jco runs on the WASI shim, which since
    // preview2-shim 0.25 preopens nothing, so a path would fail with "failed to get path metadata".
    const embedded = await componentEmbed({
      binary: new Uint8Array(await readFile(core)),
      witSource,
      world,
      stringEncoding: 'utf8',
    });
    const adapter = new Uint8Array(await readFile(preview1AdapterReactorPath()));
    return await componentNew(embedded, [['wasi_snapshot_preview1', adapter]]);
  } catch (err) {
    throw new Error(`building ${path.relative(REPO_ROOT, source)} failed: ${(err as Error).message ?? err}`, {
      cause: err,
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { timeout: BUILD_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new Error(
              `${command} was not found. The C fixtures need the Debian packages clang-14, lld-14, ` +
                'wasi-libc and libclang-rt-14-dev-wasm32 (`bash scripts/system-deps.sh` installs them).',
            ),
          );
        }
        reject(new Error(`${command} ${args.join(' ')} failed:\n${stderr}${stdout}`));
      },
    );
  });
}

/** The include folder's headers and the group folder's own, in a stable order. */
async function headerTexts(groupDir: string): Promise<string[]> {
  const texts: string[] = [];
  for (const dir of [INCLUDE_DIR, groupDir]) {
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.h')).sort()) {
      texts.push(file, await readFile(path.join(dir, file), 'utf8'));
    }
  }
  return texts;
}

/** The first line of `clang --version`, e.g. "Debian clang version 14.0.6". */
function clangVersion(): Promise<string> {
  return once('clang --version', async () => {
    const out = await run(CLANG, ['--version']);
    return out.split('\n')[0] ?? out;
  });
}
