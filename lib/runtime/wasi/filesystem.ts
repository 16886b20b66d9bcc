/**
 * wasi:filesystem confined to granted directories. The guest sees each granted directory at its
 * host path. Every path the guest names is resolved here, never by the OS alone:
 *   - absolute paths and `..` beyond the granted directory are refused (`not-permitted`);
 *   - the real path of the result (symlinks followed) must stay inside the real granted directory,
 *     so a symlink inside a grant that points outside leads nowhere;
 *   - a read-only grant refuses every mutation (`read-only`), whatever flags the guest asks for.
 * Refusals are reported through `onDenied` so the grants layer can prompt and audit.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Capability, FsAccess } from '../../grants/index.js';
// decide.js itself, not the grants index: this runs in the worker bundle.
import { isWithin } from '../../grants/decide.js';
import { IoError, InputStream, OutputStream } from './io.js';
import { fail } from './result.js';

export interface Preopen {
  /** Absolute host path; the guest sees the directory under the same path. */
  path: string;
  access: FsAccess;
}

export interface FilesystemOptions {
  preopens: readonly Preopen[];
  onDenied(capability: Capability, reason: string): void;
  /** Host file descriptors opened and closed, so the supervisor can close leaks of a killed worker. */
  onFdOpened?(fd: number): void;
  onFdClosed?(fd: number): void;
}

type ErrorCode = string;

interface Root {
  hostPath: string;
  realPath: string;
  access: FsAccess;
}

interface NewTimestamp {
  tag: 'no-change' | 'now' | 'timestamp';
  val?: { seconds: bigint; nanoseconds: number };
}

interface PathFlags {
  symlinkFollow?: boolean;
}

interface OpenFlags {
  create?: boolean;
  directory?: boolean;
  exclusive?: boolean;
  truncate?: boolean;
}

interface DescriptorFlags {
  read?: boolean;
  write?: boolean;
  mutateDirectory?: boolean;
  fileIntegritySync?: boolean;
  dataIntegritySync?: boolean;
  requestedWriteSync?: boolean;
}

const NODE_TO_WASI: Record<string, ErrorCode> = {
  EACCES: 'access',
  EAGAIN: 'would-block',
  EALREADY: 'already',
  EBADF: 'bad-descriptor',
  EBUSY: 'busy',
  EDQUOT: 'quota',
  EEXIST: 'exist',
  EFBIG: 'file-too-large',
  EILSEQ: 'illegal-byte-sequence',
  EINTR: 'interrupted',
  EINVAL: 'invalid',
  EIO: 'io',
  EISDIR: 'is-directory',
  ELOOP: 'loop',
  EMLINK: 'too-many-links',
  ENAMETOOLONG: 'name-too-long',
  ENODEV: 'no-device',
  ENOENT: 'no-entry',
  ENOMEM: 'insufficient-memory',
  ENOSPC: 'insufficient-space',
  ENOTDIR: 'not-directory',
  ENOTEMPTY: 'not-empty',
  ENOTSUP: 'unsupported',
  ENOTTY: 'no-tty',
  ENXIO: 'no-such-device',
  EOVERFLOW: 'overflow',
  EPERM: 'not-permitted',
  EPIPE: 'pipe',
  EROFS: 'read-only',
  ESPIPE: 'invalid-seek',
  ETXTBSY: 'text-file-busy',
  EXDEV: 'cross-device',
};

function codeOf(err: unknown): ErrorCode {
  const code = (err as { code?: string } | null)?.code;
  return (code && NODE_TO_WASI[code]) ?? 'io';
}

/** Runs a host call and turns a Node error into the WASI error code the guest expects. */
function sys<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    if ((err as { payload?: unknown }).payload !== undefined) throw err;
    return fail(codeOf(err));
  }
}

function typeOf(stats: fs.Stats | fs.BigIntStats | fs.Dirent): string {
  if (stats.isDirectory()) return 'directory';
  if (stats.isFile()) return 'regular-file';
  if (stats.isSymbolicLink()) return 'symbolic-link';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isCharacterDevice()) return 'character-device';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  return 'unknown';
}

function datetime(ns: bigint): { seconds: bigint; nanoseconds: number } {
  return { seconds: ns / 1_000_000_000n, nanoseconds: Number(ns % 1_000_000_000n) };
}

function toStat(stats: fs.BigIntStats): Record<string, unknown> {
  return {
    type: typeOf(stats),
    linkCount: stats.nlink,
    size: stats.size,
    dataAccessTimestamp: datetime(stats.atimeNs),
    dataModificationTimestamp: datetime(stats.mtimeNs),
    statusChangeTimestamp: datetime(stats.ctimeNs),
  };
}

