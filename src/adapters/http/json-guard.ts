import { Decimal } from '../../domain/money.ts';
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
  if (value instanceof InexactNumber) {
    return { path: path || '(body)', message: `the number ${value.source.slice(0, 40)} has no exact JavaScript value; send it as a string` };
  }
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

/** A JSON number that a JavaScript number would change (1e400, or more than 17 digits): kept out of storage. */
class InexactNumber {
  readonly source: string;
  constructor(source: string) {
    this.source = source;
  }
}

/**
 * Where a JSON number that JavaScript may not hold exactly could be: 16 digits or more (a point
 * may split them) or an exponent. A number of 15 digits at most and no exponent is always exact.
 */
const MAYBE_INEXACT_NUMBER = /\d(?:\.?\d){15}|\d[eE]/;

/**
 * JSON.parse, marking every number whose value JavaScript cannot hold exactly, so that
 * `unstorableJson` refuses it rather than storing another number (or null) in its place.
 */
export function parseJsonMarkingInexact(text: string): unknown {
  // The reviver costs more than the parse: skip it when no number can be inexact.
  if (!MAYBE_INEXACT_NUMBER.test(text)) return JSON.parse(text);
  return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) => {
    if (typeof value !== 'number' || context?.source === undefined) return value;
    return Number.isFinite(value) && new Decimal(context.source).equals(value.toString()) ? value : new InexactNumber(context.source);
  });
}
