import type { Row } from './queries.js';

/** A cell as text: times in ISO 8601 UTC, numbers as JS prints them, JSON for objects. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v);
}

/** Rows as an aligned text table with a header; "(no rows)" for none. Pure. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const columns = Object.keys(rows[0]!);
  const cells = rows.map((r) => columns.map((c) => cellText(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), `(${rows.length} rows)`]
    .join('\n')
    .concat('\n');
}

/** Rows as JSON: one array, times as ISO strings, numeric strings (bigint counts) as numbers. */
export function formatJson(rows: readonly Row[]): string {
  return `${JSON.stringify(
    rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).map(([k, v]) => [
          k,
          typeof v === 'string' && /^-?\d+$/.test(v) && k.endsWith('count') ? Number(v) : v,
        ]),
      ),
    ),
    null,
    2,
  )}\n`;
}
