import { Hono } from 'hono';
import { compress } from 'hono/compress';
import type { AppEnv, DocsAssets } from '../env.ts';
import { SELF_ONLY_PAGE_HEADERS as HEADERS } from '../page-headers.ts';
import { problemResponse } from '../problem.ts';

// The API reference: Swagger UI served from this package (swagger-ui-dist), never from a CDN, so
// that /docs works on a machine without internet. The page has no inline script or style: the
// policy allows this origin only (Swagger UI's icons are data: images in its style sheet).

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bitemporal ledger: API reference</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-spec-url="/openapi.json"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
`;

const CONTENT_TYPES: Record<keyof DocsAssets, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-init.js': 'text/javascript; charset=utf-8',
};

const isAsset = (name: string): name is keyof DocsAssets => Object.hasOwn(CONTENT_TYPES, name);

/** `/docs` and its files; public, like /openapi.json. */
export const docsRoutes = new Hono<AppEnv>()
  .use('/docs/*', compress())
  .get('/docs', (c) => c.body(PAGE, 200, { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' }))
  .get('/docs/:file', async (c) => {
    const name = c.req.param('file');
    const load = c.get('deps').docsAssets;
    if (!isAsset(name) || !load) return problemResponse(c, 'NOT_FOUND', `No file ${c.req.path}.`);
    const assets = await load();
    // The files change only with the package: an hour in a cache is safe, and a reload checks again.
    return c.body(assets[name], 200, { ...HEADERS, 'Content-Type': CONTENT_TYPES[name], 'Cache-Control': 'public, max-age=3600' });
  });
