import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

// GET / says where things are, so that a newcomer who opens the service's address finds them:
// a page of links for a browser, the same as JSON for anything else (curl, a script).
const LINKS = {
  docs: { href: '/docs', title: 'API reference (Swagger UI)' },
  openapi: { href: '/openapi.json', title: 'OpenAPI 3.1 document' },
  console: { href: '/console', title: 'Auditor console (an auditor or reader key)' },
  health: { href: '/health', title: 'Liveness: 200 while the database answers' },
} as const;

const BODY = {
  name: 'Bitemporal ledger',
  description: 'A double-entry ledger that never forgets: every balance as of any (recordedAsOf, effectiveAsOf).',
  api: 'Every route under /v1 takes Authorization: Bearer <key>; /openapi.json lists them.',
  links: LINKS,
};

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Bitemporal ledger</title><link rel="icon" href="data:,"></head>
<body>
<h1>Bitemporal ledger</h1>
<p>${BODY.description}</p>
<ul>
${Object.values(LINKS).map((l) => `<li><a href="${l.href}">${l.href}</a>: ${l.title}</li>`).join('\n')}
</ul>
<p>The API is under <code>/v1</code>; every route there takes <code>Authorization: Bearer &lt;key&gt;</code>.</p>
</body>
</html>
`;

const HEADERS = {
  'Content-Security-Policy': "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
} as const;

/** `GET /`: no key needed, like /health, /docs and /console. */
export const homeRoutes = new Hono<AppEnv>().get('/', (c) => {
  const html = /\btext\/html\b/.test(c.req.header('Accept') ?? '');
  c.header('Vary', 'Accept');
  return html ? c.html(PAGE, 200, HEADERS) : c.json(BODY, 200, HEADERS);
});
