import type { ProgressEvent, ProgressListener } from '../lib/index.js';
import { formatBytes } from './output.js';

/**
 * A one-line transfer display on stderr: bytes done of bytes known, and the rate. Only on a
 * terminal, never with --json or --quiet; it erases itself when done.
 */
export function createProgress(
  enabled: boolean,
  label: string,
): { listener?: ProgressListener; finish(): void } {
  const stream = process.stderr;
  if (!enabled || !stream.isTTY) return { finish() {} };
  const sizes = new Map<string, number>();
  const done = new Map<string, number>();
  const started = Date.now();
  let lastDraw = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    const total = [...sizes.values()].reduce((a, b) => a + b, 0);
    const moved = [...done.values()].reduce((a, b) => a + b, 0);
    const seconds = Math.max((now - started) / 1000, 0.001);
    const width = 24;
    const filled = total > 0 ? Math.round((moved / total) * width) : 0;
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    stream.write(
      `\r\x1b[2K${label} ${bar} ${formatBytes(moved)} / ${formatBytes(total)}  ${formatBytes(moved / seconds)}/s`,
    );
  };
  const listener = (event: ProgressEvent) => {
    sizes.set(event.descriptor.digest, event.descriptor.size);
    done.set(event.descriptor.digest, event.phase === 'start' ? 0 : event.bytes);
    draw(event.phase === 'done');
  };
  return {
    listener,
    finish() {
      if (sizes.size > 0) stream.write('\r\x1b[2K');
    },
  };
}
