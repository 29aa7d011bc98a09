import { Hono } from 'hono';
import { CONSOLE_SCRIPT } from '../console/console-script.ts';
import { CONSOLE_HTML, CONSOLE_STYLE } from '../console/console-page.ts';
import type { AppEnv } from '../env.ts';

// The page holds no data and no key: it asks for one and calls /v1 from the browser. Script and
// style are served from here, so the policy can forbid every inline script, style and other origin
// (the empty data: icon spares the browser a request for /favicon.ico).
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
  .get('/console', served(CONSOLE_HTML, 'text/html; charset=utf-8'))
  .get('/console.js', served(CONSOLE_SCRIPT, 'text/javascript; charset=utf-8'))
  .get('/console.css', served(CONSOLE_STYLE, 'text/css; charset=utf-8'));
