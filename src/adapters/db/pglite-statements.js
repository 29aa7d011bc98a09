// Prepared statements on PGlite's one session, for its thread (pglite-thread.js). PGlite's own
// `query` parses and plans every statement again, as an unnamed one, and goes into its
// WebAssembly six times for it (parse, describe, bind, describe, execute, sync); here a
// statement is parsed once, under a name, and each run after is one call (bind, describe,
// execute, sync), its plan kept as PostgreSQL keeps a prepared statement's (the service's
// PostgreSQL driver prepares every statement too). Values go in and rows come out as PGlite's
// `query` makes them: its serializers and parsers, by the types PostgreSQL describes.
//
// JavaScript, not TypeScript, as the thread's module is (see pglite-thread.js).
import { parse, protocol } from '@electric-sql/pglite';

const { serialize } = protocol;

/** Statements kept prepared, at most: the least recently run one is closed to make room. */
export const STATEMENTS_KEPT = 256;

/** Statements named so far in this thread: names are never used twice in a session. */
let named = 0;

/**
 * `query(text, params)` as PGlite's, through statements prepared once and kept (`kept` at most).
 * `forget()` closes them all: after a script, which may have changed what they return.
 */
export function preparedStatements(pglite, kept = STATEMENTS_KEPT) {
  /** By their text, the least recently run first: { name, types } (the parameters' type oids). */
  const statements = new Map();
  const run = async (messages, options = {}) => (await pglite.execProtocol(Buffer.concat(messages), { ...options, syncToFs: false })).messages;

  async function prepared(text) {
    const known = statements.get(text);
    if (known) {
      statements.delete(text);
      statements.set(text, known);
      return known;
    }
    const name = `ledger_${++named}`;
    const described = await run([serialize.parse({ name, text }), serialize.describe({ type: 'S', name }), serialize.sync()]);
    const statement = { name, types: parse.parseDescribeStatementResults(described) };
    statements.set(text, statement);
    if (statements.size > kept) {
      const [oldest, { name: closed }] = statements.entries().next().value;
      statements.delete(oldest);
      await run([serialize.close({ type: 'S', name: closed }), serialize.sync()], { throwOnError: false });
    }
    return statement;
  }

  return {
    async query(text, params) {
      const { name, types } = await prepared(text);
      const values = params.map((value, i) => (value === null || value === undefined ? null : (pglite.serializers[types[i]] ?? String)(value)));
      const messages = await run([serialize.bind({ statement: name, values }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync()]);
      return parse.parseResults(messages, pglite.parsers)[0];
    },
    async forget() {
      if (statements.size === 0) return;
      const names = [...statements.values()].map((statement) => statement.name);
      statements.clear();
      await run([...names.map((name) => serialize.close({ type: 'S', name })), serialize.sync()], { throwOnError: false });
    },
  };
}
