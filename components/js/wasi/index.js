// Guest code of the `wasi` fixture (world `wasi-demo` in wit/wasi-demo.wit), compiled by
// componentize-js. StarlingMonkey has no file system API for JS, so files go through the
// wasi:filesystem imports directly; fetch() and console are StarlingMonkey's own.
/* global console, fetch, TextDecoder, TextEncoder, URL */
import { getDirectories } from 'wasi:filesystem/preopens@0.2.12';
import { getEnvironment } from 'wasi:cli/environment@0.2.12';

const MAX_BODY_CHARS = 4096;
// Resource handles are freed at once by this method (the guest bindings fall back to a registered
// symbol where the engine has no Symbol.dispose); otherwise only when the GC finalises them.
const dispose = Symbol.dispose || Symbol.for('dispose');
const CHUNK = 65536n;
const MAX_REDIRECTS = 20; // as in the Fetch standard
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Thrown from an export returning result<_, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

/** The error code of a failed wasi:filesystem call ("no-entry", "not-permitted", ...). */
function codeOf(err) {
  if (err && Object.prototype.hasOwnProperty.call(err, 'payload')) return String(err.payload);
  return err instanceof Error ? err.message : String(err);
}

function fail(operation, path, err) {
  return new ComponentError(`${operation} ${path}: ${codeOf(err)}`);
}

/** The preopened directory holding path, and path relative to it (passed on verbatim). */
function locate(path) {
  let best;
  for (const [descriptor, name] of getDirectories()) {
    let rest;
    if (path.startsWith('/')) {
      const prefix = name.replace(/\/+$/, '');
      if (path === prefix) rest = '.';
      else if (path.startsWith(`${prefix}/`)) rest = path.slice(prefix.length + 1) || '.';
      else continue;
      if (!best || prefix.length > best.prefixLength)
        best = { descriptor, rest, prefixLength: prefix.length };
    } else if (name === '.' && !best) {
      best = { descriptor, rest: path, prefixLength: 0 };
    }
  }
  if (!best) throw new ComponentError(`open ${path}: no preopened directory holds this path`);
  return best;
}

export function readFile(path) {
  const { descriptor, rest } = locate(path);
  let file;
  try {
    file = descriptor.openAt({ symlinkFollow: true }, rest, {}, { read: true });
  } catch (err) {
    throw fail('open', path, err);
  }
  const chunks = [];
  let size = 0;
  try {
    // The Node shim answers read() on a directory with a raw EISDIR exception instead of the
    // is-directory error code, and that kills the instance; ask first.
    if (file.getType() === 'directory') throw new ComponentError('is-directory');
    for (let offset = 0n; ;) {
      const [data, eof] = file.read(CHUNK, offset);
      chunks.push(data);
      size += data.length;
      offset += BigInt(data.length);
      if (eof || data.length === 0) break;
    }
  } catch (err) {
    throw fail('read', path, err);
  } finally {
    file[dispose]();
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

export function writeFile(path, contents) {
  const { descriptor, rest } = locate(path);
  let file;
  try {
    file = descriptor.openAt(
      { symlinkFollow: true },
      rest,
      { create: true, truncate: true },
      { write: true },
    );
  } catch (err) {
    throw fail('open', path, err);
  }
  const bytes = new TextEncoder().encode(contents);
  try {
    for (let offset = 0; offset < bytes.length;) {
      offset += Number(file.write(bytes.subarray(offset), BigInt(offset)));
    }
  } catch (err) {
    throw fail('write', path, err);
  } finally {
    file[dispose]();
  }
}

export async function fetchText(url) {
  try {
    const response = await fetchFollowing(url);
    const body = await response.text();
    return `status ${response.status}: ${body.slice(0, MAX_BODY_CHARS)}`;
  } catch (err) {
    throw new ComponentError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * fetch() that follows redirects itself, as a browser would: StarlingMonkey's fetch returns 3xx
 * responses as they are, whatever the redirect mode. Every hop is a new outgoing request from the
 * guest, so the host sees (and must police) each target.
 */
async function fetchFollowing(url) {
  let current = url;
  for (let hops = 0; ; hops++) {
    const response = await fetch(current);
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null) return response;
    if (hops === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url}`);
    await response.arrayBuffer();
    current = new URL(location, current).href;
  }
}

export function getEnv(key) {
  for (const [name, value] of getEnvironment()) if (name === key) return value;
  return undefined;
}

export function envKeys() {
  return getEnvironment().map(([name]) => name);
}

export function log(text) {
  console.log(text);
  console.error(text);
}
