import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { DocsAssets } from '../adapters/http/env.ts';

const resolve = createRequire(import.meta.url).resolve;
const INIT = new URL('../adapters/http/docs/swagger-init.js', import.meta.url);

/** /docs's files read from the installed packages, once, on the first request that needs them. */
export function docsAssetsFromDisk(): () => Promise<DocsAssets> {
  let loading: Promise<DocsAssets> | undefined;
  const read = async (): Promise<DocsAssets> => {
    const [css, bundle, init] = await Promise.all([
      readFile(resolve('swagger-ui-dist/swagger-ui.css'), 'utf8'),
      readFile(resolve('swagger-ui-dist/swagger-ui-bundle.js'), 'utf8'),
      readFile(INIT, 'utf8'),
    ]);
    return { 'swagger-ui.css': css, 'swagger-ui-bundle.js': bundle, 'swagger-init.js': init };
  };
  return () => (loading ??= read().catch((error: unknown) => {
    loading = undefined; // a failed read is tried again by the next request
    throw error;
  }));
}
