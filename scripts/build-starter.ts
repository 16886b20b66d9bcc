/**
 * `make components`: builds the starter components (cached by content hash) and publishes them,
 * signed, into OCI layouts: dist/starter/<name> (tag 0.1.0), one layout per component so each has
 * its own grant identity. The signing key is made here, at build time, and its private half is
 * deleted once the set is signed; dist/starter/starter.pub is what `wtools serve --demo` trusts,
 * for exactly these components.
 *
 *   npx tsx scripts/build-starter.ts [OUT_DIR]
 *
 * The layouts are rebuilt only when a component changed (a stamp holds their digests), so a second
 * `make run` does not sign again.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { STARTER_COMPONENTS, STARTER_VERSION } from '../lib/app/starter.js';
import { cComponentPath } from '../test/harness/c-fixtures.js';
import { REPO_ROOT } from '../test/harness/fixtures.js';
import { STARTER_JS_NAMES, starterJsComponentPath } from '../test/harness/js-fixtures.js';

/** Fixed, so the same components give the same manifests. */
const CREATED = '2026-01-01T00:00:00Z';
const CLI = path.join(REPO_ROOT, 'dist', 'bundle', 'bin.js');

interface Starter {
  name: string;
  file: string;
  annotations: string[];
}

async function components(): Promise<Starter[]> {
  const js = await Promise.all(
    STARTER_JS_NAMES.map(async (name) => ({
      name,
      file: await starterJsComponentPath(name),
      annotations: [],
    })),
  );
  // The notebook is per MCP session: the artifact asks for an instance per session.
  const memory = {
    name: 'memory',
    file: await cComponentPath('starter/memory'),
    annotations: ['dev.wtools.instance=per-session'],
  };
  const all = [...js, memory];
  // `serve --demo` loads STARTER_COMPONENTS: the two lists must name the same set.
  if (all.map((s) => s.name).join() !== STARTER_COMPONENTS.join()) {
    throw new Error(
      `the starter build makes ${all.map((s) => s.name).join(', ')}; serve --demo expects ${STARTER_COMPONENTS.join(', ')}`,
    );
  }
  return all;
}

function wtools(args: string[], env: NodeJS.ProcessEnv): void {
  execFileSync(process.execPath, [CLI, ...args, '--quiet'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function buildStarter(outDir: string): Promise<string> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const starters = await components();
  const hash = createHash('sha256');
  for (const s of starters)
    hash.update(`${s.name}\0${s.annotations.join(',')}\0`).update(await readFile(s.file));
  const stamp = hash.digest('hex');
  const stampFile = path.join(outDir, '.stamp');
  if (existsSync(stampFile) && (await readFile(stampFile, 'utf8')) === stamp) return outDir;

  // Build beside the output, then swap: a failed build never leaves a half-signed set.
  const work = `${outDir}.building`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  // Its own wtools home: building the set must not touch the user's store, grants or audit log.
  const env = { ...process.env, WTOOLS_HOME: path.join(work, '.home'), NO_COLOR: '1' };
  const key = path.join(work, 'starter');
  wtools(['keygen', '--output-prefix', key], env);
  for (const s of starters) {
    wtools(
      [
        'push',
        s.file,
        `oci:${path.join(work, s.name)}:${STARTER_VERSION}`,
        '--created',
        CREATED,
        '--version',
        STARTER_VERSION,
        ...s.annotations.flatMap((a) => ['--annotation', a]),
        '--sign',
        '--key',
        `${key}.key`,
      ],
      env,
    );
  }
  // The private key has done its work: the signatures travel with the layouts (and with `make
  // publish`), and a key that never leaves this build cannot sign anything else.
  await rm(`${key}.key`, { force: true });
  await rm(path.join(work, '.home'), { recursive: true, force: true });
  await writeFile(path.join(work, '.stamp'), stamp);
  await rm(outDir, { recursive: true, force: true });
  await rename(work, outDir);
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  const out = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'dist', 'starter'));
  await buildStarter(out);
  process.stderr.write(`starter components ready in ${out} (${Date.now() - started} ms)\n`);
}
