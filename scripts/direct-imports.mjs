// An esbuild plugin for the CLI bundle: `import { a, b } from '../lib/index.js'` in cli/ becomes
// imports from the modules that define a and b. cli/ reaches the library only through
// lib/index.ts (the layer rule, checked on the sources), but esbuild puts a module into every
// chunk whose entry reaches it through the barrel, used or not: every command then loaded
// nearly all of lib/, YAML and the MCP SDK included. The TypeScript checker says where each
// export is declared, so the rewrite needs no guessing.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';

const IMPORT = /import\s*\{([^}]*)\}\s*from\s*'((?:\.\.\/)+lib\/index\.js)';/g;

/** Export name → absolute path of the file that declares it, for lib/index.ts. */
function exportMap(indexFile) {
  const program = ts.createProgram([indexFile], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(indexFile);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const map = new Map();
  for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const declaration = target.declarations?.[0];
    if (!declaration) continue;
    // Types have no runtime module; esbuild drops them anyway.
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
    map.set(symbol.name, { file: declaration.getSourceFile().fileName, name: target.name, isValue });
  }
  return map;
}

function importPath(fromFile, toFile) {
  let relative = path.relative(path.dirname(fromFile), toFile).replace(/\.ts$/, '.js');
  if (!relative.startsWith('.')) relative = `./${relative}`;
  return relative.split(path.sep).join('/');
}

export function directImports(root) {
  const indexFile = path.join(root, 'lib', 'index.ts');
  let exports;
  return {
    name: 'wtools-direct-imports',
    setup(build) {
      build.onLoad({ filter: /[\\/]cli[\\/].*\.ts$/ }, async (args) => {
        let text = await readFile(args.path, 'utf8');
        if (!text.includes('lib/index.js')) return { contents: text, loader: 'ts' };
        exports ??= exportMap(indexFile);
        text = text.replace(IMPORT, (whole, list) => {
          const byFile = new Map();
          for (const raw of list.split(',')) {
            const spec = raw.trim();
            if (!spec || spec.startsWith('type ')) continue;
            const [name, alias] = spec.split(/\s+as\s+/);
            const found = exports.get(name);
            if (!found) throw new Error(`${args.path}: lib/index.ts has no export ${name}`);
            if (!found.isValue) continue;
            const local = alias ?? name;
            const specifier = found.name === local ? local : `${found.name} as ${local}`;
            const names = byFile.get(found.file) ?? [];
            names.push(specifier);
            byFile.set(found.file, names);
          }
          return [...byFile]
            .map(([file, names]) => `import { ${names.join(', ')} } from '${importPath(args.path, file)}';`)
            .join('\n');
        });
        return { contents: text, loader: 'ts' };
      });
    },
  };
}
