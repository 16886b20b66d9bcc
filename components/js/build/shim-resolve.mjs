// Module resolution hook for fixture builds (registered by preload.mjs).
//
// componentize-js 0.22 ships a jco-transpiled splicer that imports '@bytecodealliance/preview2-shim',
// but lists the shim only as a dev dependency, so npm leaves no copy it can resolve: importing
// componentize-js fails with ERR_MODULE_NOT_FOUND. Every shim import that Node cannot resolve from its
// own location is resolved from jco's folder instead (jco's own copy, the one its wasm-tools uses), so
// the splicer, this preload and jco share one shim instance and one set of preopens.
const SHIM = '@bytecodealliance/preview2-shim';

export async function resolve(specifier, context, nextResolve) {
  if (specifier !== SHIM && !specifier.startsWith(`${SHIM}/`)) return nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const jco = await nextResolve('@bytecodealliance/jco', context);
    return nextResolve(specifier, { ...context, parentURL: jco.url });
  }
}
