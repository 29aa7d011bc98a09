// `npm start`: the service (src/entry/node.ts) from its bundle in build/server/, which `npm install`
// builds (scripts/build-server.ts), while every file that went into it is as it was then; else,
// after a `git pull` or an edit without a new `npm install`, from the sources themselves, never
// from a stale bundle. The bundle spares a start the type stripping and the package look-ups of
// some 600 modules: about 0.45 of the main thread's CPU and 0.6 of the time to listening. Node's
// compile cache (under node_modules/.cache/) then spares it part of their compilation, from the
// second start on.
//
// JavaScript, not TypeScript: loading Node's type stripper would cost this file a tenth of a
// second.
import { enableCompileCache } from 'node:module';
import { bundleIsCurrent } from './bundle-current.js';

const ROOT = new URL('../../', import.meta.url);
const BUNDLE = new URL('build/server/', ROOT);

if (bundleIsCurrent(BUNDLE, ROOT)) {
  enableCompileCache(new URL('node_modules/.cache/bitemporal-ledger/compile/', ROOT).pathname);
  await import(new URL('node.js', BUNDLE).href);
} else {
  await import('./node.ts');
}
