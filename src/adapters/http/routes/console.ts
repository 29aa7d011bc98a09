import { Hono } from 'hono';
// The console's page, script and style, built from src/console/ by scripts/build-console.ts
// (`npm install` runs it): a JSON module, so that Node and the Workers bundle both hold them.
import assets from '../../../../build/console/console-assets.json' with { type: 'json' };
import type { AppEnv } from '../env.ts';

// The page holds no data and no key: it asks for one and calls /v1 from the browser. Script and
// style are served from here, so the policy can forbid every inline script, style and other origin
// (the empty data: icon spares the browser a request for /favicon.ico). uPlot draws on a canvas
// and sets element styles from the script (CSSOM), which style-src does not govern.
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
} as const;

const served = (body: string, contentType: string) => () => new Response(body, { headers: { ...HEADERS, 'Content-Type': contentType } });

/** The auditor console (spec section 9): public, like /docs; every answer it shows needs a key. */
export const consoleRoutes = new Hono<AppEnv>()
  .get('/console', served(assets.html, 'text/html; charset=utf-8'))
  .get('/console.js', served(assets.script, 'text/javascript; charset=utf-8'))
  .get('/console.css', served(assets.style, 'text/css; charset=utf-8'));
