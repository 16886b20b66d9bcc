import { describe, expect, it } from 'vitest';
import { assignToolNames, functionPart, TOOL_NAME, toolFilter } from '../../../lib/mcp/tool-names.js';

const d1 = `sha256:${'1'.repeat(64)}`;
const d2 = `sha256:${'2'.repeat(64)}`;

describe('tool names', () => {
  it('names world functions component.function and interface ones component.interface.function', () => {
    expect(
      assignToolNames([
        { component: 'types', digest: d1, function: 'u64-echo' },
        { component: 'types', digest: d1, interface: 'wtools:fixtures/shapes@0.1.0', function: 'classify' },
      ]),
    ).toEqual(['types.u64-echo', 'types.shapes.classify']);
  });

  it('turns resource functions into resource.method names', () => {
    expect(functionPart('[constructor]counter')).toBe('counter.new');
    expect(functionPart('[method]counter.get')).toBe('counter.get');
    expect(functionPart('[static]counter.make')).toBe('counter.make');
  });

  it('tells same-named components apart by digest, the same way whatever the order', () => {
    const a = { component: 'files', digest: d2, function: 'read' };
    const b = { component: 'files', digest: d1, function: 'read' };
    expect(assignToolNames([a, b])).toEqual(['files-22222222.read', 'files.read']);
    expect(assignToolNames([b, a])).toEqual(['files.read', 'files-22222222.read']);
  });

  it('qualifies interfaces that share a short name, and numbers anything still equal', () => {
    expect(
      assignToolNames([
        { component: 'c', digest: d1, interface: 'a:x/types', function: 'f' },
        { component: 'c', digest: d1, interface: 'b:y/types@1.0.0', function: 'f' },
        { component: 'c', digest: d1, interface: 'plain', function: 'g' },
        { component: 'c', digest: d1, function: 'plain.g' },
      ]),
    ).toEqual(['c.a-x-types.f', 'c.b-y-types.f', 'c.plain.g', 'c.plain-g']);
  });

  it('keeps every name within the MCP rule, however long or odd the parts', () => {
    const names = assignToolNames([
      { component: 'Ünïcode tool!', digest: d1, function: 'x'.repeat(300) },
      { component: 'c', digest: d1, interface: 'p:q/r', function: '[method]thing.do-it' },
    ]);
    for (const name of names) expect(name).toMatch(TOOL_NAME);
    expect(names[0]!.length).toBe(128);
    expect(names[1]).toBe('c.r.thing.do-it');
  });

  it('filters with include and exclude globs', () => {
    const keep = toolFilter(['types.*', 'types.shapes.*', '!types.shapes.divide']);
    expect(
      ['types.greet', 'types.shapes.classify', 'types.shapes.divide', 'files.read'].filter(keep),
    ).toEqual(['types.greet', 'types.shapes.classify']);
    expect(toolFilter(['**.read'])('files.x.read')).toBe(true);
    expect(toolFilter([])('anything')).toBe(true);
  });
});
