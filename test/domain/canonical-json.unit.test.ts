import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, differingPaths } from '../../src/domain/canonical-json.ts';

/** The same JSON value with every object's keys inserted in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe('canonicalJson', () => {
  describe('primitives', () => {
    it.each([
      [null, 'null'],
      [true, 'true'],
      [false, 'false'],
      [0, '0'],
      [-0, '0'],
      [1.5, '1.5'],
      [-42, '-42'],
      [1e21, '1e+21'],
      ['', '""'],
      ['10.50', '"10.50"'],
    ])('writes %j as %s', (value, expected) => {
      expect(canonicalJson(value)).toBe(expected);
    });

    it.each([
      ['undefined', undefined],
      ['a function', () => 1],
      ['a symbol', Symbol('s')],
    ])('throws on %s, which has no JSON', (_, value) => {
      expect(() => canonicalJson(value)).toThrow(/no canonical JSON/);
    });

    it('throws on a bigint', () => {
      expect(() => canonicalJson(1n)).toThrow();
    });
  });

  describe('objects', () => {
    it('sorts keys and writes no white space', () => {
      expect(canonicalJson({ b: 1, a: 2, c: 3 })).toBe('{"a":2,"b":1,"c":3}');
      expect(canonicalJson({})).toBe('{}');
    });

    it('sorts keys at every depth, inside arrays too', () => {
      const value = { z: { y: 1, x: [{ d: 1, c: 2 }, { b: { f: 1, e: 2 } }] }, a: null };
      expect(canonicalJson(value)).toBe('{"a":null,"z":{"x":[{"c":2,"d":1},{"b":{"e":2,"f":1}}],"y":1}}');
    });

    it('gives the same text whatever order the keys were inserted in', () => {
      expect(canonicalJson({ amount: '10.00', accountId: 'a', direction: 'debit' }))
        .toBe(canonicalJson({ direction: 'debit', accountId: 'a', amount: '10.00' }));
    });

    it('sorts by UTF-16 code units: upper case before lower case, "10" before "2"', () => {
      expect(canonicalJson({ a: 1, B: 2, '': 3, _: 4 })).toBe('{"":3,"B":2,"_":4,"a":1}');
      // JSON.stringify would put the integer-like key "2" first.
      expect(canonicalJson({ 2: 'two', 10: 'ten', 1: 'one' })).toBe('{"1":"one","10":"ten","2":"two"}');
    });

    it('sorts by UTF-16 code units, not code points, beyond the BMP', () => {
      // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB00 by code unit.
      expect(canonicalJson({ '\uFB00': 1, '😀': 2, é: 3, z: 4 })).toBe('{"z":4,"é":3,"😀":2,"ﬀ":1}');
    });

    it('drops properties whose value is undefined, as JSON.stringify does', () => {
      expect(canonicalJson({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
      expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
    });

    it('keeps null properties, which differ from absent ones', () => {
      expect(canonicalJson({ a: null })).toBe('{"a":null}');
      expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
    });

    it('escapes keys as JSON strings', () => {
      expect(canonicalJson({ 'a"b': 1, 'c\\d': 2, 'e\nf': 3 })).toBe('{"a\\"b":1,"c\\\\d":2,"e\\nf":3}');
    });
  });

  describe('arrays', () => {
    it('keeps the order of elements', () => {
      expect(canonicalJson([3, 1, 2])).toBe('[3,1,2]');
      expect(canonicalJson(['b', 'a'])).toBe('["b","a"]');
      expect(canonicalJson([])).toBe('[]');
      expect(canonicalJson([[2, 1], { b: 1, a: 2 }, null])).toBe('[[2,1],{"a":2,"b":1},null]');
    });

    it('throws on an undefined element rather than write null as JSON.stringify would', () => {
      expect(() => canonicalJson([1, undefined])).toThrow(/no canonical JSON/);
    });
  });

  describe('unicode strings', () => {
    it('writes non-ASCII characters as themselves', () => {
      expect(canonicalJson('café')).toBe('"café"');
      expect(canonicalJson('日本語')).toBe('"日本語"');
      expect(canonicalJson('💶 10')).toBe('"💶 10"');
      expect(canonicalJson({ 'clé': 'välue' })).toBe('{"clé":"välue"}');
    });

    it('escapes quotes, backslashes and control characters', () => {
      expect(canonicalJson('say "hi"\\')).toBe('"say \\"hi\\"\\\\"');
      expect(canonicalJson('a\nb\tc\u0001')).toBe('"a\\nb\\tc\\u0001"');
    });

    it('escapes lone surrogates, so the text is well-formed UTF-8 once encoded', () => {
      expect(canonicalJson('\uD800')).toBe('"\\ud800"');
      expect(canonicalJson('x\uDC00')).toBe('"x\\udc00"');
    });

    it('keeps different normalization forms apart (no silent NFC)', () => {
      expect(canonicalJson('\u00E9')).not.toBe(canonicalJson('e\u0301'));
    });
  });

  describe('properties over any JSON value', () => {
    const json = fc.jsonValue({ maxDepth: 4 });

    /** The first implementation, as docs/hash-chain.md words it: every recorded hash was made with it. */
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
      const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
    };

    it('writes the same text as the first implementation, byte for byte', () => {
      const keys = fc.string({ unit: 'binary', maxLength: 6 });
      const anyJson = fc.letrec((tie) => ({
        value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'binary' }),
          fc.array(tie('value')), fc.dictionary(keys, fc.option(tie('value'), { nil: undefined }))),
      })).value;
      fc.assert(fc.property(anyJson, (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }), { numRuns: 1000 });
    });

    it('parses back to the same value', () => {
      fc.assert(
        fc.property(json, (value) => {
          expect(JSON.parse(canonicalJson(value))).toStrictEqual(JSON.parse(JSON.stringify(value)));
        }),
        { numRuns: 500 },
      );
    });

    it('does not depend on key insertion order', () => {
      fc.assert(
        fc.property(json, (value) => {
          expect(canonicalJson(reversedKeys(value))).toBe(canonicalJson(value));
        }),
        { numRuns: 500 },
      );
    });

    it('is a fixed point: canonicalJson(JSON.parse(c)) === c', () => {
      fc.assert(
        fc.property(json, (value) => {
          const text = canonicalJson(value);
          expect(canonicalJson(JSON.parse(text))).toBe(text);
        }),
        { numRuns: 500 },
      );
    });

    it('is exactly as long as compact JSON.stringify: only the key order differs', () => {
      fc.assert(
        fc.property(json, (value) => {
          expect(canonicalJson(value).length).toBe(JSON.stringify(value).length);
        }),
        { numRuns: 500 },
      );
    });
  });
});

