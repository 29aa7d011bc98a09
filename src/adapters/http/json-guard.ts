import type { FieldError } from '../../domain/rejection.ts';

/** Deeper than any request of this API needs; canonical JSON and jsonb recurse per level. */
export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function badText(text: string): string | null {
  if (text.includes('\u0000')) return 'contains U+0000, which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate';
  return null;
}

/**
 * The first thing in a parsed JSON body that the database cannot hold or that nests too deep,
 * so that it is refused with a 400 before any work: PostgreSQL text and jsonb refuse U+0000.
 */
export function unstorableJson(value: unknown, path = '', depth = 0): FieldError | null {
  if (typeof value === 'string') {
    const why = badText(value);
    return why ? { path: path || '(body)', message: why } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_JSON_DEPTH) return { path: path || '(body)', message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
  for (const [key, child] of Object.entries(value)) {
    const childPath = path ? `${path}.${key}` : key;
    const why = key === '__proto__' ? 'is not allowed (JavaScript would drop it)' : badText(key);
    if (why) return { path: childPath, message: `key ${why}` };
    const found = unstorableJson(child, childPath, depth + 1);
    if (found) return found;
  }
  return null;
}
