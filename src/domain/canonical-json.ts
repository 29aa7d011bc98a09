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
  // Loops and one string rather than entries, filter, map and join: the hash chain writes every
  // event this way, and this was a fifth of a commit's CPU in the process.
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${text}]`;
  }
  const object = value as Record<string, unknown>;
  // sort() without a comparator orders strings by UTF-16 code units.
  const keys = Object.keys(object).sort();
  let text = '{';
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    text += (text.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(member);
  }
  return `${text}}`;
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
