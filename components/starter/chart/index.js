// The `chart` starter component (world `chart` in wit/chart/chart.wit), compiled by componentize-js.
// Pure: it draws into memory and returns PNG bytes as wtools:mcp image content. The PNG is
// palette-based and stored without compression (zlib "stored" blocks): a chart is a few colours,
// and StarlingMonkey has no zlib.
import { log } from 'wtools:mcp/log@0.1.0';
import { report } from 'wtools:mcp/progress@0.1.0';

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

// Palette indices; 0, what a new canvas holds, is the white background.
const AXIS = 1;
const BAR = 2;
const NEGATIVE = 3;
const GRID = 4;

// --- PNG ---

const CRC_TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c >>> 0;
}

function crc32(bytes, start, end) {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bytes appended to a growing buffer, with PNG's big-endian integers. */
class Writer {
  constructor(size) {
    this.bytes = new Uint8Array(size);
    this.at = 0;
  }
  u8(n) {
    this.bytes[this.at++] = n;
  }
  u32(n) {
    this.u8((n >>> 24) & 0xff);
    this.u8((n >>> 16) & 0xff);
    this.u8((n >>> 8) & 0xff);
    this.u8(n & 0xff);
  }
  copy(source, start, end) {
    this.bytes.set(source.subarray(start, end), this.at);
    this.at += end - start;
  }
  /** One chunk: length, type and data written by `body`, then the CRC of type and data. */
  chunk(type, length, body) {
    this.u32(length);
    const start = this.at;
    for (let i = 0; i < 4; i++) this.u8(type.charCodeAt(i));
    body();
    this.u32(crc32(this.bytes, start, this.at));
  }
}

/** An 8-bit palette PNG of `pixels` (one palette index per byte, row by row). */
function encodePng(width, height, pixels, palette) {
  const rowBytes = width + 1;
  const raw = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowBytes] = 0; // filter: none
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * rowBytes + 1);
  }
  const blocks = Math.max(1, Math.ceil(raw.length / 65535));
  const zlibLength = 2 + raw.length + blocks * 5 + 4;
  const out = new Writer(8 + 25 + 12 + palette.length * 3 + 12 + zlibLength + 12);
  for (const b of [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) out.u8(b);
  out.chunk('IHDR', 13, () => {
    out.u32(width);
    out.u32(height);
    for (const b of [8, 3, 0, 0, 0]) out.u8(b); // depth 8, palette, deflate, filter 0, no interlace
  });
  out.chunk('PLTE', palette.length * 3, () => {
    for (const [r, g, b] of palette) {
      out.u8(r);
      out.u8(g);
      out.u8(b);
    }
  });
  out.chunk('IDAT', zlibLength, () => {
    out.u8(0x78);
    out.u8(0x01);
    for (let i = 0; i < blocks; i++) {
      const start = i * 65535;
      const end = Math.min(raw.length, start + 65535);
      const length = end - start;
      out.u8(i === blocks - 1 ? 1 : 0);
      out.u8(length & 0xff);
      out.u8(length >>> 8);
      out.u8(~length & 0xff);
      out.u8((~length >>> 8) & 0xff);
      out.copy(raw, start, end);
    }
    let a = 1;
    let b = 0;
    for (let i = 0; i < raw.length; i++) {
      a = (a + raw[i]) % 65521;
      b = (b + a) % 65521;
    }
    out.u32(((b << 16) | a) >>> 0);
  });
  out.chunk('IEND', 0, () => {});
  return out.bytes;
}

// --- drawing ---

