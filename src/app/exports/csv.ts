import type { ExportTable } from './table.ts';

// RFC 4180 text: comma-separated, CRLF line ends, a field quoted (with its quotes doubled) when it
// holds a comma, a quote or a line break. UTF-8, no byte order mark.

const NEEDS_QUOTES = /[",\r\n]/;

/** One record of RFC 4180, with its CRLF. */
export function csvRecord(fields: readonly string[]): string {
  let line = '';
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (i > 0) line += ',';
    line += NEEDS_QUOTES.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
  }
  return `${line}\r\n`;
}

/** The table as CSV text, the header first, then one chunk per page of rows. */
export async function* csvChunks(table: ExportTable, onRows?: (rows: number) => void): AsyncGenerator<string> {
  yield csvRecord(table.columns.map((c) => c.name));
  for await (const page of table.pages) {
    let chunk = '';
    for (const row of page) chunk += csvRecord(row);
    yield chunk;
    onRows?.(page.length);
  }
}
