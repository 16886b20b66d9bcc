// The `filesystem` starter component (world `filesystem` in wit/starter/filesystem.wit), compiled
// by componentize-js. StarlingMonkey has no file API for JS, so everything goes through the
// wasi:filesystem imports: the host hands over only the directories a human granted.
/* global TextDecoder, TextEncoder */
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';

const MAX_READ_BYTES = 4 * 1024 * 1024;
const MAX_RESULTS = 1000;
const MAX_VISITED = 100000;
const CHUNK = 65536n;
// Resources are freed at once by this method (the bindings fall back to a registered symbol where
// the engine has no Symbol.dispose); otherwise only when the GC finalises them.
const dispose = Symbol.dispose || Symbol.for('dispose');

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

function codeOf(err) {
  if (err && Object.prototype.hasOwnProperty.call(err, 'payload')) return String(err.payload);
  return err instanceof Error ? err.message : String(err);
}

function attempt(operation, path, run) {
  try {
    return run();
  } catch (err) {
    if (err instanceof ComponentError) throw err;
    throw new ComponentError(`${operation} ${path}: ${codeOf(err)}`);
  }
}

/** The granted directory holding an absolute path, and the rest of the path inside it. */
function locate(path) {
  if (!path.startsWith('/')) throw new ComponentError(`expected an absolute path, found "${path}"`);
  let best;
  for (const [descriptor, name] of getDirectories()) {
    const prefix = name.replace(/\/+$/, '');
    let rest;
    if (path === prefix || path === `${prefix}/`) rest = '.';
    else if (path.startsWith(`${prefix}/`)) rest = path.slice(prefix.length + 1);
    else continue;
    if (!best || prefix.length > best.prefix.length) best = { descriptor, rest, prefix };
  }
  if (!best) {
    const roots = getDirectories().map(([, name]) => name);
    throw new ComponentError(
      `${path} is outside the granted directories (${roots.length ? roots.join(', ') : 'none are granted'})`,
    );
  }
  return best;
}

const KINDS = { 'regular-file': 'file', directory: 'directory', 'symbolic-link': 'symlink' };
const kindOf = (type) => KINDS[type] ?? 'other';

export function roots() {
  return getDirectories().map(([, name]) => name);
}

function entriesOf(path) {
  const { descriptor, rest } = locate(path);
  return attempt('list', path, () => {
    const dir = rest === '.' ? descriptor : descriptor.openAt({}, rest, { directory: true }, { read: true });
    const stream = dir.readDirectory();
    const entries = [];
    try {
      for (let entry = stream.readDirectoryEntry(); entry; entry = stream.readDirectoryEntry()) {
        const stat = dir.statAt({}, entry.name);
        entries.push({ name: entry.name, kind: kindOf(entry.type), size: stat.size });
      }
    } finally {
      stream[dispose]();
      if (dir !== descriptor) dir[dispose]();
    }
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

export function list(path) {
  return entriesOf(path);
}

export function read(path) {
  const { descriptor, rest } = locate(path);
  return attempt('read', path, () => {
    const file = descriptor.openAt({ symlinkFollow: true }, rest, {}, { read: true });
    try {
      if (file.getType() === 'directory') throw new ComponentError(`read ${path}: is a directory`);
      const chunks = [];
      let size = 0;
      for (let offset = 0n; ;) {
        const [data, eof] = file.read(CHUNK, offset);
        chunks.push(data);
        size += data.length;
        if (size > MAX_READ_BYTES)
          throw new ComponentError(`read ${path}: larger than ${MAX_READ_BYTES} bytes`);
        offset += BigInt(data.length);
        if (eof || data.length === 0) break;
      }
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      return new TextDecoder().decode(bytes);
    } finally {
      file[dispose]();
    }
  });
}

export function write(path, contents) {
  const { descriptor, rest } = locate(path);
  attempt('write', path, () => {
    const file = descriptor.openAt(
      { symlinkFollow: true },
      rest,
      { create: true, truncate: true },
      { write: true },
    );
    try {
      const bytes = new TextEncoder().encode(contents);
      for (let offset = 0; offset < bytes.length;) {
        offset += Number(file.write(bytes.subarray(offset), BigInt(offset)));
      }
    } finally {
      file[dispose]();
    }
  });
}

export function stat(path) {
  const { descriptor, rest } = locate(path);
  return attempt('stat', path, () => {
    const facts = descriptor.statAt({ symlinkFollow: false }, rest);
    const modified = facts.dataModificationTimestamp;
    return {
      kind: kindOf(facts.type),
      size: facts.size,
      modified: modified
        ? new Date(Number(modified.seconds) * 1000 + Math.floor(modified.nanoseconds / 1e6)).toISOString()
        : undefined,
    };
  });
}

/** A glob as a regular expression over /-separated relative paths. */
function globToRegExp(pattern) {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      const slash = pattern[i + 2] === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function search(dir, pattern) {
  const matcher = globToRegExp(pattern);
  const base = dir.replace(/\/+$/, '');
  const found = [];
  let visited = 0;
  const walk = (relative) => {
    for (const entry of entriesOf(relative ? `${base}/${relative}` : base)) {
      if (++visited > MAX_VISITED || found.length >= MAX_RESULTS) return;
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (matcher.test(path)) found.push(`${base}/${path}`);
      if (entry.kind === 'directory') walk(path);
    }
  };
  walk('');
  return found.sort();
}
