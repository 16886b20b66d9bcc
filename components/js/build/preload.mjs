// Preload for fixture build processes only: `node --import ./preload.mjs build.mjs ...`.
//
// 1. Lets componentize-js find the WASI shim at all (see shim-resolve.mjs).
// 2. Since preview2-shim 0.25 the shim preopens nothing, and componentize-js reads the WIT folder
//    through wasm code running on that shim: without a preopen it fails with "failed to get path
//    metadata (os error 44)". The build process is trusted, so it sees the whole host file system.
//    Never do this in a process that runs guests.
import { register } from 'node:module';

register('./shim-resolve.mjs', import.meta.url);
const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
_setPreopens({ '/': '/' });