function timeArg(ts: NewTimestamp, current: bigint): number | Date {
  if (ts.tag === 'now') return new Date();
  if (ts.tag === 'timestamp' && ts.val) return Number(ts.val.seconds) + ts.val.nanoseconds / 1e9;
  return Number(current) / 1e9;
}

export function filesystemImports(options: FilesystemOptions): Record<string, Record<string, unknown>> {
  const roots: Root[] = [];
  for (const preopen of options.preopens) {
    // A grant of a path that does not exist (or is not a directory) simply gives nothing.
    try {
      const realPath = fs.realpathSync(preopen.path);
      if (fs.statSync(realPath).isDirectory()) {
        roots.push({ hostPath: path.resolve(preopen.path), realPath, access: preopen.access });
      }
    } catch {
      // not there: no preopen
    }
  }

  function deny(hostPath: string, access: FsAccess, code: ErrorCode, reason: string): never {
    options.onDenied({ kind: 'fs', path: hostPath, access }, reason);
    return fail(code);
  }

  /** The real path of `hostPath`, or of its deepest existing ancestor joined with the rest. */
  function realPathOf(hostPath: string, followFinal: boolean): string {
    let head = followFinal ? hostPath : path.dirname(hostPath);
    const tail: string[] = followFinal ? [] : [path.basename(hostPath)];
    for (;;) {
      try {
        return path.join(fs.realpathSync(head), ...tail);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
        const parent = path.dirname(head);
        if (parent === head) throw err;
        tail.unshift(path.basename(head));
        head = parent;
      }
    }
  }

  /** Resolves a guest path relative to a directory descriptor, confined to its root. */
  function resolve(dir: Descriptor, guestPath: string, followFinal: boolean, access: FsAccess): string {
    const root = dir.root;
    if (guestPath.includes('\0')) fail('invalid');
    if (guestPath.startsWith('/')) {
      return deny(guestPath, access, 'not-permitted', 'absolute paths are resolved from a preopen');
    }
    const segments = path.relative(root.hostPath, dir.hostPath).split(path.sep).filter(Boolean);
    for (const segment of guestPath.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        if (segments.length === 0) {
          return deny(
            path.join(dir.hostPath, guestPath),
            access,
            'not-permitted',
            'a path escaped its grant with ..',
          );
        }
        segments.pop();
      } else {
        segments.push(segment);
      }
    }
    const hostPath = path.join(root.hostPath, ...segments);
    let real: string;
    try {
      real = realPathOf(hostPath, followFinal);
    } catch (err) {
      return fail(codeOf(err));
    }
    if (!isWithin(root.realPath, real)) {
      return deny(real, access, 'not-permitted', `a symlink at ${hostPath} leads outside its grant`);
    }
    if (access === 'rw' && root.access !== 'rw') {
      return deny(hostPath, 'rw', 'read-only', 'the grant is read-only');
    }
    return hostPath;
  }

  function requireWritable(d: Descriptor): void {
    if (d.root.access !== 'rw' || !d.flags.write) {
      if (d.root.access !== 'rw') deny(d.hostPath, 'rw', 'read-only', 'the grant is read-only');
      fail('bad-descriptor');
    }
  }

  class Descriptor {
    readonly root: Root;
    readonly hostPath: string;
    readonly kind: 'directory' | 'file';
    readonly flags: DescriptorFlags;
    #fd: number | undefined;

    constructor(
      root: Root,
      hostPath: string,
      kind: 'directory' | 'file',
      flags: DescriptorFlags,
      fd?: number,
    ) {
      this.root = root;
      this.hostPath = hostPath;
      this.kind = kind;
      this.flags = flags;
      this.#fd = fd;
      if (fd !== undefined) options.onFdOpened?.(fd);
    }

    get fd(): number {
      if (this.#fd === undefined) return fail('bad-descriptor');
      return this.#fd;
    }

    [Symbol.dispose](): void {
      if (this.#fd !== undefined) {
        const fd = this.#fd;
        this.#fd = undefined;
        try {
          fs.closeSync(fd);
        } finally {
          options.onFdClosed?.(fd);
        }
      }
    }

    readViaStream(offset: bigint): InputStream {
      if (this.kind !== 'file' || !this.flags.read) fail('bad-descriptor');
      let position = Number(offset);
      return new InputStream({
        read: (max) => {
          const buffer = new Uint8Array(max);
          const n = ioSys(() => fs.readSync(this.fd, buffer, 0, max, position));
          position += n;
          return buffer.subarray(0, n);
        },
      });
    }

    writeViaStream(offset: bigint): OutputStream {
      requireWritable(this);
      let position = Number(offset);
      return new OutputStream({
        write: (bytes) => {
          position += ioSys(() => writeAll(this.fd, bytes, position));
        },
      });
    }

    appendViaStream(): OutputStream {
      requireWritable(this);
      return new OutputStream({
        write: (bytes) => {
          ioSys(() => writeAll(this.fd, bytes, Number(fs.fstatSync(this.fd).size)));
        },
      });
    }

    advise(): void {}

    syncData(): void {
      if (this.kind === 'file') sys(() => fs.fdatasyncSync(this.fd));
    }

    sync(): void {
      if (this.kind === 'file') sys(() => fs.fsyncSync(this.fd));
    }

    getFlags(): DescriptorFlags {
      return { ...this.flags };
    }

    getType(): string {
      return this.kind === 'directory' ? 'directory' : sys(() => typeOf(fs.fstatSync(this.fd)));
    }

    setSize(size: bigint): void {
      requireWritable(this);
      sys(() => fs.ftruncateSync(this.fd, Number(size)));
    }

    setTimes(atime: NewTimestamp, mtime: NewTimestamp): void {
      if (this.root.access !== 'rw') deny(this.hostPath, 'rw', 'read-only', 'the grant is read-only');
      const stats = sys(() => fs.statSync(this.hostPath, { bigint: true }));
      sys(() => fs.utimesSync(this.hostPath, timeArg(atime, stats.atimeNs), timeArg(mtime, stats.mtimeNs)));
    }

    read(length: bigint, offset: bigint): [Uint8Array, boolean] {
      if (this.kind !== 'file' || !this.flags.read) fail('bad-descriptor');
      const want = Math.min(Number(length), 64 * 1024 * 1024);
      const buffer = new Uint8Array(want);
      const n = sys(() => fs.readSync(this.fd, buffer, 0, want, Number(offset)));
      return [buffer.subarray(0, n), n < want];
    }

    write(buffer: Uint8Array, offset: bigint): bigint {
      requireWritable(this);
      return BigInt(sys(() => writeAll(this.fd, buffer, Number(offset))));
    }

    readDirectory(): DirectoryEntryStream {
      if (this.kind !== 'directory') fail('not-directory');
      const entries = sys(() => fs.readdirSync(this.hostPath, { withFileTypes: true }));
      return new DirectoryEntryStream(entries.map((e) => ({ type: typeOf(e), name: e.name })));
    }

    createDirectoryAt(guestPath: string): void {
      const target = resolve(this, guestPath, false, 'rw');
      sys(() => fs.mkdirSync(target));
    }

    stat(): Record<string, unknown> {
      return toStat(sys(() => fs.statSync(this.hostPath, { bigint: true })));
    }

    statAt(flags: PathFlags, guestPath: string): Record<string, unknown> {
      const follow = flags.symlinkFollow ?? false;
      const target = resolve(this, guestPath, follow, 'ro');
      return toStat(sys(() => (follow ? fs.statSync : fs.lstatSync)(target, { bigint: true })));
    }

    setTimesAt(flags: PathFlags, guestPath: string, atime: NewTimestamp, mtime: NewTimestamp): void {
      const follow = flags.symlinkFollow ?? false;
      const target = resolve(this, guestPath, follow, 'rw');
      const stats = sys(() => (follow ? fs.statSync : fs.lstatSync)(target, { bigint: true }));
      const set = follow ? fs.utimesSync : fs.lutimesSync;
      sys(() => set(target, timeArg(atime, stats.atimeNs), timeArg(mtime, stats.mtimeNs)));
    }

    linkAt(_flags: PathFlags, oldPath: string, newDir: Descriptor, newPath: string): void {
      const from = resolve(this, oldPath, false, 'rw');
      const to = resolve(checkDescriptor(newDir), newPath, false, 'rw');
      sys(() => fs.linkSync(from, to));
    }

    openAt(
      flags: PathFlags,
      guestPath: string,
      open: OpenFlags,
      descriptorFlags: DescriptorFlags,
    ): Descriptor {
      if (this.kind !== 'directory') fail('not-directory');
      const mutates = Boolean(
        open.create || open.truncate || descriptorFlags.write || descriptorFlags.mutateDirectory,
      );
      const follow = flags.symlinkFollow ?? false;
      const target = resolve(this, guestPath, follow, mutates ? 'rw' : 'ro');
      let mode = 0;
      if (descriptorFlags.read && descriptorFlags.write) mode = fs.constants.O_RDWR;
      else if (descriptorFlags.write) mode = fs.constants.O_WRONLY;
      else mode = fs.constants.O_RDONLY;
      if (open.create) mode |= fs.constants.O_CREAT;
      if (open.exclusive) mode |= fs.constants.O_EXCL;
      if (open.truncate) mode |= fs.constants.O_TRUNC;
      if (open.directory) mode |= fs.constants.O_DIRECTORY;
      if (!follow) mode |= fs.constants.O_NOFOLLOW;
      const fd = sys(() => fs.openSync(target, mode, 0o644));
      let isDirectory: boolean;
      try {
        isDirectory = fs.fstatSync(fd).isDirectory();
      } catch (err) {
        fs.closeSync(fd);
        return fail(codeOf(err));
      }
      if (isDirectory) {
        // Directories are handled by path; their descriptor needs no host fd.
        fs.closeSync(fd);
        return new Descriptor(this.root, target, 'directory', { ...descriptorFlags, read: true });
      }
      if (open.directory) {
        fs.closeSync(fd);
        fail('not-directory');
      }
      return new Descriptor(this.root, target, 'file', descriptorFlags, fd);
    }

    readlinkAt(guestPath: string): string {
      const target = resolve(this, guestPath, false, 'ro');
      return sys(() => fs.readlinkSync(target));
    }

    removeDirectoryAt(guestPath: string): void {
      const target = resolve(this, guestPath, false, 'rw');
      if (target === this.root.hostPath) fail('not-permitted');
      sys(() => fs.rmdirSync(target));
    }

    renameAt(oldPath: string, newDir: Descriptor, newPath: string): void {
      const from = resolve(this, oldPath, false, 'rw');
      const to = resolve(checkDescriptor(newDir), newPath, false, 'rw');
      sys(() => fs.renameSync(from, to));
    }

    symlinkAt(oldPath: string, newPath: string): void {
      const to = resolve(this, newPath, false, 'rw');
      sys(() => fs.symlinkSync(oldPath, to));
    }

    unlinkFileAt(guestPath: string): void {
      const target = resolve(this, guestPath, false, 'rw');
      sys(() => fs.unlinkSync(target));
    }

    isSameObject(other: Descriptor): boolean {
      const a = sys(() => fs.statSync(this.hostPath, { bigint: true }));
      const b = sys(() => fs.statSync(checkDescriptor(other).hostPath, { bigint: true }));
      return a.dev === b.dev && a.ino === b.ino;
    }

    metadataHash(): { lower: bigint; upper: bigint } {
      return hashOf(sys(() => fs.statSync(this.hostPath, { bigint: true })));
    }

    metadataHashAt(flags: PathFlags, guestPath: string): { lower: bigint; upper: bigint } {
      const follow = flags.symlinkFollow ?? false;
      const target = resolve(this, guestPath, follow, 'ro');
      return hashOf(sys(() => (follow ? fs.statSync : fs.lstatSync)(target, { bigint: true })));
    }
  }

  class DirectoryEntryStream {
    readonly #entries: { type: string; name: string }[];
    constructor(entries: { type: string; name: string }[]) {
      this.#entries = entries;
    }
    readDirectoryEntry(): { type: string; name: string } | undefined {
      return this.#entries.shift();
    }
  }

  function checkDescriptor(d: unknown): Descriptor {
    if (!(d instanceof Descriptor)) fail('bad-descriptor');
    return d;
  }

  const preopens = roots.map(
    (root) =>
      [
        new Descriptor(root, root.hostPath, 'directory', {
          read: true,
          write: root.access === 'rw',
          mutateDirectory: root.access === 'rw',
        }),
        root.hostPath,
      ] as const,
  );

  return {
    'wasi:filesystem/types': {
      Descriptor,
      DirectoryEntryStream,
      filesystemErrorCode: (err: unknown) => (err instanceof IoError ? err.filesystemCode : undefined),
    },
    'wasi:filesystem/preopens': { getDirectories: () => preopens.map(([d, p]) => [d, p]) },
  };
}

function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let written = 0;
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
  }
  return written;
}

/** Inside a stream, failures surface as stream errors carrying an io error with the file code. */
function ioSys<T>(action: () => T): T {
  try {
    return action();
  } catch (err) {
    throw new IoError((err as Error).message, codeOf(err));
  }
}

function hashOf(stats: fs.BigIntStats): { lower: bigint; upper: bigint } {
  const mask = (1n << 64n) - 1n;
  return { lower: (stats.ino ^ (stats.mtimeNs << 7n)) & mask, upper: (stats.dev ^ stats.size) & mask };
}
