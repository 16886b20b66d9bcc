// The layer rule of the architecture: an import may only point down.
//   0 core · 1 oci, trust, store · 2 grants, component · 3 runtime · 4 mcp · lib/app composes them · cli uses lib/index.ts
const layer = {
  core: [],
  oci: ['core'],
  trust: ['core'],
  store: ['core'],
  grants: ['core', 'store'],
  component: ['core', 'store'],
  runtime: ['core', 'oci', 'trust', 'store', 'grants', 'component'],
  mcp: ['core', 'oci', 'trust', 'store', 'grants', 'component', 'runtime'],
};
const all = Object.keys(layer);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...Object.entries(layer).map(([mod, allowed]) => {
      const denied = all.filter((m) => m !== mod && !allowed.includes(m));
      return {
        name: `layer-${mod}`,
        comment: `lib/${mod} may import only ${allowed.length ? allowed.join(', ') : 'nothing of ours'}`,
        severity: 'error',
        from: { path: `^lib/${mod}/` },
        to: { path: `^(lib/(${[...denied, 'app'].join('|')})/|lib/index\\.ts$|cli/)` },
      };
    }),
    {
      name: 'cli-uses-public-api',
      comment: 'cli/ reaches the library only through lib/index.ts',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^lib/', pathNot: '^lib/index\\.ts$' },
    },
    {
      name: 'sdk-wrapped-once',
      comment: 'each third-party SDK is wrapped in exactly one module',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/trust/' },
      to: { path: 'node_modules/(sigstore|@sigstore)/' },
    },
    {
      name: 'quickjs-in-sandbox',
      comment: 'the code-mode engine is wrapped by its worker alone',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/mcp/code-mode/sandbox-worker\\.ts$' },
      to: { path: 'node_modules/(quickjs-emscripten-core|@jitl/quickjs)' },
    },
    {
      name: 'jco-in-component',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/component/' },
      to: { path: 'node_modules/@bytecodealliance/jco/' },
    },
    {
      name: 'shim-in-runtime',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/runtime/' },
      to: { path: 'node_modules/@bytecodealliance/preview2-shim/' },
    },
    {
      name: 'mcp-sdk-in-mcp',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/mcp/' },
      to: { path: 'node_modules/@modelcontextprotocol/' },
    },
    {
      name: 'no-cli-libs-in-lib',
      comment: 'lib/ never imports yargs or inquirer',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: 'node_modules/(yargs|@inquirer)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
