import { z } from '@hono/zod-openapi';

/**
 * `metadata[key]=value` query parameters: lists filtered by the metadata their items were
 * recorded with, an exact match on top-level keys, several keys ANDed. A query string only has
 * strings: `value` matches that string, or the JSON number or boolean it spells (`42`, `true`).
 */
const PARAMETER = /^metadata\[([^[\]]+)\]$/;
const MAX_KEYS = 20;
const MAX_KEY_LENGTH = 200;
const MAX_VALUE_LENGTH = 1000;

/** For OpenAPI: the filter as one deepObject parameter (`metadata[orderId]=42`). */
const documented = z.record(z.string(), z.string(), { error: 'a metadata filter is metadata[key]=value' }).optional().openapi({
  param: { style: 'deepObject', explode: true },
  description: 'metadata[key]=value: items whose metadata has this value at this top-level key (a string, or the JSON number or boolean it spells); several keys ANDed',
  example: { orderId: '42' },
});

type Issue = { readonly path: string; readonly message: string };

/** What is wrong with one parameter of a query that takes `metadata[...]` filters, if anything. */
function issueOf(name: string, value: unknown): Issue | null {
  if (!name.startsWith('metadata')) return { path: name, message: 'not a query parameter of this route' };
  const key = PARAMETER.exec(name)?.[1];
  if (key === undefined) return { path: name, message: 'a metadata filter is metadata[key]=value, with a key of one or more characters and no brackets' };
  if (key.length > MAX_KEY_LENGTH) return { path: name, message: `a metadata key has at most ${MAX_KEY_LENGTH} characters` };
  if (typeof value !== 'string') return { path: name, message: 'given more than once: a key matches one value' };
  if (value.length > MAX_VALUE_LENGTH) return { path: name, message: `a metadata value has at most ${MAX_VALUE_LENGTH} characters` };
  return null;
}

/**
 * The query schema with `metadata[key]=value` parameters beside its own; any other unknown
 * parameter is refused, as strict schemas refuse it.
 */
export function withMetadataFilter<Shape extends z.ZodRawShape>(query: z.ZodObject<Shape>) {
  const own = new Set([...Object.keys(query.shape), 'metadata']);
  return query.extend({ metadata: documented }).catchall(z.union([z.string(), z.array(z.string())])).superRefine((input, ctx) => {
    const extra = Object.entries(input).filter(([name]) => !own.has(name));
    for (const [name, value] of extra) {
      const issue = issueOf(name, value);
      if (issue) ctx.addIssue({ code: 'custom', path: [issue.path], message: issue.message });
    }
    if (extra.length > MAX_KEYS) ctx.addIssue({ code: 'custom', path: ['metadata'], message: `at most ${MAX_KEYS} metadata filters` });
  });
}

/** The `metadata[key]=value` filters of a query the schema above validated: key to value. */
export function metadataFilterOf(query: Readonly<Record<string, unknown>>): ReadonlyMap<string, string> {
  const filter = new Map<string, string>();
  for (const [name, value] of Object.entries(query)) {
    const key = PARAMETER.exec(name)?.[1];
    if (key !== undefined && typeof value === 'string') filter.set(key, value);
  }
  return filter;
}
