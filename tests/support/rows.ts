/**
 * The one row a query that returns exactly one row returned. Destructuring `const [{ n }] = rows`
 * does not type-check under noUncheckedIndexedAccess, and hides a query that returned nothing
 * behind a TypeError; this names what went wrong.
 */
export function onlyRow<T>(rows: readonly T[]): T {
  const [row] = rows;
  if (rows.length !== 1 || row === undefined) throw new Error(`expected one row, got ${rows.length}`);
  return row;
}
