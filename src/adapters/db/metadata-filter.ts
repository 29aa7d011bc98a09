import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { MetadataFilter } from '../../app/ports.ts';

// The JSON grammar's numbers and booleans: a query value spelling one also matches that JSON value.
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const JSON_SCALAR = (text: string) => JSON_NUMBER.test(text) || text === 'true' || text === 'false';

/**
 * `metadata @> {"key": value}` for each key of the filter, ANDed: containment, which the GIN
 * indexes of sql/017 (jsonb_path_ops) answer. The JSON is written as text and parsed by
 * PostgreSQL, so a number is never a JS number on the way.
 */
export function metadataContains(metadata: Expression<unknown>, filter: MetadataFilter): RawBuilder<SqlBool> {
  const conditions = [...filter].map(([key, value]) => {
    const documents = [`{${JSON.stringify(key)}:${JSON.stringify(value)}}`, ...(JSON_SCALAR(value) ? [`{${JSON.stringify(key)}:${value}}`] : [])];
    // ::text first: the postgres driver would JSON-encode a string bound straight to jsonb.
    return sql<SqlBool>`(${sql.join(documents.map((d) => sql`${metadata} @> ${d}::text::jsonb`), sql` or `)})`;
  });
  return sql<SqlBool>`(${sql.join(conditions, sql` and `)})`;
}
