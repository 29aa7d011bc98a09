// Builds the auditor console (src/console/) into build/console/console-assets.json: its page, its
// script bundled by esbuild (uPlot included) and its style, as one JSON module that both entries
// import (Node reads it as JSON, wrangler bundles it): no filesystem is read at run time, no
// network at build time. `npm install` runs it (postinstall); `npm run build:console` too.
// It refuses a bundle over 300 KB gzipped and prints the sizes.
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

const ROOT = new URL('../', import.meta.url);
const SOURCE = new URL('src/console/', ROOT);
const OUT_DIR = new URL('build/console/', ROOT);
export const CONSOLE_ASSETS = new URL('console-assets.json', OUT_DIR);
/** The budget of issue 15: script and style together, gzipped. */
export const GZIP_BUDGET_BYTES = 300 * 1024;

export interface ConsoleAssets {
  readonly html: string;
  readonly script: string;
  readonly style: string;
}

export async function buildConsole(): Promise<{ assets: ConsoleAssets; gzipBytes: number }> {
  const result = await build({
    entryPoints: [new URL('main.ts', SOURCE).pathname],
    bundle: true, minify: true, format: 'iife', target: 'es2022', platform: 'browser',
    outdir: 'console', write: false, logLevel: 'warning', legalComments: 'eof', charset: 'utf8',
  });
  const output = (extension: string) => {
    const file = result.outputFiles.find((f) => f.path.endsWith(extension));
    if (!file) throw new Error(`esbuild wrote no ${extension} file`);
    return file.text;
  };
  const assets: ConsoleAssets = { html: await readFile(new URL('console.html', SOURCE), 'utf8'), script: output('.js'), style: output('.css') };
  const gzipBytes = gzipSync(assets.script).length + gzipSync(assets.style).length;
  if (gzipBytes > GZIP_BUDGET_BYTES) throw new Error(`the console bundle is ${gzipBytes} bytes gzipped, over the budget of ${GZIP_BUDGET_BYTES}`);
  return { assets, gzipBytes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { assets, gzipBytes } = await buildConsole();
  await mkdir(OUT_DIR, { recursive: true });
  await writeFile(CONSOLE_ASSETS, JSON.stringify(assets));
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(`build-console: ${CONSOLE_ASSETS.pathname.replace(ROOT.pathname, '')}: script ${kb(assets.script.length)}, style ${kb(assets.style.length)}; ` +
    `${kb(gzipBytes)} gzipped (budget ${kb(GZIP_BUDGET_BYTES)})`);
}
