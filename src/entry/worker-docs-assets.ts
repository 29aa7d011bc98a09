import type { DocsAssets } from '../adapters/http/env.ts';
// Bundled into the Worker as text by wrangler's module rules (wrangler.toml [[rules]], type Text):
// workerd has no node_modules to read at run time. text-modules.d.ts types these imports.
import css from '../../node_modules/swagger-ui-dist/swagger-ui.css';
import bundle from '../../node_modules/swagger-ui-dist/swagger-ui-bundle.js';
import init from '../adapters/http/docs/swagger-init.js';

/** /docs's files, as wrangler bundled them. */
export const WORKER_DOCS_ASSETS: DocsAssets = { 'swagger-ui.css': css, 'swagger-ui-bundle.js': bundle, 'swagger-init.js': init };
