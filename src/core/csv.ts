/**
 * CSV for spreadsheets (RFC 4180): comma-separated, CRLF line ends, fields quoted when needed, a
 * UTF-8 byte order mark so that spreadsheet programs read ₹ and non-Latin names correctly. Text
 * that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is prefixed with
 * an apostrophe, so a crafted description cannot execute in the customer's spreadsheet.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

export function csvField(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // Plain numbers (amounts such as -250.00) stay numbers; other text that looks like a formula does not run.
  if (!NUMBER.test(text) && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(rows: readonly (readonly (string | number | bigint | null | undefined)[])[]): string {
  return `\uFEFF${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}
