// The wtools:mcp fixture: every host interface of the package, and every kind of content.
import { log } from 'wtools:mcp/log@0.1.0';
import { report } from 'wtools:mcp/progress@0.1.0';
import { createMessage } from 'wtools:mcp/sampling@0.1.0';
import { ask } from 'wtools:mcp/elicit@0.1.0';

/** Thrown from an export returning result<T, E>: the payload becomes the err value. */
class ComponentError extends Error {
  constructor(payload) {
    super(payload);
    this.payload = payload;
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(n) {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function chunk(type, data) {
  const typed = [...type].map((c) => c.charCodeAt(0)).concat(data);
  return [...u32(data.length), ...typed, ...u32(crc32(typed))];
}

/** An RGB PNG of one row, stored (uncompressed) in a single zlib block. */
function png(pixels) {
  const raw = [0, ...pixels.flat()];
  let a = 1;
  let b = 0;
  for (const x of raw) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  const zlib = [
    0x78,
    0x01,
    1,
    raw.length & 0xff,
    raw.length >> 8,
    ~raw.length & 0xff,
    (~raw.length >> 8) & 0xff,
  ];
  const idat = [...zlib, ...raw, ...u32(((b << 16) | a) >>> 0)];
  const ihdr = [...u32(pixels.length), ...u32(1), 8, 2, 0, 0, 0];
  return new Uint8Array([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...chunk('IHDR', ihdr),
    ...chunk('IDAT', idat),
    ...chunk('IEND', []),
  ]);
}

function picture(shade) {
  return {
    content: [
      {
        tag: 'image',
        val: {
          data: png([
            [255, 0, 0],
            [shade, shade, shade],
          ]),
          mimeType: 'image/png',
        },
      },
      { tag: 'text', val: `a red pixel and a grey one (${shade})` },
    ],
    structured: JSON.stringify({ width: 2, height: 1, shade }),
  };
}

/** A WAV file of a few samples of silence. */
function wav() {
  const samples = 8;
  const le = (n, size) => Array.from({ length: size }, (_, i) => (n >>> (8 * i)) & 0xff);
  const ascii = (s) => [...s].map((c) => c.charCodeAt(0));
  return new Uint8Array([
    ...ascii('RIFF'),
    ...le(36 + samples, 4),
    ...ascii('WAVE'),
    ...ascii('fmt '),
    ...le(16, 4),
    ...le(1, 2),
    ...le(1, 2),
    ...le(8000, 4),
    ...le(8000, 4),
    ...le(1, 2),
    ...le(8, 2),
    ...ascii('data'),
    ...le(samples, 4),
    ...new Array(samples).fill(128),
  ]);
}

export const resources = (uri) => [
  {
    tag: 'resource',
    val: { uri, mimeType: 'text/plain', contents: { tag: 'text', val: 'hello from a resource' } },
  },
  {
    tag: 'resource',
    val: {
      uri: `${uri}.bin`,
      mimeType: undefined,
      contents: { tag: 'blob', val: new Uint8Array([0, 1, 2, 254, 255]) },
    },
  },
  {
    tag: 'resource-link',
    val: { uri: `${uri}/more`, name: 'more', description: 'the rest of it', mimeType: 'text/markdown' },
  },
  { tag: 'audio', val: { data: wav(), mimeType: 'audio/wav' } },
];

export { picture };

export function work(steps) {
  for (let i = 1; i <= steps; i++) {
    log('info', `step ${i} of ${steps}`);
    report(i, steps, `step ${i}`);
  }
  log('debug', 'all steps done');
  return steps;
}

function explain(error) {
  return error.tag === 'failed' ? `failed: ${error.val}` : error.tag;
}

export function askModel(question) {
  try {
    const answer = createMessage({
      messages: [{ role: 'user', text: question }],
      systemPrompt: 'Answer in one word.',
      maxTokens: 50,
      temperature: undefined,
      modelHint: 'small',
    });
    return `${answer.model}: ${answer.text}`;
  } catch (err) {
    throw new ComponentError(explain(err.payload ?? err));
  }
}

export function askUser(question) {
  try {
    const outcome = ask(question, [
      { name: 'name', title: 'Name', description: undefined, required: true, kind: { tag: 'text' } },
      {
        name: 'age',
        title: undefined,
        description: 'Whole years',
        required: false,
        kind: { tag: 'integer', val: { minimum: 0, maximum: 150 } },
      },
      {
        name: 'colour',
        title: undefined,
        description: undefined,
        required: false,
        kind: { tag: 'choice', val: ['red', 'green'] },
      },
      {
        name: 'subscribe',
        title: undefined,
        description: undefined,
        required: false,
        kind: { tag: 'boolean' },
      },
    ]);
    if (outcome.tag !== 'accept') return outcome.tag;
    return JSON.stringify(Object.fromEntries(outcome.val.map(([k, v]) => [k, v.val])));
  } catch (err) {
    throw new ComponentError(explain(err.payload ?? err));
  }
}

export function maybePicture(fail) {
  if (fail) throw new ComponentError('asked to fail');
  return picture(7);
}
