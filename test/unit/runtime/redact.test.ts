import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../lib/runtime/redact.js';

describe('the redactor', () => {
  const redactor = new Redactor(['sk-abcdef', 'sk-abcdef-longer', 'tok3n']);

  it('replaces every occurrence, the longest secret first', () => {
    expect(redactor.text('a sk-abcdef-longer and sk-abcdef and tok3ntok3n')).toBe(
      'a [redacted] and [redacted] and [redacted][redacted]',
    );
  });

  it('walks results: strings in lists, records, variants and bytes; leaves other values alone', () => {
    const bytes = new TextEncoder().encode('raw tok3n');
    expect(
      redactor.value({ list: ['tok3n', 1, 2n], rec: { tag: 'x', val: 'sk-abcdef' }, bytes, none: null }),
    ).toEqual({
      list: ['[redacted]', 1, 2n],
      rec: { tag: 'x', val: '[redacted]' },
      bytes: new TextEncoder().encode('raw [redacted]'),
      none: null,
    });
  });

  it('returns output bytes untouched when no secret is in them', () => {
    const clean = new Uint8Array([0xff, 0xfe, 0x41]);
    expect(redactor.bytes(clean)).toBe(clean);
    expect(new Redactor([]).value('tok3n')).toBe('tok3n');
  });
});