function parseColor(text) {
  const match = /^#([0-9a-fA-F]{6})$/.exec(text);
  if (!match) throw new ComponentError(`color: expected #rrggbb, got ${JSON.stringify(text)}`);
  const n = parseInt(match[1], 16);
  return [(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function size(value, fallback, what) {
  const n = value ?? fallback;
  if (n < 16 || n > 2048) throw new ComponentError(`${what}: expected 16 to 2048 pixels, got ${n}`);
  return n;
}

function checkValues(values, min, max) {
  if (values.length < min || values.length > max) {
    throw new ComponentError(`values: expected ${min} to ${max} numbers, got ${values.length}`);
  }
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new ComponentError(`values[${i}]: expected a finite number, got ${v}`);
  });
}

/** A canvas of palette indices, with the value range mapped onto its height (margins kept). */
function canvas(values, options) {
  const width = size(options?.width, 480, 'width');
  const height = size(options?.height, 240, 'height');
  const color = options?.color === undefined ? [0x3b, 0x6f, 0xd4] : parseColor(options.color);
  const min = Math.min(0, ...values);
  const max = Math.max(0, ...values);
  const margin = Math.max(2, Math.round(height * 0.05));
  const span = max - min || 1;
  const yOf = (v) => Math.round(margin + ((max - v) / span) * (height - 2 * margin));
  const pixels = new Uint8Array(width * height);
  const fill = (x0, y0, x1, y1, index) => {
    for (let y = Math.max(0, Math.min(y0, y1)); y <= Math.min(height - 1, Math.max(y0, y1)); y++) {
      pixels.fill(index, y * width + Math.max(0, x0), y * width + Math.min(width, x1 + 1));
    }
  };
  const palette = [[255, 255, 255], [96, 96, 96], color, [0xd4, 0x3b, 0x3b], [0xe6, 0xe6, 0xe6]];
  for (let i = 1; i < 4; i++)
    fill(
      0,
      margin + Math.round((i * (height - 2 * margin)) / 4),
      width - 1,
      margin + Math.round((i * (height - 2 * margin)) / 4),
      GRID,
    );
  return { width, height, pixels, palette, fill, yOf, min, max };
}

function finish(kind, values, c) {
  fillZero(c);
  const png = encodePng(c.width, c.height, c.pixels, c.palette);
  log('debug', `${kind}: ${values.length} values drawn in ${c.width}×${c.height} (${png.length} bytes)`);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return {
    content: [
      { tag: 'image', val: { data: png, mimeType: 'image/png' } },
      {
        tag: 'text',
        val: `${kind} of ${values.length} values from ${low} to ${high} (${c.width}×${c.height} PNG)`,
      },
    ],
    structured: JSON.stringify({
      width: c.width,
      height: c.height,
      values: values.length,
      min: low,
      max: high,
    }),
  };
}

function fillZero(c) {
  const zero = c.yOf(0);
  c.fill(0, zero, c.width - 1, zero, AXIS);
}

export function barChart(values, options) {
  checkValues(values, 1, 512);
  const c = canvas(values, options);
  const slot = c.width / values.length;
  const gap = slot >= 4 ? Math.max(1, Math.floor(slot * 0.15)) : 0;
  const zero = c.yOf(0);
  values.forEach((v, i) => {
    const x0 = Math.round(i * slot) + gap;
    const x1 = Math.max(x0, Math.round((i + 1) * slot) - 1 - gap);
    c.fill(x0, zero, x1, c.yOf(v), v < 0 ? NEGATIVE : BAR);
    if (values.length >= 64 && (i + 1) % 64 === 0) report(i + 1, values.length, 'drawing bars');
  });
  return finish('bar chart', values, c);
}

export function lineChart(values, options) {
  checkValues(values, 2, 4096);
  const c = canvas(values, options);
  const step = (c.width - 1) / (values.length - 1);
  for (let i = 1; i < values.length; i++) {
    const [x0, y0] = [Math.round((i - 1) * step), c.yOf(values[i - 1])];
    const [x1, y1] = [Math.round(i * step), c.yOf(values[i])];
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) {
      const x = Math.round(x0 + ((x1 - x0) * s) / steps);
      const y = Math.round(y0 + ((y1 - y0) * s) / steps);
      c.fill(x, y - 1, x + 1, y + 1, BAR);
    }
    if (values.length >= 512 && i % 512 === 0) report(i, values.length - 1, 'drawing the line');
  }
  return finish('line chart', values, c);
}
