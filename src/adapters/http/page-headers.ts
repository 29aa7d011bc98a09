/**
 * The headers of the pages this service serves (/docs, /console) and of their files: scripts,
 * styles and calls from this origin only, no inline script or style, no frames, no referrer. A
 * page's data: icon spares the browser a request for /favicon.ico.
 */
export const SELF_ONLY_PAGE_HEADERS = {
  'Content-Security-Policy': [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self' data:",
    "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ].join('; '),
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
} as const;