describe('differingPaths', () => {
  it('finds nothing in equal values, whatever their key order', () => {
    expect(differingPaths({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toEqual([]);
    expect(differingPaths('x', 'x')).toEqual([]);
    expect(differingPaths(null, null)).toEqual([]);
  });

  it('names a changed top-level field', () => {
    expect(differingPaths({ amount: '10.00', currency: 'USD' }, { amount: '10.01', currency: 'USD' })).toEqual(['amount']);
  });

  it('names nested paths with dots, array indexes included', () => {
    const original = { postings: [{ accountId: 'a', amount: '10.00' }, { accountId: 'b', amount: '10.00' }], metadata: { ref: { id: 1 } } };
    const retry = { postings: [{ accountId: 'a', amount: '10.00' }, { accountId: 'c', amount: '10.00' }], metadata: { ref: { id: 2 } } };
    expect(differingPaths(original, retry)).toEqual(['metadata.ref.id', 'postings.1.accountId']);
  });

  it('lists several differences in sorted order', () => {
    expect(differingPaths({ c: 1, a: 1, b: 1 }, { c: 2, a: 2, b: 1 })).toEqual(['a', 'c']);
  });

  it('names fields present on one side only', () => {
    expect(differingPaths({ a: 1 }, {})).toEqual(['a']);
    expect(differingPaths({}, { b: { c: 1 } })).toEqual(['b']);
  });

  it('names array elements added or removed', () => {
    expect(differingPaths({ tags: [1, 2] }, { tags: [1, 2, 3] })).toEqual(['tags.2']);
    expect(differingPaths({ tags: ['x'] }, { tags: [] })).toEqual(['tags.0']);
  });

  it('names a field whose kind changed (array, object, null, scalar)', () => {
    expect(differingPaths({ a: [] }, { a: {} })).toEqual(['a']);
    expect(differingPaths({ a: null }, { a: {} })).toEqual(['a']);
    expect(differingPaths({ a: '1' }, { a: 1 })).toEqual(['a']);
    expect(differingPaths({ a: { b: 1 } }, { a: 'b' })).toEqual(['a']);
  });

  it('names the whole body when the top-level values differ and are not both objects', () => {
    expect(differingPaths(1, 2)).toEqual(['(body)']);
    expect(differingPaths([], {})).toEqual(['(body)']);
    expect(differingPaths(null, {})).toEqual(['(body)']);
  });

  it('treats an undefined property as absent, as canonicalJson does', () => {
    expect(differingPaths({ a: 1, b: undefined }, { a: 1 })).toEqual([]);
  });

  it('names a field that is null on one side and absent on the other, since canonicalJson tells them apart', () => {
    expect(canonicalJson({ description: null })).not.toBe(canonicalJson({}));
    expect(differingPaths({ description: null }, {})).toEqual(['description']);
  });

  it('finds a difference exactly when the canonical texts differ', () => {
    const json = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(json, json, (a, b) => {
        const differ = canonicalJson(a) !== canonicalJson(b);
        expect(differingPaths(a, b).length > 0).toBe(differ);
        expect(differingPaths(a, reversedKeys(a))).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });
});

describe('differingPaths on keys that objects inherit', () => {
  it('compares own properties only', () => {
    expect(differingPaths({}, { valueOf: 0 })).toEqual(['valueOf']);
    expect(differingPaths({ toString: 'a' }, { toString: 'a' })).toEqual([]);
  });
});
