import { PGlite, types } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a JavaScript module of PGlite's thread, without types
import { preparedStatements } from '../../src/adapters/db/pglite-statements.js';

// PGlite's thread runs every query with parameters as a statement prepared once and kept
// (src/adapters/db/pglite-statements.js): the answers must be PGlite's own `query`'s, the kept
// statements bounded, and a script that changes a table must not leave a statement answering
// for the table as it was.

interface Prepared {
  query(text: string, params: readonly unknown[]): Promise<{ rows: Record<string, unknown>[]; affectedRows?: number }>;
  forget(): Promise<void>;
}

const asText = (value: string) => value;
let pglite: PGlite;

beforeAll(async () => {
  pglite = await PGlite.create({ parsers: { [types.TIMESTAMPTZ]: asText, [types.NUMERIC]: asText, [types.INT8]: asText } });
  await pglite.exec(`create table t (id text primary key, amount numeric not null, at timestamptz, tags text[], doc jsonb, flag boolean)`);
}, 60_000);
afterAll(async () => {
  await pglite?.close();
});

const kept = async () => Number((await pglite.query<{ n: number }>('select count(*)::int as n from pg_prepared_statements')).rows[0]!.n);

describe('statements prepared on PGlite', () => {
  it('answer what PGlite answers: values in by their types, rows out through its parsers, affected rows', async () => {
    const statements = preparedStatements(pglite) as Prepared;
    const insert = 'insert into t (id, amount, at, tags, doc, flag) values ($1, $2, $3, $4, $5, $6)';
    const row = ['a', '123456789012345678901234567890.123456789012345678', '2026-01-02T03:04:05.123456Z', ['x', 'y"z', 'w,v'], { k: [1, 'two'], n: null }, true];
    const inserted = await statements.query(insert, row);
    expect(inserted.affectedRows).toBe(1);
    await pglite.query(insert, ['b', '-0.000000000000000000000000000001', null, [], null, false]);
    const select = 'select id, amount, at, tags, doc, flag, amount * 2 as twice, 9007199254740993::int8 as big from t where id = any($1) order by id';
    for (let i = 0; i < 7; i++) { // past the five custom plans after which PostgreSQL may keep a generic one
      const ids = [['a', 'b'], ['b'], ['a']][i % 3]!;
      expect((await statements.query(select, [ids])).rows).toEqual((await pglite.query(select, [ids])).rows);
    }
    expect((await statements.query(select, [['a']])).rows[0]).toMatchObject({ amount: row[1], tags: row[3], doc: row[4], flag: true, big: '9007199254740993' });
  });

  it('keep at most so many statements, the least recently run closed first', async () => {
    const statements = preparedStatements(pglite, 3) as Prepared;
    await statements.forget();
    const before = await kept();
    for (let i = 0; i < 6; i++) expect((await statements.query(`select $1::int + ${i} as n`, [1])).rows).toEqual([{ n: 1 + i }]);
    expect(await kept()).toBe(before + 3);
    await statements.forget();
    expect(await kept()).toBe(before);
  });

  it('fail as PGlite fails, with PostgreSQL\'s fields, and go on after', async () => {
    const statements = preparedStatements(pglite) as Prepared;
    const insert = 'insert into t (id, amount) values ($1, $2)';
    await statements.query(insert, ['c', '1']);
    await expect(statements.query(insert, ['c', '2'])).rejects.toMatchObject({ code: '23505', constraint: 't_pkey' });
    await expect(statements.query('select $1::int as n', ['not a number'])).rejects.toMatchObject({ code: '22P02' });
    await expect(statements.query('select from nowhere where $1', [true])).rejects.toMatchObject({ code: '42P01' });
    expect((await statements.query('select count(*)::int as n from t where id = $1', ['c'])).rows).toEqual([{ n: 1 }]);
  });

  it('are forgotten after a script, which may change what they answer', async () => {
    const statements = preparedStatements(pglite) as Prepared;
    const select = 'select * from t where id = $1';
    expect(Object.keys((await statements.query(select, ['a'])).rows[0]!)).not.toContain('note');
    await pglite.exec(`alter table t add column note text default 'n'`);
    // Kept, the statement refuses to answer with another row type than it was prepared for.
    await expect(statements.query(select, ['a'])).rejects.toThrow(/cached plan must not change result type/);
    await statements.forget();
    expect((await statements.query(select, ['a'])).rows[0]).toMatchObject({ id: 'a', note: 'n' });
  });
});
