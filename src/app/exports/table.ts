// What the CSV and XLSX exports write: a header and rows of text, a page at a time. Every cell is
// the service's own text (amounts as exact decimal strings, times as the API's timestamps), so a
// writer never turns an amount into a number on the way.

/** A column: `amount` cells are exact decimal strings, which the XLSX writer also gives as numbers beside them. */
export interface ExportColumn {
  readonly name: string;
  readonly kind: 'text' | 'amount' | 'integer';
}

export interface ExportTable {
  readonly columns: readonly ExportColumn[];
  /** The rows, a page at a time: a writer holds one page. */
  readonly pages: AsyncIterable<readonly (readonly string[])[]>;
  /** How many rows there will be, when known in advance (for a progress bar). */
  readonly size?: number;
}

/** A table of rows already at hand (a statement, a trial balance): one page. */
export function tableOf(columns: readonly ExportColumn[], rows: readonly (readonly string[])[]): ExportTable {
  return {
    columns,
    size: rows.length,
    pages: (async function* () {
      yield rows;
    })(),
  };
}
