import { describe, expect, it } from 'vitest';
import { readComponentWorld, worldToWit } from '../../../lib/component/index.js';
import { cComponent } from '../../harness/c-fixtures.js';
import { fixtureWasm } from '../../harness/fixtures.js';

describe('worldToWit', () => {
  it('prints resources as resource blocks, methods without their implicit self', async () => {
    const world = readComponentWorld(await fixtureWasm('resource'));
    expect(worldToWit(world, 'resources')).toBe(
      [
        '/// exported as wtools:fixtures/counters@0.1.0',
        'interface counters {',
        '  resource counter {',
        '    constructor(start: u32);',
        '    get: func() -> u32;',
        '    add: func(by: u32);',
        '    merge: static func(a: borrow<counter>, b: borrow<counter>) -> counter;',
        '  }',
        '  make: func(start: u32) -> counter;',
        '  peek: func(c: borrow<counter>) -> u32;',
        '}',
        '',
        'world resources {',
        '  export wtools:fixtures/counters@0.1.0;',
        '  export plain: func() -> u32;',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints imports and world functions with their types', async () => {
    const text = worldToWit(readComponentWorld(await cComponent('c/basic')), 'basic');
    expect(text).toContain('  import wasi:filesystem/preopens@0.2.12;');
    expect(text).toContain('  export read-file: func(path: string) -> result<string, string>;');
    expect(text).toContain('  export get-env: func(key: string) -> option<string>;');
    expect(text).toContain('  export write-file: func(path: string, contents: string) -> result<_, string>;');
  });
});
