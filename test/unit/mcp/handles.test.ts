import { describe, expect, it } from 'vitest';
import { readComponentWorld } from '../../../lib/component/index.js';
import { SessionHandles } from '../../../lib/mcp/handles.js';
import { describeTools } from '../../../lib/mcp/tool-catalog.js';
import { fixtureWasm } from '../../harness/fixtures.js';

describe('a session handle table', () => {
  it('gives short handles per resource, checks their type, and uses up an owned one', () => {
    const table = new SessionHandles();
    expect(table.toHandle('counter', { $resource: 'ab.0' })).toBe('counter-1');
    expect(table.toHandle('timer', { $resource: 'ab.1' })).toBe('timer-2');
    expect(table.fromHandle('counter', 'counter-1', '/self', false)).toEqual({ $resource: 'ab.0' });
    expect(() => table.fromHandle('counter', 'timer-2', '/c', false)).toThrow(
      '/c: expected a counter handle, found "timer-2", a timer',
    );
    expect(table.fromHandle('counter', 'counter-1', '/c', true)).toEqual({ $resource: 'ab.0', own: true });
    expect(() => table.fromHandle('counter', 'counter-1', '/c', false)).toThrow(
      'no counter handle "counter-1" in this session; it holds none',
    );
    expect(table.size).toBe(1);
  });

  it('refuses a returned value that is not a resource reference', () => {
    expect(() => new SessionHandles().toHandle('counter', { value: 1 })).toThrow(/not a resource/);
  });
});

describe('resource functions in the tool list', () => {
  it('are tools, marked as using handles; with per-call instances they are left out, with the reason', async () => {
    const world = readComponentWorld(await fixtureWasm('resource'));
    const component = { name: 'res', digest: 'sha256:0', origin: '/res.wasm', world, grants: [] };
    const { tools } = describeTools([component]);
    expect(tools.filter((t) => t.handles).map((t) => t.def.name)).toEqual([
      'res.counters.counter.new',
      'res.counters.counter.get',
      'res.counters.counter.add',
      'res.counters.counter.merge',
      'res.counters.make',
      'res.counters.peek',
    ]);
    const perCall = describeTools([{ ...component, lifetime: 'per-call' as const }]);
    expect(perCall.tools.map((t) => t.def.name)).toEqual(['res.plain']);
    expect(perCall.skipped[0]?.reason).toContain('need an instance that outlives a call');
  });
});
