/**
 * The canonical JSON of a value: object keys sorted by UTF-16 code units, no white space,
 * strings and numbers as `JSON.stringify` writes them. Used for the hash chain and for
 * comparing idempotent requests. Documented in docs/hash-chain.md.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error(`no canonical JSON for ${typeof value}`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The paths (`a.b.0`) at which two JSON values differ, for naming what an idempotent retry changed. */
export function differingPaths(a: unknown, b: unknown, path = ''): string[] {
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) {
    const text = (v: unknown) => (v === undefined ? undefined : canonicalJson(v));
    return text(a) === text(b) ? [] : [path || '(body)'];
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  // Own properties only: a key such as "valueOf" must not find the prototype's function.
  const own = (o: Record<string, unknown>, key: string) => (Object.hasOwn(o, key) ? o[key] : undefined);
  return keys.flatMap((key) => differingPaths(own(left, key), own(right, key), path ? `${path}.${key}` : key));
}
