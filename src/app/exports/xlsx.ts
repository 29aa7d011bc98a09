import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { ExportColumn, ExportTable } from './table.ts';

// The table as an XLSX workbook of one sheet, streamed by exceljs's WorkbookWriter: rows are
// committed as they come and the zip is written as it grows, so a workbook of any size holds a
// page. Strings are inline (no shared-strings table, which would grow with the sheet).
//
// Amounts: a spreadsheet number is an IEEE double (15 to 17 significant digits), and amounts
// reach 48, so each amount column is a text cell holding the exact decimal, followed by a
// number cell (`<column> (number)`) for sums and charts, which may be rounded.

/** The sheet's columns: each amount column followed by its number column. */
export function xlsxHeader(columns: readonly ExportColumn[]): string[] {
  return columns.flatMap((c) => (c.kind === 'amount' ? [c.name, `${c.name} (number)`] : [c.name]));
}

/** A row's cells: amount text then its number, integers as numbers, the rest as text. */
export function xlsxCells(columns: readonly ExportColumn[], row: readonly string[]): (string | number)[] {
  const cells: (string | number)[] = [];
  columns.forEach((c, i) => {
    const text = row[i]!;
    if (c.kind === 'amount') cells.push(text, Number(text));
    else if (c.kind === 'integer') cells.push(Number(text));
    else cells.push(text);
  });
  return cells;
}

/** Bytes waiting in the pipe before the writer waits for the reader. */
const HIGH_WATER_BYTES = 1 << 20;

/** The table as an XLSX file, in chunks as the zip is written. */
export async function* xlsxChunks(table: ExportTable, sheetName: string, onRows?: (rows: number) => void): AsyncGenerator<Uint8Array> {
  const out = new PassThrough({ highWaterMark: HIGH_WATER_BYTES });
  const writing = writeWorkbook(table, sheetName, out, onRows).then(
    () => out.end(),
    (error: unknown) => out.destroy(error as Error),
  );
  for await (const chunk of out) yield chunk as Uint8Array;
  await writing;
}

async function writeWorkbook(table: ExportTable, sheetName: string, out: PassThrough, onRows?: (rows: number) => void): Promise<void> {
  // Loaded on the first XLSX asked for: exceljs costs a start 0.4 s and 30 MiB that most never use.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName);
  sheet.addRow(xlsxHeader(table.columns)).commit();
  for await (const page of table.pages) {
    for (const row of page) sheet.addRow(xlsxCells(table.columns, row)).commit();
    onRows?.(page.length);
    // The zip writes in the background: let it run, and wait while the reader is behind.
    await new Promise((resolve) => setImmediate(resolve));
    if (out.writableLength > HIGH_WATER_BYTES) await once(out, 'drain');
  }
  sheet.commit();
  await workbook.commit();
}
