import { Hono } from 'hono';
// The console's page, script and style, built from src/console/ by scripts/build-console.ts
// (`npm install` runs it): a JSON module, so that Node and the Workers bundle both hold them.
import assets from '../../../../build/console/console-assets.json' with { type: 'json' };
import type { AppEnv } from '../env.ts';
import { SELF_ONLY_PAGE_HEADERS } from '../page-headers.ts';

// The page holds no data and no key: it asks for one and calls /v1 from the browser. Script and
// style are served from here, so the policy can forbid every inline script, style and other origin.
// uPlot draws on a canvas and sets element styles from the script (CSSOM), which style-src does
// not govern.
const HEADERS = { ...SELF_ONLY_PAGE_HEADERS, 'Cache-Control': 'no-cache' } as const;

const served = (body: string, contentType: string) => () => new Response(body, { headers: { ...HEADERS, 'Content-Type': contentType } });

/** The auditor console (spec section 9): public, like /docs; every answer it shows needs a key. */
export const consoleRoutes = new Hono<AppEnv>()
  .get('/console', served(assets.html, 'text/html; charset=utf-8'))
  .get('/console.js', served(assets.script, 'text/javascript; charset=utf-8'))
  .get('/console.css', served(assets.style, 'text/css; charset=utf-8'));
