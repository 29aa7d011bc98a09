// Builds the service's Node entry (src/entry/node.ts) into build/server/: its modules and the
// packages they import bundled by esbuild into a few files (the entry, and a chunk for each
// module it imports as it starts), so that a start neither strips types nor looks packages up
// file by file (about half of the main thread's CPU in a start). Beside them, `inputs.json`:
// every file that went in, with its size and time, for src/entry/start.js (`npm start`) to run
// the bundle only while each is as it was, and the sources otherwise. `npm install` runs it
// (postinstall); `npm run build:server` too.
import { build, type Plugin } from 'esbuild';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-expect-error -- a JavaScript module of the launcher's, without types
import { BUNDLE_INPUTS } from '../src/entry/bundle-current.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Where `npm start` looks for it (src/entry/start.js). */
export const SERVER_BUNDLE = join(ROOT, 'build/server/');
/** Node's compile cache for it (src/entry/start.js): emptied with each build, which names its chunks anew. */
const COMPILE_CACHE = join(ROOT, 'node_modules/.cache/bitemporal-ledger/compile/');

/**
 * Packages left out of the bundle, loaded from node_modules as they are: PGlite runs on its own
 * thread (src/adapters/db/pglite-thread.js, loaded by its path), the PostgreSQL driver and
 * ExcelJS only when they are used (and the driver is patched in place).
 */
const EXTERNAL = ['@electric-sql/pglite', 'postgres', 'exceljs'];

/**
 * A module of src/ finds files by its own place (`new URL('../../sql/', import.meta.url)`); in the
 * bundle, `import.meta.url` is the chunk's, so each is given its source file's, relative to
 * build/server/ (the checkout may move).
 */
const sourcePlaces = (outDir: string): Plugin => ({
  name: 'source-places',
  setup(builder) {
    builder.onLoad({ filter: /[/\\]src[/\\].*\.[jt]s$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const place = `new URL(${JSON.stringify(relative(outDir, args.path).split('\\').join('/'))}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', place), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
});

/** CommonJS packages in an ES module bundle: their `require` of Node's own modules. */
const BANNER = "import { createRequire as __serverRequire } from 'node:module';\nconst require = __serverRequire(import.meta.url);";

/**
 * A file's time may lag the clock by a tick of the kernel's: one written this close to the build's
 * start or after it may have been read before it was written.
 */
const CLOCK_SLACK_MS = 50;

/** Bundles the server into `outDir` (inside the checkout, for the packages left out to be found). */
export async function buildServer(outDir = SERVER_BUNDLE): Promise<{ files: number; inputs: number; bytes: number }> {
  await rm(outDir, { recursive: true, force: true });
  if (outDir === SERVER_BUNDLE) await rm(COMPILE_CACHE, { recursive: true, force: true });
  const startedMs = Date.now();
  const result = await build({
    entryPoints: [join(ROOT, 'src/entry/node.ts')],
    outdir: outDir, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node22',
    external: EXTERNAL, plugins: [sourcePlaces(outDir)], banner: { js: BANNER }, metafile: true, logLevel: 'warning',
    legalComments: 'none', minifySyntax: true, minifyWhitespace: true, charset: 'utf8', absWorkingDir: ROOT,
  });
  const inputs: Record<string, [number, number]> = {};
  for (const path of Object.keys(result.metafile.inputs)) {
    const file = await stat(join(ROOT, path));
    // Written while esbuild read the sources: what it read is unknown, so the bundle never counts as current.
    inputs[path] = [file.mtimeMs >= startedMs - CLOCK_SLACK_MS ? -1 : file.size, file.mtimeMs];
  }
  await writeFile(join(outDir, BUNDLE_INPUTS), JSON.stringify(inputs));
  const outputs = Object.values(result.metafile.outputs);
  return { files: outputs.length, inputs: Object.keys(inputs).length, bytes: outputs.reduce((sum, o) => sum + o.bytes, 0) };
}

// It never fails the install: without a bundle (no list of inputs), `npm start` runs the sources.
if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const { files, inputs, bytes } = await buildServer();
    console.log(`build-server: build/server/: ${files} files, ${(bytes / 1024).toFixed(0)} KB, from ${inputs} inputs`);
  } catch (error) {
    await rm(SERVER_BUNDLE, { recursive: true, force: true });
    console.warn(`build-server: no bundle made (npm start will run the sources): ${String(error)}`);
  }
}
