/**
 * MCP tool names for component exports: `component.function` or `component.interface.function`,
 * always within `^[A-Za-z0-9._-]{1,128}$`. Collisions (two components with one name, two interfaces
 * with one short name) are settled deterministically, so a client sees the same names every run.
 */
import { createHash } from 'node:crypto';

export const TOOL_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const MAX = 128;

export interface ToolSource {
  /** The component's short name (from its file or repository). */
  component: string;
  /** Identity that orders same-named components: their digest. */
  digest: string;
  /** The interface's full name (`wtools:fixtures/shapes@0.1.0`), absent for world-level functions. */
  interface?: string;
  /** The WIT function name, resource mangling included (`[method]counter.get`). */
  function: string;
}

/** Anything outside the allowed characters becomes `-`; never empty. */
export function sanitize(part: string): string {
  return part.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** `[constructor]counter` → `counter.new`; `[method]counter.get` → `counter.get`; `[static]c.make` → `c.make`. */
export function functionPart(name: string): string {
  const mangled = /^\[(constructor|method|static)\]([^.]+)(?:\.(.+))?$/.exec(name);
  if (!mangled) return sanitize(name);
  const [, kind, resource, fn] = mangled;
  return `${sanitize(resource!)}.${kind === 'constructor' ? 'new' : sanitize(fn ?? 'new')}`;
}

/** `wtools:fixtures/shapes@0.1.0` → `shapes`; with `qualified`, `wtools-fixtures-shapes`. */
export function interfacePart(name: string, qualified = false): string {
  const withoutVersion = name.replace(/@.*$/, '');
  if (!qualified) return sanitize(withoutVersion.split('/').pop()!.split(':').pop()!);
  return sanitize(withoutVersion.replace(/[:/]/g, '-'));
}

function fit(name: string): string {
  if (name.length <= MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX - 9)}-${hash}`;
}

/**
 * Names for every source, in the same order. Components sharing a name are told apart by a digest
 * prefix after the first (ordered by digest); interfaces sharing a short name within a component
 * fall back to their package-qualified name.
 */
export function assignToolNames(sources: readonly ToolSource[]): string[] {
  const componentLabel = new Map<string, string>();
  const byName = new Map<string, string[]>();
  for (const s of sources) {
    const digests = byName.get(s.component) ?? [];
    if (!digests.includes(s.digest)) digests.push(s.digest);
    byName.set(s.component, digests);
  }
  for (const [name, digests] of byName) {
    digests.sort();
    digests.forEach((digest, i) => {
      const hex = digest.replace(/^sha256:/, '');
      componentLabel.set(
        `${name}\0${digest}`,
        i === 0 ? sanitize(name) : `${sanitize(name)}-${hex.slice(0, 8)}`,
      );
    });
  }
  const shortUsers = new Map<string, Set<string>>();
  for (const s of sources) {
    if (!s.interface) continue;
    const key = `${s.component}\0${s.digest}\0${interfacePart(s.interface)}`;
    const users = shortUsers.get(key) ?? new Set<string>();
    users.add(s.interface);
    shortUsers.set(key, users);
  }
  const names = sources.map((s) => {
    const component = componentLabel.get(`${s.component}\0${s.digest}`)!;
    if (!s.interface) return fit(`${component}.${functionPart(s.function)}`);
    const clash =
      (shortUsers.get(`${s.component}\0${s.digest}\0${interfacePart(s.interface)}`)?.size ?? 0) > 1;
    return fit(`${component}.${interfacePart(s.interface, clash)}.${functionPart(s.function)}`);
  });
  // A world function and an interface could still meet (`a.b.c` both ways): number the later ones.
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = seen.get(name) ?? 0;
    seen.set(name, count + 1);
    return count === 0 ? name : fit(`${name}-${count + 1}`);
  });
}

/** `--tools` filters: `*` matches within a dot-separated part, `**` across parts; `!` excludes. */
export function toolFilter(patterns: readonly string[]): (name: string) => boolean {
  if (patterns.length === 0) return () => true;
  const compile = (glob: string) =>
    new RegExp(
      `^${glob
        .split('**')
        .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^.]*'))
        .join('.*')}$`,
    );
  const include = patterns.filter((p) => !p.startsWith('!')).map(compile);
  const exclude = patterns.filter((p) => p.startsWith('!')).map((p) => compile(p.slice(1)));
  return (name) =>
    (include.length === 0 || include.some((r) => r.test(name))) && !exclude.some((r) => r.test(name));
}
