import { describe, expect, it } from 'vitest';
import type { WitType } from '../../../lib/component/index.js';
import { contentShapeOf, toolResultContent } from '../../../lib/mcp/content.js';
import { elicitSchema } from '../../../lib/mcp/guest-client.js';

const image: WitType = {
  kind: 'record',
  name: 'image',
  fields: [
    { name: 'data', type: { kind: 'list', element: { kind: 'u8' } } },
    { name: 'mime-type', type: { kind: 'string' } },
  ],
};
const content: WitType = {
  kind: 'variant',
  name: 'content',
  cases: [
    { name: 'text', type: { kind: 'string' } },
    { name: 'image', type: image },
    { name: 'audio', type: image },
    { name: 'resource', type: { kind: 'string' } },
    { name: 'resource-link', type: { kind: 'string' } },
  ],
};
const list: WitType = { kind: 'list', element: content };
const toolResult: WitType = {
  kind: 'record',
  name: 'tool-result',
  fields: [
    { name: 'content', type: list },
    { name: 'structured', type: { kind: 'option', type: { kind: 'string' } } },
  ],
};

describe('wtools:mcp content results', () => {
  it('recognises tool-result and list<content>, also as the ok case of a result', () => {
    expect(contentShapeOf(toolResult)).toBe('tool-result');
    expect(contentShapeOf(list)).toBe('content-list');
    expect(contentShapeOf({ kind: 'result', ok: toolResult, err: { kind: 'string' } })).toBe('tool-result');
    expect(contentShapeOf({ kind: 'result', err: { kind: 'string' } })).toBeUndefined();
    expect(contentShapeOf({ kind: 'string' })).toBeUndefined();
    // Same shape, another name: an ordinary record, served as JSON.
    expect(contentShapeOf({ ...toolResult, name: 'my-result' } as WitType)).toBeUndefined();
    expect(
      contentShapeOf({ kind: 'list', element: { ...content, cases: content.cases.slice(0, 4) } }),
    ).toBeUndefined();
  });

  it('turns blocks into MCP content and refuses a structured value that is not a JSON object', () => {
    const value = {
      content: [
        { tag: 'text', val: 'hi' },
        { tag: 'image', val: { data: new Uint8Array([1, 2, 3]), mimeType: 'image/png' } },
      ],
      structured: '{"n":1}',
    };
    expect(toolResultContent('tool-result', value)).toEqual({
      content: [
        { type: 'text', text: 'hi' },
        { type: 'image', data: 'AQID', mimeType: 'image/png' },
      ],
      structuredContent: { n: 1 },
    });
    expect(() => toolResultContent('tool-result', { ...value, structured: '[1]' })).toThrow(
      /must be a JSON object/,
    );
    expect(() => toolResultContent('tool-result', { ...value, structured: '{' })).toThrow(/is not JSON/);
  });
});

describe('elicitation forms of a guest', () => {
  const field = { required: false, kind: { tag: 'text' as const } };
  it('refuses names MCP forms cannot carry, duplicates, empty choices and empty forms', () => {
    expect(() => elicitSchema([{ ...field, name: 'a b' }])).toThrow(/expected 1 to 64 letters/);
    expect(() =>
      elicitSchema([
        { ...field, name: 'a' },
        { ...field, name: 'a' },
      ]),
    ).toThrow(/named twice/);
    expect(() => elicitSchema([{ ...field, name: 'c', kind: { tag: 'choice', val: [] } }])).toThrow(
      /at least one option/,
    );
    expect(() => elicitSchema([])).toThrow(/at least one field/);
  });
});
